"""Templated e-mail in the recipient's language, through Django's mail backends."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template import engines
from django.utils import translation


def send_templated_mail(
    *, to: list[str], language: str, template: str, context: dict, attachments=(), headers=None
) -> None:
    """Render ``<template>_subject.txt`` and ``<template>_body.txt`` in ``language``
    and send them. ``attachments`` are (filename, content, mimetype) tuples; ``headers``
    extra headers (a fixed ``Message-ID``, for one)."""
    with translation.override(language):
        context = {"portal_url": settings.PORTAL_BASE_URL, **context}
        text = engines["text"]  # plain text: names like "O'Neil & Co" stay as typed
        subject = text.get_template(f"{template}_subject.txt").render(context).strip()
        body = text.get_template(f"{template}_body.txt").render(context)
    message = EmailMessage(
        subject=" ".join(subject.split()),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        headers=headers,
    )
    for attachment in attachments:
        message.attach(*attachment)
    message.send()


def absolute_url(path: str) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + path
