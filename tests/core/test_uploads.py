"""K8 (and every later upload): files are judged by content and size, not by name."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from core.validators import detect_scan_kind
from tests.factories import jpeg_bytes, pdf_bytes, png_bytes, upload


@pytest.mark.parametrize(
    ("name", "content", "mime"),
    [
        ("ktp.png", png_bytes(), "image/png"),
        ("ktp.jpg", jpeg_bytes(), "image/jpeg"),
        ("ktp.pdf", pdf_bytes(), "application/pdf"),
        ("named-wrongly.pdf", png_bytes(), "image/png"),
    ],
)
def test_accepts_real_images_and_pdfs(name, content, mime):
    assert detect_scan_kind(upload(name, content)).mime == mime


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("setup.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200, "wrong_type"),  # Windows executable
        ("elf.jpg", b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "wrong_type"),
        ("script.png", b"#!/bin/sh\nrm -rf /\n", "wrong_type"),
        ("page.jpg", b"<html><script>alert(1)</script></html>", "wrong_type"),
        ("broken.png", png_bytes()[:40], "broken_image"),
        ("cut.pdf", pdf_bytes()[:-200], "broken_pdf"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_refuses_what_is_not_a_scan(name, content, code):
    with pytest.raises(ValidationError) as error:
        detect_scan_kind(upload(name, content))
    assert error.value.code == code


def test_refuses_files_over_5_mb_and_says_the_limit(settings):
    big = png_bytes() + b"\x00" * (5 * 1024 * 1024)
    with translation.override("en"), pytest.raises(ValidationError) as error:
        detect_scan_kind(upload("huge.png", big))
    assert error.value.code == "too_large"
    assert "accepted is 5.0\xa0MB" in error.value.messages[0]
