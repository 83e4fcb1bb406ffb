"""Pure checks on what a customer types about a custom project. No database."""

import re

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

_WORD = re.compile(r"\w{2,}")


def real_length(value: str) -> int:
    """The length of ``value`` once runs of spaces and line breaks count as one."""
    return len(" ".join((value or "").split()))


@deconstructible
class MinimumRealLength:
    """Custom projects: the basics must really be described, not waved at.

    A text passes with at least ``min_chars`` characters (spaces collapsed) and
    ``min_words`` different words, so "website" padded with dots, or one word
    repeated, does not.
    """

    def __init__(self, min_chars: int, min_words: int = 5):
        self.min_chars = min_chars
        self.min_words = min_words

    def __call__(self, value: str) -> None:
        length = real_length(value)
        words = {word.lower() for word in _WORD.findall(value or "")}
        if length >= self.min_chars and len(words) >= self.min_words:
            return
        raise ValidationError(
            _(
                "Describe this in at least %(min_chars)d characters and %(min_words)d "
                "different words (you wrote %(length)s), so our staff can quote the "
                "project without guessing."
            ),
            code="too_short",
            params={
                "min_chars": self.min_chars,
                "min_words": self.min_words,
                "length": ngettext("%(n)d character", "%(n)d characters", length) % {"n": length},
            },
        )

    def __eq__(self, other):
        return (
            isinstance(other, MinimumRealLength)
            and self.min_chars == other.min_chars
            and self.min_words == other.min_words
        )

    def __hash__(self):
        return hash((self.min_chars, self.min_words))
