"""Checks on what is typed into the cart. Pure: no database."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def normalise_domain(value: str) -> str:
    return (value or "").strip().lower().rstrip(".").removeprefix("www.")


def validate_domain_name(value: str) -> None:
    """A well-formed domain: labels of letters, digits and hyphens (not at either end),
    each at most 63 characters, at most 253 in all, at least a name and an extension."""
    name = normalise_domain(value)
    labels = name.split(".")
    if len(labels) < 2 or len(name) > 253:
        raise ValidationError(
            _("Enter the whole domain with its extension, for example tokosaya.co.id."),
            code="domain_incomplete",
        )
    for label in labels:
        if not _LABEL.match(label):
            raise ValidationError(
                _(
                    "“%(label)s” is not allowed in a domain: use letters, digits and hyphens "
                    "(not at the start or end), at most 63 characters."
                )
                % {"label": label},
                code="domain_label",
            )


def split_domain(name: str, known_tlds) -> tuple[str, str] | None:
    """(name, tld) with the longest known extension (``.co.id`` before ``.id``)."""
    name = normalise_domain(name)
    for tld in sorted(known_tlds, key=len, reverse=True):
        if name.endswith(tld) and len(name) > len(tld) and name[-len(tld) - 1] != ".":
            return name[: -len(tld)], tld
    return None
