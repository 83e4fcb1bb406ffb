"""Glue between allauth's e-mail login and django-axes' lockout."""


def login_identifier(request, credentials) -> str | None:
    """The e-mail address a login attempt names, as django-axes should count it.

    allauth authenticates with ``email=...``; its form posts the address as ``login``;
    Django's own forms use ``username``. Lower-cased, so ``Ani@X`` and ``ani@x`` share
    one count of failures.
    """
    credentials = credentials or {}
    value = credentials.get("email") or credentials.get("username")
    if not value and request is not None:
        value = request.POST.get("login") or request.POST.get("username")
    return value.strip().lower() if value else None
