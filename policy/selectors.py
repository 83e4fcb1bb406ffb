"""Reads for the policy's requests, scoped to the customer's service."""

from dataclasses import dataclass

from django.shortcuts import get_object_or_404

from core import clock
from invoices.periods import Period
from orders.models import Service
from policy.models import Migration, PaymentDeferral, ServiceChange, TechnicalChange


@dataclass(frozen=True)
class Deadlines:
    """K4, K5: what the service page says about the next invoices."""

    next_period: Period
    earliest_open: Period

    @property
    def next_is_open(self) -> bool:
        return self.next_period.index == self.earliest_open.index


def deadlines_for(*, service: Service) -> Deadlines | None:
    schedule = service.schedule
    if schedule is None or service.status not in (Service.Status.ACTIVE, Service.Status.SUSPENDED):
        return None
    today = clock.today()
    return Deadlines(schedule.next_period(today), schedule.earliest_open_period(today))


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
