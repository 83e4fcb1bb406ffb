"""K10: ticket attachments are checked by content and size, stored privately and served
only to the account's contacts and staff."""

import pytest
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone

from core.validators import detect_attachment_kind, detect_scan_kind
from tests.factories import jpeg_bytes, pdf_bytes, png_bytes, upload
from tickets.models import Attachment, Ticket

ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 120
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200
LOG = "2026-03-10 08:00:01 [error] PHP Fatal error: Allowed memory size exhausted\n"


@pytest.mark.parametrize(
    ("name", "content", "mime", "extension"),
    [
        ("layar.png", png_bytes(), "image/png", ".png"),
        ("foto.jpg", jpeg_bytes(), "image/jpeg", ".jpg"),
        ("tagihan.pdf", pdf_bytes(), "application/pdf", ".pdf"),
        ("error.log", LOG.encode(), "text/plain", ".log"),
        ("catatan.TXT", "Situs tidak bisa dibuka — galat 500 ✓\n".encode(), "text/plain", ".txt"),
        # A PNG renamed to .txt is what its content says it is.
        ("layar.txt", png_bytes(), "image/png", ".png"),
    ],
)
def test_k10_images_pdfs_and_text_logs_are_accepted(name, content, mime, extension):
    kind = detect_attachment_kind(upload(name, content))
    assert (kind.mime, kind.extension) == (mime, extension)


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("program.exe", EXE, "wrong_type"),
        ("screenshot.png", EXE, "wrong_type"),  # renamed executable
        ("server.log", ELF, "wrong_type"),  # renamed executable with a text name
        ("notes.txt", b"plain text\x00with a NUL byte", "not_text"),
        ("latin1.log", "galat pada café".encode("latin-1"), "not_text"),
        ("page.html", b"<html><script>alert(1)</script></html>", "wrong_type"),
        ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "wrong_type"),
        ("empty.log", b"", "empty"),
    ],
)
def test_k10_forbidden_and_disguised_files_are_refused(name, content, code):
    with pytest.raises(ValidationError) as refused:
        detect_attachment_kind(upload(name, content))
    assert refused.value.code == code


def test_k10_a_file_over_the_limit_is_refused_with_the_limit(settings):
    settings.UPLOAD_MAX_BYTES = 1024
    with pytest.raises(ValidationError) as refused:
        detect_attachment_kind(upload("big.log", b"a" * 2048))
    assert refused.value.code == "too_large"
    assert filesizeformat(1024) in refused.value.messages[0]


def test_the_scan_check_still_refuses_text():
    """The identity and transfer-proof check is unchanged: a text file is not a scan."""
    with pytest.raises(ValidationError) as refused:
        detect_scan_kind(upload("ktp.txt", LOG.encode()))
    assert refused.value.code == "wrong_type"


def _form(**extra):
    return {
        "service": extra.pop("service"),
        "subject": "Website shows error 500 since this morning",
        "description": "Every page of tokosaya.co.id shows error 500 since eight this morning.",
        "error_message": "500 Internal Server Error",
        "steps_taken": "Cleared the browser cache and tried another network.",
        "started_on": timezone.localdate().isoformat(),
        **extra,
    }


def test_k10_several_attachments_are_stored_privately(customer_client, hosting, settings):
    response = customer_client.post(
        reverse("tickets:create", args=["technical"]),
        _form(
            service=hosting.pk,
            attachments=[upload("layar.png", png_bytes()), upload("error.log", LOG.encode())],
        ),
    )
    assert response.status_code == 302
    attachments = list(Attachment.objects.order_by("pk"))
    assert [a.original_name for a in attachments] == ["layar.png", "error.log"]
    stored = attachments[0].file.path
    assert stored.startswith(str(settings.PRIVATE_MEDIA_ROOT))
    assert "layar" not in stored  # a random name, not the customer's


@pytest.mark.parametrize(
    ("name", "content"),
    [("setup.exe", EXE), ("screenshot.png", EXE), ("big.png", None)],
)
def test_k10_a_refused_attachment_is_named_beside_the_field_and_the_text_is_kept(
    customer_client, hosting, settings, name, content
):
    settings.UPLOAD_MAX_BYTES = 2000
    content = content if content is not None else png_bytes((400, 400)) + b"\x00" * 3000
    response = customer_client.post(
        reverse("tickets:create", args=["technical"]),
        _form(
            service=hosting.pk, attachments=[upload("ok.png", png_bytes()), upload(name, content)]
        ),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["attachments"]
    assert name in errors["attachments"][0]
    html = response.content.decode()
    assert "Cleared the browser cache and tried another network." in html
    assert 'value="Website shows error 500 since this morning"' in html
    assert not Ticket.objects.exists()


def test_k10_at_most_five_files_per_message(customer_client, hosting):
    files = [upload(f"layar{n}.png", png_bytes()) for n in range(6)]
    response = customer_client.post(
        reverse("tickets:create", args=["technical"]), _form(service=hosting.pk, attachments=files)
    )
    assert "attachments" in response.context["form"].errors


def test_an_attachment_is_served_as_a_download_to_the_account(customer_client, hosting):
    customer_client.post(
        reverse("tickets:create", args=["technical"]),
        _form(service=hosting.pk, attachments=[upload("error.log", LOG.encode())]),
    )
    attachment = Attachment.objects.get()
    response = customer_client.get(reverse("tickets:attachment", args=[attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).decode() == LOG
