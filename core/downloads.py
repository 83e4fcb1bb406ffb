"""Serving private files: always as an attachment, never sniffed or cached."""

from django.http import FileResponse


def private_file_response(fieldfile, *, filename: str, content_type: str) -> FileResponse:
    response = FileResponse(
        fieldfile.open("rb"), as_attachment=True, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store, private"
    return response
