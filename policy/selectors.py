"""Reads for the policy's requests, scoped to the customer's service."""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from core import clock
from invoices.periods import Period
from orders.models import Service
from policy.models import Decision, Migration, PaymentDeferral, ServiceChange, TechnicalChange


@dataclass(frozen=True)
class Deadlines:
    """K4, K5: what the service page says about the next invoices: the period of the
    next invoice not yet issued, and the earliest period still open to requests."""

    next_period: Period
    earliest_open: Period

    @property
    def next_is_open(self) -> bool:
        return self.next_period.index == self.earliest_open.index


def deadlines_for(*, service: Service) -> Deadlines | None:
    """K4, K5: the deadlines counted from the next invoice issue date, as requests are."""
    schedule = service.schedule
    if schedule is None or service.status not in (Service.Status.ACTIVE, Service.Status.SUSPENDED):
        return None
    today = clock.today()
    return Deadlines(schedule.next_to_invoice(today), schedule.earliest_open_period(today))


def requests_for(*, service: Service) -> dict:
    """Every request about one service, newest first: four small queries."""
    return {
        "deferrals": PaymentDeferral.objects.filter(service=service).select_related("applied_to"),
        "changes": ServiceChange.objects.filter(service=service).select_related("new_plan"),
        "technical": TechnicalChange.objects.filter(service=service),
        "migrations": Migration.objects.filter(service=service),
    }


def technical_change_of(*, customer, pk: int) -> TechnicalChange:
    return get_object_or_404(TechnicalChange, customer=customer, pk=pk)


def approved_changes(*, services, until=None) -> QuerySet[ServiceChange]:
    """K5: the approved changes that the invoices of ``services`` bill, oldest first
    (with ``until``: only those applying from a period starting on or before it).
    A mid-period upgrade is left out: it is on the service already. Read by the
    recurring run and by the correction of an issued invoice alike."""
    changes = ServiceChange.objects.filter(
        service__in=services, status=Decision.APPROVED, effective_immediately=False
    )
    if until is not None:
        changes = changes.filter(period_start__lte=until)
    return changes.select_related("new_plan").order_by("period_start", "pk")
