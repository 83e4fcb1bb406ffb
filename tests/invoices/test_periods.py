"""K4, K5: the notice rule and billing periods, across month ends, 29 February and
every billing cycle (property tests with hypothesis, plus the named edge dates)."""

import calendar
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from invoices.periods import (
    Schedule,
    add_months,
    in_time,
    period_end,
    request_deadline,
)

CYCLES = ["monthly", "quarterly", "semiannual", "yearly"]
days = st.dates(min_value=date(2020, 1, 1), max_value=date(2040, 12, 31))


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2027, 1, 31), 1, date(2027, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2028, 2, 29), 48, date(2032, 2, 29)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
    ],
)
def test_add_months_clamps_to_the_month_end(start, months, expected):
    assert add_months(start, months) == expected


def test_31_january_monthly_keeps_its_day_after_february():
    schedule = Schedule.starting(first_day=date(2027, 1, 31), cycle="monthly", lead_days=14)
    starts = [schedule.period(k).start for k in range(4)]
    assert starts == [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30)]
    assert schedule.period(0).end == date(2027, 2, 27)
    assert schedule.period(1).end == date(2027, 3, 30)


def test_29_february_yearly_issues_on_28_february_then_back_on_29():
    schedule = Schedule(date(2028, 3, 14), date(2028, 2, 29), "yearly")
    issues = [schedule.period(k).issue_date for k in range(5)]
    assert issues == [
        date(2028, 2, 29),
        date(2029, 2, 28),
        date(2030, 2, 28),
        date(2031, 2, 28),
        date(2032, 2, 29),
    ]


def test_deadline_day_is_in_time_and_the_day_after_is_not():
    issue = date(2027, 1, 1)
    assert request_deadline(issue) == date(2026, 12, 2)
    assert in_time(today=date(2026, 12, 2), issue_date=issue)
    assert not in_time(today=date(2026, 12, 3), issue_date=issue)


def test_one_time_items_have_no_periods():
    assert period_end(start=date(2026, 1, 1), cycle="one_time") is None
    with pytest.raises(ValueError):
        Schedule.starting(first_day=date(2026, 1, 1), cycle="one_time", lead_days=14)


@given(first=days, cycle=st.sampled_from(CYCLES), lead=st.integers(0, 28), k=st.integers(0, 40))
def test_periods_follow_each_other_without_gaps(first, cycle, lead, k):
    schedule = Schedule.starting(first_day=first, cycle=cycle, lead_days=lead)
    current, following = schedule.period(k), schedule.period(k + 1)
    assert following.start == current.end + timedelta(days=1)
    assert current.start <= current.end
    assert current.issue_date < following.issue_date


@given(first=days, cycle=st.sampled_from(CYCLES), lead=st.integers(0, 28), k=st.integers(0, 40))
def test_invoices_come_on_the_same_day_as_the_previous_period(first, cycle, lead, k):
    schedule = Schedule.starting(first_day=first, cycle=cycle, lead_days=lead)
    anchor = schedule.invoice_anchor
    issue = schedule.period(k).issue_date
    last_day = (add_months(issue.replace(day=1), 1) - timedelta(days=1)).day
    assert issue.day == min(anchor.day, last_day)
    if cycle == "yearly":
        assert issue.month == anchor.month


@given(issue=days)
def test_deadline_is_exactly_30_days_before_the_issue_date(issue):
    deadline = request_deadline(issue)
    assert (issue - deadline).days == 30
    assert in_time(today=deadline, issue_date=issue)
    assert not in_time(today=deadline + timedelta(days=1), issue_date=issue)


@given(
    first=days, cycle=st.sampled_from(CYCLES), lead=st.integers(0, 28), offset=st.integers(0, 2000)
)
def test_earliest_open_period_is_the_first_still_in_time(first, cycle, lead, offset):
    schedule = Schedule.starting(first_day=first, cycle=cycle, lead_days=lead)
    today = first + timedelta(days=offset)
    period = schedule.earliest_open_period(today)
    assert in_time(today=today, issue_date=period.issue_date)
    assert period.start > today
    assert period.index >= schedule.next_to_invoice(today).index
    if period.index > schedule.next_to_invoice(today).index:
        earlier = schedule.period(period.index - 1)
        assert not in_time(today=today, issue_date=earlier.issue_date)


@given(
    first=days, cycle=st.sampled_from(CYCLES), lead=st.integers(0, 28), offset=st.integers(0, 2000)
)
def test_next_to_invoice_is_the_first_invoice_not_issued_yet(first, cycle, lead, offset):
    """K4, K5: the deadline counts from the next invoice issue date: the first period
    whose invoice is issued after today, never one already sent."""
    schedule = Schedule.starting(first_day=first, cycle=cycle, lead_days=lead)
    today = first + timedelta(days=offset)
    period = schedule.next_to_invoice(today)
    assert period.issue_date > today
    if period.index:
        assert schedule.period(period.index - 1).issue_date <= today


def test_next_to_invoice_between_an_issue_date_and_its_period():
    """K4, K5: on 19 November the December invoice (18 November) is already sent: the
    next invoice is January's, issued 18 December, asked about by 18 November."""
    schedule = Schedule.starting(first_day=date(2026, 11, 1), cycle="monthly", lead_days=14)
    on_the_19th = schedule.next_to_invoice(date(2026, 11, 19))
    assert (on_the_19th.start, on_the_19th.issue_date, on_the_19th.deadline) == (
        date(2027, 1, 1),
        date(2026, 12, 18),
        date(2026, 11, 18),
    )
    assert schedule.next_to_invoice(date(2026, 11, 18)).start == date(2027, 1, 1)
    assert schedule.next_to_invoice(date(2026, 11, 17)).start == date(2026, 12, 1)


@pytest.mark.parametrize(
    ("day", "periods", "expected"),
    [
        (date(2027, 1, 20), 1, date(2027, 2, 20)),
        (date(2027, 1, 31), 1, date(2027, 2, 28)),
        (date(2027, 1, 31), 2, date(2027, 3, 31)),
        (date(2027, 1, 20), 0, date(2027, 1, 20)),
    ],
)
def test_same_day_periods_later_clamps_to_the_month_end(day, periods, expected):
    schedule = Schedule.starting(first_day=date(2026, 11, 1), cycle="monthly", lead_days=14)
    assert schedule.shift(day, periods=periods) == expected


@given(day=days, periods=st.integers(0, 12), cycle=st.sampled_from(CYCLES))
def test_shift_moves_by_whole_cycles(day, periods, cycle):
    schedule = Schedule.starting(first_day=date(2026, 1, 31), cycle=cycle, lead_days=14)
    moved = schedule.shift(day, periods=periods)
    months = (moved.year - day.year) * 12 + moved.month - day.month
    assert months == periods * schedule.months
    assert moved.day == min(day.day, calendar.monthrange(moved.year, moved.month)[1])


@given(first=days, cycle=st.sampled_from(CYCLES), offset=st.integers(0, 3000))
def test_period_containing_contains_the_day(first, cycle, offset):
    schedule = Schedule.starting(first_day=first, cycle=cycle, lead_days=14)
    day = first + timedelta(days=offset)
    period = schedule.period_containing(day)
    assert period.start <= day <= period.end
