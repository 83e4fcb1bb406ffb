"""K4, K5 on PostgreSQL: a decision taken while the recurring run issues the same
period's invoice. The run locks the service rows, then reads the approved requests
and issues; the decision locks the service first too, so it waits for the run and
then finds the new invoice (instead of approving a request the run did not see)."""

import threading
import time
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from invoices import jobs
from invoices.models import Invoice
from policy import services
from policy.models import Decision
from tests.factories import PlanFactory
from tests.policy.helpers import at

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
JANUARY = date(2027, 1, 1)
ISSUE_DAY = date(2026, 12, 18)  # January's invoice


@pytest.fixture
def december_done(service):
    with at(date(2026, 11, 18), hour=1):
        jobs.issue_recurring_invoices(today=date(2026, 11, 18))


def _run_held_open(monkeypatch):
    """Start the January run in a thread, and return once it has locked the service
    and read the approved requests: it then waits a second before it issues."""
    reading_done = threading.Event()
    real = jobs.invoices_issue_batch

    def slow(*, specs):
        reading_done.set()
        time.sleep(1)
        return real(specs=specs)

    monkeypatch.setattr(jobs, "invoices_issue_batch", slow)
    failures = []

    def run():
        try:
            jobs.issue_recurring_invoices(today=ISSUE_DAY)
        except Exception as exc:  # noqa: BLE001  # reported by the test below
            failures.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    assert reading_done.wait(10), failures
    return thread, failures


def test_k4_deferral_approved_during_the_run_reaches_the_invoice(
    service, verified, staff_user, december_done, monkeypatch
):
    with at(date(2026, 11, 10)):
        deferral = services.deferral_submit(
            service=service, requested_by=verified.user, reason="Their client pays late.",
            proposed_due_date=date(2027, 1, 20), period_start=JANUARY,
        )  # fmt: skip
    with at(ISSUE_DAY, hour=1):
        thread, failures = _run_held_open(monkeypatch)
        services.deferral_decide(deferral=deferral, staff=staff_user, approve=True, reason="OK")
        thread.join(10)
    assert not failures
    invoice = Invoice.objects.get(service=service, period_start=JANUARY)
    deferral.refresh_from_db()
    assert deferral.status == Decision.APPROVED
    assert deferral.applied_to == invoice
    assert invoice.due_date == date(2027, 1, 20)


def test_k5_change_approved_during_the_run_reaches_the_invoice(
    service, verified, staff_user, december_done, monkeypatch
):
    bigger = PlanFactory(product=service.product, name="10 GB", price=Decimal("200000"))
    with at(date(2026, 11, 10)):
        change = services.service_change_submit(
            service=service, requested_by=verified.user, kind="upgrade", new_plan=bigger,
            period_start=JANUARY,
        )  # fmt: skip
    with at(ISSUE_DAY, hour=1):
        thread, failures = _run_held_open(monkeypatch)
        services.service_change_decide(change=change, staff=staff_user, approve=True)
        thread.join(10)
    assert not failures
    live = Invoice.objects.exclude(status=Invoice.Status.CANCELLED).get(
        service=service, period_start=JANUARY
    )
    assert live.subtotal == Decimal("200000.00")
    service.refresh_from_db()
    assert service.recurring_price == Decimal("200000")
