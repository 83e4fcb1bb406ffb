"""Dates as the lists show them, on every row: ``5 Agu 2026`` and ``5 Agu 2026 14:30``.

The same text as Django's ``date`` filter with ``"j M Y"`` and ``"j M Y H:i"`` (the
month's three-letter name in the active language, the time in the current time zone),
without parsing the format string and dispatching each of its characters on every call,
and with the month names translated once per language.
"""

from functools import lru_cache

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.dates import MONTHS_3
from django.utils.translation import get_language

register = template.Library()


@lru_cache(maxsize=64)
def _month_names(language: str | None) -> dict[int, str]:
    # Called with the active language: the names are translated into it.
    return {month: name.title() for month, name in MONTHS_3.items()}


@receiver(setting_changed)
def _forget_month_names(**kwargs):
    """A setting changed (in a test): the translations may differ."""
    _month_names.cache_clear()


def _day_month_year(value) -> str:
    return f"{value.day} {_month_names(get_language())[value.month]} {value.year:04d}"


@register.filter(expects_localtime=True)
def short_date(value) -> str:
    """``value|date:"j M Y"``."""
    if value in (None, ""):
        return ""
    return _day_month_year(value)


@register.filter(expects_localtime=True)
def short_datetime(value) -> str:
    """``value|date:"j M Y H:i"``; a datetime is shown in the current time zone (WIB)."""
    if value in (None, ""):
        return ""
    return f"{_day_month_year(value)} {value.hour:02d}:{value.minute:02d}"
