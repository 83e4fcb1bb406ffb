"""The one place that says what "today" is, in Asia/Jakarta (WIB), so tests can
move time with time-machine and every rule compares the same dates."""

from datetime import date, datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()


def today() -> date:
    return timezone.localdate()
