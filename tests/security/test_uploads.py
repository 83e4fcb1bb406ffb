"""Uploads are judged by their content: polyglots and renamed programs are refused."""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.validators import detect_scan_kind
from customers.models import IdentityDocument
from tests.factories import VALID_NIK, jpeg_bytes, pdf_bytes, png_bytes, upload
from tests.security.conftest import client_for


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("META-INF/MANIFEST.MF", "Main-Class: Evil\n")
        archive.writestr("Evil.class", b"\xca\xfe\xba\xbe")
    return buffer.getvalue()


EXE = b"MZ\x90\x00\x03" + b"\x00" * 200 + b"This program cannot be run in DOS mode"
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 200
PHP = b"<?php system($_GET['cmd']); ?>"
HTML = b"<html><script>alert(document.cookie)</script></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'

REFUSED = {
    "png+php": ("foto.png", png_bytes() + PHP),
    "png+zip (GIFAR-like)": ("foto.png", png_bytes() + _zip()),
    "jpeg+zip": ("foto.jpg", jpeg_bytes() + _zip()),
    "jpeg+html": ("foto.jpg", jpeg_bytes() + HTML),
    "jpeg+zip+eoi": ("foto.jpg", jpeg_bytes() + _zip() + b"\xff\xd9"),
    "png with script inside": ("foto.png", png_bytes()[:-12] + b"<script>x</script>"),
    "pdf+zip": ("ktp.pdf", pdf_bytes() + _zip()),
    "pdf+html": ("ktp.pdf", pdf_bytes() + HTML),
    "pdf with javascript": (
        "ktp.pdf",
        pdf_bytes().replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /JavaScript >>"),
    ),
    "exe as png": ("foto.png", EXE),
    "elf as jpg": ("foto.jpg", ELF),
    "php as jpg": ("foto.jpg", PHP),
    "html as pdf": ("ktp.pdf", HTML),
    "svg as png": ("foto.png", SVG),
    "zip as pdf": ("ktp.pdf", _zip()),
    "gif": ("foto.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;" + _zip()),
    "truncated png": ("foto.png", png_bytes()[:40]),
}
ACCEPTED = {
    "png": png_bytes(),
    "jpeg": jpeg_bytes(),
    "pdf": pdf_bytes(),
    "pdf with trailing newline": pdf_bytes() + b"\r\n",
}


@pytest.mark.parametrize("case", REFUSED)
def test_polyglots_and_renamed_programs_are_refused(case, tried):
    name, content = REFUSED[case]
    tried()
    with pytest.raises(ValidationError):
        detect_scan_kind(upload(name, content))


@pytest.mark.parametrize("case", ACCEPTED)
def test_clean_scans_are_accepted(case, tried):
    tried()
    assert detect_scan_kind(upload(f"scan.{case[:3]}", ACCEPTED[case]))


@pytest.mark.parametrize("case", ["png+php", "png+zip (GIFAR-like)", "exe as png", "pdf+html"])
def test_the_identity_upload_refuses_a_polyglot_beside_the_field(contact, case, tried):
    name, content = REFUSED[case]
    response = client_for(contact.user).post(
        reverse("customers:identity"),
        {"kind": "ktp", "number": VALID_NIK, "holder_name": "Budi", "scan": upload(name, content)},
    )
    tried()
    assert response.status_code == 200
    assert "scan" in response.context["form"].errors
    assert not IdentityDocument.objects.exists()
