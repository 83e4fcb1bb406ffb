"""The lists' dates (core.templatetags.dates) read as Django's ``date`` filter does."""

from datetime import UTC, date, datetime

import pytest
from django.template import Context, Template
from django.utils import translation

from core.templatetags.dates import short_date, short_datetime

DATE = Template('{% load dates %}{{ value|short_date }}|{{ value|date:"j M Y" }}')
DATETIME = Template('{% load dates %}{{ value|short_datetime }}|{{ value|date:"j M Y H:i" }}')


def render(value) -> list[str]:
    """Ours and Django's, as the date; and for a moment, as the date and time too."""
    context = Context({"value": value})
    shown = DATE.render(context).split("|")
    if isinstance(value, datetime):
        shown += DATETIME.render(context).split("|")
    return shown


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("month", range(1, 13))
def test_a_date_reads_as_djangos_date_filter(language, month):
    with translation.override(language):
        ours, djangos = render(date(2026, month, 7))
    assert ours == djangos


def test_month_names_follow_the_active_language():
    with translation.override("id"):
        assert short_date(date(2026, 8, 17)) == "17 Agu 2026"
    with translation.override("en"):
        assert short_date(date(2026, 8, 17)) == "17 Aug 2026"


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 3, 5, 16, 30, tzinfo=UTC),  # 23:30 WIB, the same day
        datetime(2026, 12, 31, 17, 5, tzinfo=UTC),  # 00:05 WIB, the next year
        datetime(2026, 5, 1, 1, 0, tzinfo=UTC),
    ],
)
def test_a_moment_is_shown_in_wib_as_djangos_date_filter_shows_it(language, moment):
    with translation.override(language):
        date_ours, date_djangos, ours, djangos = render(moment)
    assert (date_ours, ours) == (date_djangos, djangos)


def test_the_new_year_in_wib():
    assert render(datetime(2026, 12, 31, 17, 5, tzinfo=UTC))[2] == "1 Jan 2027 00:05"


def test_nothing_shows_nothing():
    assert short_date(None) == short_datetime(None) == short_date("") == ""
