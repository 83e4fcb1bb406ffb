"""Billing periods and the 30-day notice rule, in one pure module: no database, no clock.

K4 (payment deferral), K5 (service change) and the recurring invoice run all
compute their dates here.

A recurring service has two anchors, fixed when it is activated:

- ``period_anchor``: the first day of its first period. Period ``k`` starts ``k``
  cycles later, on the anchor's day of the month (or the month's last day when
  that day does not exist there: 31 January → 28/29 February → 31 March).
- ``invoice_anchor``: the day the invoices are issued, ``lead_days`` before the
  first period starts. The invoice of period ``k`` is issued ``k`` cycles after it,
  on the same day of the month (yearly cycles: same day and month), so every
  invoice comes on the date "as in the previous period" that the policy names.

A request about the invoice of a period (K4, K5) must arrive on or before that
invoice's issue date minus 30 days.
"""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

CYCLE_MONTHS = {"monthly": 1, "quarterly": 3, "semiannual": 6, "yearly": 12, "one_time": 0}
NOTICE_DAYS = 30


def add_months(day: date, months: int, *, anchor_day: int | None = None) -> date:
    """``day`` moved by ``months``, on ``anchor_day`` (default: ``day``'s own day of
    month), or on the last day of the month when that day does not exist there
    (31 January + 1 month = 28 or 29 February; 29 February + 12 months = 28 February)."""
    anchor = anchor_day or day.day
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(anchor, calendar.monthrange(year, month)[1]))


def period_end(*, start: date, cycle: str) -> date | None:
    """The last day of the period that starts on ``start``; None for one-time items."""
    months = CYCLE_MONTHS[cycle]
    if not months:
        return None
    return add_months(start, months) - timedelta(days=1)


def request_deadline(issue_date: date) -> date:
    """K4, K5: the last day to ask about the invoice issued on ``issue_date``."""
    return issue_date - timedelta(days=NOTICE_DAYS)


def in_time(*, today: date, issue_date: date) -> bool:
    """K4, K5: a request on the deadline day is in time; one day later is not."""
    return today <= request_deadline(issue_date)


@dataclass(frozen=True)
class Period:
    index: int
    start: date
    end: date
    issue_date: date

    @property
    def deadline(self) -> date:
        return request_deadline(self.issue_date)


@dataclass(frozen=True)
class Schedule:
    """The periods of one recurring service (see the module docstring)."""

    period_anchor: date
    invoice_anchor: date
    cycle: str

    def __post_init__(self):
        if not CYCLE_MONTHS.get(self.cycle):
            raise ValueError(f"{self.cycle!r} has no periods")

    @classmethod
    def starting(cls, *, first_day: date, cycle: str, lead_days: int) -> "Schedule":
        return cls(first_day, first_day - timedelta(days=lead_days), cycle)

    @property
    def months(self) -> int:
        return CYCLE_MONTHS[self.cycle]

    def period(self, index: int) -> Period:
        start = add_months(
            self.period_anchor, index * self.months, anchor_day=self.period_anchor.day
        )
        following = add_months(
            self.period_anchor, (index + 1) * self.months, anchor_day=self.period_anchor.day
        )
        issue = add_months(
            self.invoice_anchor, index * self.months, anchor_day=self.invoice_anchor.day
        )
        return Period(index, start, following - timedelta(days=1), issue)

    def period_containing(self, day: date) -> Period:
        """The period that ``day`` falls in (period 0 for days before the anchor)."""
        months_between = (day.year - self.period_anchor.year) * 12 + (
            day.month - self.period_anchor.month
        )
        index = max(months_between // self.months - 1, 0)
        while self.period(index + 1).start <= day:
            index += 1
        return self.period(index)

    def next_period(self, today: date) -> Period:
        """The first period that has not started yet on ``today`` (its invoice may
        already be issued: see ``next_to_invoice`` for the K4, K5 deadlines)."""
        return self.period(self.period_containing(today).index + 1)

    def next_to_invoice(self, today: date) -> Period:
        """K4, K5: the period of the next invoice issue date, the first period whose
        invoice is issued after ``today``. In the days between an invoice's issue and
        its period's start, that is the period after, never an invoice already sent."""
        period = self.period(max(self.period_containing(today).index - 1, 0))
        while period.issue_date <= today:
            period = self.period(period.index + 1)
        return period

    def earliest_open_period(self, today: date) -> Period:
        """K4, K5: the first period whose invoice can still be asked about on ``today``."""
        period = self.next_to_invoice(today)
        while not in_time(today=today, issue_date=period.issue_date):
            period = self.period(period.index + 1)
        return period

    def shift(self, day: date, *, periods: int) -> date:
        """``day`` moved by ``periods`` billing cycles, on the same day of the month,
        or the month's last day when that day does not exist there (K4: a proposed
        payment date carried to a later period)."""
        return add_months(day, periods * self.months)
