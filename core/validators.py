"""Checks on uploaded files, by their content and size, never by their name."""

import codecs
import re
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError


@dataclass(frozen=True)
class UploadKind:
    mime: str
    extension: str


SCAN_KINDS = {
    "image/jpeg": UploadKind("image/jpeg", ".jpg"),
    "image/png": UploadKind("image/png", ".png"),
    "application/pdf": UploadKind("application/pdf", ".pdf"),
}


def detect_scan_kind(upload) -> UploadKind:
    """Return what a scan really is (JPEG, PNG or PDF), or refuse it.

    The size is checked first; then the leading bytes decide the type; images must
    decode and PDFs must be complete, so an executable or script renamed to
    ``.jpg``/``.pdf`` is refused whatever its name says. A polyglot is refused too:
    bytes after the image's end marker or the PDF's last ``%%EOF`` (an appended ZIP,
    JAR or script), markup such as ``<script`` or ``<?php`` inside the file, or a PDF
    that carries JavaScript or attached files.
    """
    limit = settings.UPLOAD_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("This file is %(size)s; the largest file accepted is %(limit)s.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            code="too_large",
        )
    if upload.size == 0:
        raise ValidationError(_("This file is empty."), code="empty")
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    guess = filetype.guess(head)
    kind = SCAN_KINDS.get(guess.mime) if guess else None
    if kind is None:
        raise ValidationError(
            _(
                "Upload a JPEG, PNG or PDF file. "
                "This file is not one of them, whatever its name says."
            ),
            code="wrong_type",
        )
    if kind.mime == "application/pdf":
        _check_pdf(upload)
    else:
        _check_image(upload)
    upload.seek(0)
    return kind


# Markup or script that has no business inside a scan: their presence makes the file a
# polyglot (an image or PDF that is also a web page or a PHP script).
SCRIPT_MARKERS = re.compile(rb"<\?php|<script|<html|<svg|<iframe|<body", re.IGNORECASE)
# PDF features that run code or carry other files; a scanned document needs none of them.
PDF_ACTIVE_CONTENT = re.compile(
    rb"/(?:JavaScript|JS|Launch|EmbeddedFile|RichMedia|XFA)(?![A-Za-z])"
)


def _polyglot_error() -> ValidationError:
    return ValidationError(
        _(
            "This file carries something besides the picture or document (for example a "
            "script or an archive). Save the scan again as a plain JPEG, PNG or PDF."
        ),
        code="polyglot",
    )


def _read_all(upload) -> bytes:
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    return data


def _check_pdf(upload) -> None:
    """A PDF must end at its last ``%%EOF`` (whitespace aside) and hold no active content."""
    data = _read_all(upload)
    end = data.rfind(b"%%EOF")
    if end == -1 or end < len(data) - 2048:
        raise ValidationError(
            _("This PDF is damaged or incomplete. Save it again and upload the new file."),
            code="broken_pdf",
        )
    if data[end + 5 :].strip(b" \t\r\n\x00") or SCRIPT_MARKERS.search(data):
        raise _polyglot_error()
    if PDF_ACTIVE_CONTENT.search(data):
        raise ValidationError(
            _(
                "This PDF contains scripts or attached files. Print it to a new PDF, or "
                "scan the paper again, and upload that."
            ),
            code="active_pdf",
        )


def _check_image(upload) -> None:
    try:
        with Image.open(upload) as image:
            image_format = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(
            _("This image cannot be read. Take a new photo or scan and upload that."),
            code="broken_image",
        ) from exc
    data = _read_all(upload)
    end = _png_end(data) if image_format == "PNG" else _jpeg_end(data)
    # Anything after the image's end marker (a ZIP, a JAR, a script) or markup inside it.
    if end is None or data[end:].strip(b"\x00") or SCRIPT_MARKERS.search(data):
        raise _polyglot_error()


def _png_end(data: bytes) -> int | None:
    """Offset just past the PNG's IEND chunk, walking the chunks; None if there is none."""
    position = 8
    while position + 8 <= len(data):
        length = int.from_bytes(data[position : position + 4], "big")
        kind = data[position + 4 : position + 8]
        position += 12 + length
        if kind == b"IEND":
            return position if position <= len(data) else None
    return None


def _jpeg_end(data: bytes) -> int | None:
    """Offset just past the JPEG's EOI marker, walking its segments; None if there is none.

    Scan data (after SOS) is skipped up to the next marker that is neither a stuffed
    ``FF 00`` nor a restart marker, so a progressive JPEG's several scans are followed.
    """
    position = 2
    size = len(data)
    while position + 4 <= size:
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0xD9:
            return position + 2
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            position += 2
            continue
        length = int.from_bytes(data[position + 2 : position + 4], "big")
        position += 2 + length
        if marker == 0xDA:  # start of scan: entropy-coded data until the next marker
            while position + 1 < size:
                if data[position] == 0xFF and data[position + 1] not in (0x00, *range(0xD0, 0xD8)):
                    break
                position += 1
    if position + 2 <= size and data[position : position + 2] == b"\xff\xd9":
        return position + 2
    return None


def detect_attachment_kind(upload) -> UploadKind:
    """K10: what a ticket attachment really is, or refuse it.

    A JPEG, PNG or PDF is checked exactly as ``detect_scan_kind`` checks a scan. A file
    named ``.txt`` or ``.log`` whose content has no binary signature is accepted as a
    plain-text log when all of it is valid UTF-8 without NUL bytes, so a program renamed
    to ``.log`` is refused. Anything else is refused, whatever its name says.
    """
    name = (getattr(upload, "name", "") or "").lower()
    extension = next((ext for ext in (".txt", ".log") if name.endswith(ext)), None)
    if extension and 0 < upload.size <= settings.UPLOAD_MAX_BYTES:
        upload.seek(0)
        if filetype.guess(upload.read(8192)) is None:
            upload.seek(0)
            decoder = codecs.getincrementaldecoder("utf-8")()
            try:
                for chunk in iter(lambda: upload.read(64 * 1024), b""):
                    if b"\x00" in chunk:
                        raise ValueError("NUL byte")
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
            except ValueError as exc:  # UnicodeDecodeError too
                raise ValidationError(
                    _(
                        "This file is not plain text. Save the log as UTF-8 text, or upload "
                        "a screenshot (JPEG, PNG) or a PDF instead."
                    ),
                    code="not_text",
                ) from exc
            finally:
                upload.seek(0)
            return UploadKind("text/plain", extension)
    try:
        return detect_scan_kind(upload)
    except ValidationError as exc:
        if exc.code != "wrong_type":
            raise
        raise ValidationError(
            _(
                "Upload a screenshot (JPEG, PNG), a PDF or a text log (.txt, .log). "
                "This file is not one of them, whatever its name says."
            ),
            code="wrong_type",
        ) from exc
