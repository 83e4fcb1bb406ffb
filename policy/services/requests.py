"""K4 payment deferrals and K5 service changes: submitted within the 30-day notice
rule (staff may override it with a reason), then decided by staff."""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core import clock
from customers.models import User
from invoices.models import Invoice
from invoices.periods import Period, in_time
from invoices.selectors import period_invoices_for_update
from invoices.services import invoice_apply_deferrals
from orders.models import Plan, Service
from policy.models import PaymentDeferral, ServiceChange
from policy.services import invoicing
from policy.services.common import (
    OPEN_SERVICE,
    day,
    decide,
    lock_pending,
    lock_service,
    save_new,
)


class TooLate(ValidationError):
    """K4, K5: the deadline for the period's invoice has passed.

    Carries the period that was missed and the earliest period still open, so the
    customer can be offered that one.
    """

    def __init__(self, *, missed: Period, earliest: Period):
        self.missed, self.earliest = missed, earliest
        super().__init__(
            _(
                "Requests about the invoice of %(issue)s (period starting %(start)s) had to "
                "reach us by %(deadline)s, 30 days before the invoice. The earliest period you "
                "can still ask for starts on %(next_start)s: its deadline is %(next_deadline)s."
            )
            % {
                "issue": day(missed.issue_date),
                "start": day(missed.start),
                "deadline": day(missed.deadline),
                "next_start": day(earliest.start),
                "next_deadline": day(earliest.deadline),
            },
            code="too_late",
        )


def _open_schedule(service: Service):
    if service.status not in OPEN_SERVICE:
        raise ValidationError(
            {
                "service": _(
                    "This service is %(status)s; requests can only be made for an active service."
                )
                % {"status": service.get_status_display().lower()}
            }
        )
    schedule = service.schedule
    if schedule is None:
        raise ValidationError(
            {"service": _("This service is not billed per period, so there is no next invoice.")}
        )
    return schedule


def request_period(
    *, service: Service, period_start=None, actor: User, override_reason: str = ""
) -> Period:
    """K4, K5: the period a request is about, held to the 30-day rule unless staff
    override it with a reason. By default it is the period of the next invoice not
    yet issued; a period chosen explicitly must not have started (staff may still
    ask, with an override, about an invoice already issued for a period to come)."""
    schedule = _open_schedule(service)
    today = clock.today()
    period = schedule.next_to_invoice(today)
    if period_start is not None:
        chosen = schedule.period_containing(period_start)
        if chosen.start != period_start:
            raise ValidationError(
                {
                    "period_start": _(
                        "%(date)s is not the first day of a period of this service; the "
                        "next period not invoiced yet starts on %(next)s."
                    )
                    % {"date": day(period_start), "next": day(period.start)}
                }
            )
        if chosen.index < schedule.next_period(today).index:
            raise ValidationError(
                {
                    "period_start": _(
                        "The period starting %(start)s has already started; choose a later "
                        "one (the next not invoiced yet starts on %(next)s)."
                    )
                    % {"start": day(chosen.start), "next": day(period.start)}
                }
            )
        period = chosen
    if in_time(today=today, issue_date=period.issue_date):
        return period
    if actor.is_staff and override_reason.strip():
        return period
    raise TooLate(missed=period, earliest=schedule.earliest_open_period(today))


def _kept_override(period: Period, requested_by: User, override_reason: str) -> str:
    """K4, K5: the override reason is recorded when staff set the rule aside: a late
    request they entered. A customer's is never kept."""
    late = not in_time(today=clock.today(), issue_date=period.issue_date)
    return override_reason.strip() if requested_by.is_staff and late else ""


def _entry_reason(what: str, request) -> str:
    """The audit's reason for a new request: who entered it, and the override."""
    if not request.requested_by.is_staff:
        return f"{what} requested"
    reason = f"{what} entered by staff for the customer"
    if request.override_reason:
        reason += f" (override: {request.override_reason})"
    return reason


def deferral_window(period: Period) -> tuple:
    """K4: a proposed payment date comes after the invoice's normal due date and no
    later than the end of its period: (normal due date, last possible date)."""
    return period.issue_date + timedelta(days=settings.INVOICE_DUE_DAYS), period.end


def offered_due_date(*, service: Service, late: TooLate, proposed):
    """K4: the payment date to propose for the period offered after a late request,
    always one that the offered period's form accepts (``deferral_window``).

    A date meant for the missed period (not after its end) moves as many billing
    cycles as the period did, on the same day of the month or that month's last day;
    a later date already aims past the missed period and is kept. Either way, a date
    still on or before the offered invoice's normal due date moves on by whole
    cycles while that stays inside the offered period, and is then held inside its
    window: the day after the normal due date at the earliest, the period's last day
    at the latest."""
    schedule = service.schedule
    normal_due, last = deferral_window(late.earliest)
    cycles = 0 if proposed > late.missed.end else late.earliest.index - late.missed.index
    while (
        schedule.shift(proposed, periods=cycles) <= normal_due
        and schedule.shift(proposed, periods=cycles + 1) <= last
    ):
        cycles += 1
    offered = schedule.shift(proposed, periods=cycles)
    return min(max(offered, normal_due + timedelta(days=1)), last)


def deferral_submit(
    *, service: Service, requested_by: User, reason: str, proposed_due_date,
    period_start=None, override_reason: str = "",
) -> PaymentDeferral:  # fmt: skip
    """K4: ask to pay a period's invoice later. On or before the deadline it waits for
    staff; after it, ``TooLate`` names the missed deadline and the next open period.
    Staff may enter it for the customer, late only with an override reason."""
    period = request_period(
        service=service, period_start=period_start, actor=requested_by,
        override_reason=override_reason,
    )  # fmt: skip
    normal_due, last = deferral_window(period)
    if proposed_due_date <= normal_due:
        raise ValidationError(
            {
                "proposed_due_date": _(
                    "The invoice is due on %(due)s anyway; propose a later date."
                )
                % {"due": day(normal_due)}
            }
        )
    if proposed_due_date > last:
        raise ValidationError(
            {
                "proposed_due_date": _(
                    "A payment can be deferred at most until the end of its period, %(end)s."
                )
                % {"end": day(last)}
            }
        )
    deferral = PaymentDeferral(
        customer=service.customer,
        service=service,
        requested_by=requested_by,
        period_start=period.start,
        issue_date=period.issue_date,
        deadline=period.deadline,
        reason=reason,
        proposed_due_date=proposed_due_date,
        override_reason=_kept_override(period, requested_by, override_reason),
    )
    return save_new(deferral, actor=requested_by, reason=_entry_reason("deferral", deferral))


def _check_new_plan(*, service: Service, kind: str, new_plan: Plan | None) -> None:
    """K5: a plan change names another plan of the same product and billing cycle,
    dearer for an upgrade, cheaper for a downgrade."""
    if new_plan is None or new_plan.product_id != service.product_id:
        raise ValidationError({"new_plan": _("Choose another plan of the same product.")})
    if new_plan.pk == service.plan_id:
        raise ValidationError({"new_plan": _("This is the plan the service already has.")})
    if new_plan.cycle != service.cycle:
        raise ValidationError(
            {
                "new_plan": _(
                    "This service is billed %(cycle)s: choose a plan with the same billing "
                    "cycle. A change of billing cycle is a new order."
                )
                % {"cycle": service.get_cycle_display().lower()}
            }
        )
    if (kind == ServiceChange.Kind.UPGRADE) != (new_plan.price > service.recurring_price):
        raise ValidationError(
            {"kind": _("An upgrade costs more than the current plan; a downgrade costs less.")}
        )


def service_change_submit(
    *, service: Service, requested_by: User, kind: str, new_plan: Plan | None = None,
    addon_description: str = "", note: str = "", period_start=None, override_reason: str = "",
) -> ServiceChange:  # fmt: skip
    """K5: change the service from a period's invoice on. A late request raises
    ``TooLate``, which offers the earliest period it can still apply to. Staff may
    enter it for the customer, late only with an override reason."""
    if kind in (ServiceChange.Kind.UPGRADE, ServiceChange.Kind.DOWNGRADE):
        _check_new_plan(service=service, kind=kind, new_plan=new_plan)
    else:
        new_plan = None
    period = request_period(
        service=service, period_start=period_start, actor=requested_by,
        override_reason=override_reason,
    )  # fmt: skip
    change = ServiceChange(
        customer=service.customer,
        service=service,
        requested_by=requested_by,
        period_start=period.start,
        issue_date=period.issue_date,
        deadline=period.deadline,
        kind=kind,
        new_plan=new_plan,
        addon_description=addon_description,
        note=note,
        override_reason=_kept_override(period, requested_by, override_reason),
    )
    return save_new(change, actor=requested_by, reason=_entry_reason(f"change {kind}", change))


def _late_needs_override(request, *, approve: bool, override_reason: str):
    """K4, K5: a request that missed its deadline is approved only with an override."""
    late = request.was_late
    if approve and late and not (request.override_reason or override_reason.strip()):
        raise ValidationError(
            {
                "override_reason": _(
                    "This request came after its deadline of %(deadline)s: give an override reason."
                )
                % {"deadline": day(request.deadline)}
            }
        )


def _started_needs_override(change: ServiceChange, *, service: Service, override_reason: str):
    """K5: a change applies from the start of its period. Once that period has begun,
    its invoice may be overdue (the service suspended for it) and half of the period
    used: approving the change corrects it after the fact, so staff must set the rule
    aside with an override reason given with this decision, which is recorded. A
    reason given when the request was entered does not count: its period had not
    started then."""
    today = clock.today()
    if change.period_start > today or override_reason.strip():
        return
    upcoming = service.schedule.next_to_invoice(today)  # requests are about recurring services
    raise ValidationError(
        {
            "override_reason": _(
                "The period starting %(start)s has already started, so approving this "
                "change now corrects that period's invoice after the fact. Give an override "
                "reason to do so anyway, or reject it and enter the change for the period "
                "starting %(next)s."
            )
            % {"start": day(change.period_start), "next": day(upcoming.start)}
        }
    )


@transaction.atomic
def deferral_decide(
    *, deferral: PaymentDeferral, staff: User, approve: bool, reason: str = "",
    override_reason: str = "",
) -> PaymentDeferral:  # fmt: skip
    """K4: staff approve (the period's invoice becomes due on the proposed date,
    now or when it is issued) or reject with a reason. The service is locked first,
    as the recurring run locks it, so an approval never misses an invoice being
    issued at that moment."""
    service = lock_service(deferral.service_id)
    locked = lock_pending(PaymentDeferral, deferral.pk)
    _late_needs_override(locked, approve=approve, override_reason=override_reason)
    if approve:
        for invoice in period_invoices_for_update(
            service=service, period_start=locked.period_start
        ):
            apply_deferral(invoice=invoice, deferral=locked, actor=staff)
    return decide(
        locked, staff=staff, approve=approve, reason=reason, override_reason=override_reason
    )


def apply_deferral(*, invoice: Invoice, deferral: PaymentDeferral, actor) -> Invoice:
    """K4: the issued invoice becomes due on the approved date and the deferral points
    at it, both audited (``invoices.services.invoice_apply_deferrals``)."""
    invoice_apply_deferrals(links=[(invoice, deferral)], actor=actor)
    return invoice


@transaction.atomic
def service_change_decide(
    *, change: ServiceChange, staff: User, approve: bool, reason: str = "",
    override_reason: str = "", addon_price: Decimal | None = None,
    effective_immediately: bool = False,
) -> ServiceChange:  # fmt: skip
    """K5: staff approve or reject a change. An approved change takes effect on the
    invoice of its period: the recurring run reads it, or, when that invoice is
    issued already, it is corrected now (see ``invoicing.apply_to_issued``). An
    upgrade applied mid-period is outside the rule: staff need an override reason,
    and the difference for the rest of the current period is prorated on a separate
    invoice. So is approving a change for a period that has already started
    (``_started_needs_override``). The service is locked first, as the recurring run
    locks it (the lock order in ``invoices.services``)."""
    service = lock_service(change.service_id)
    locked = lock_pending(ServiceChange, change.pk)
    _late_needs_override(locked, approve=approve, override_reason=override_reason)
    if approve and not effective_immediately:
        _started_needs_override(locked, service=service, override_reason=override_reason)
    if approve and locked.kind == ServiceChange.Kind.ADDON:
        if addon_price is None:
            raise ValidationError(
                {"addon_price": _("Set the add-on's price per period before approving.")}
            )
        locked.addon_price = addon_price
    if approve and effective_immediately:
        if locked.kind != ServiceChange.Kind.UPGRADE:
            raise ValidationError(
                {
                    "effective_immediately": _(
                        "Only an upgrade can be applied in the middle of a period."
                    )
                }
            )
        if not override_reason.strip():
            raise ValidationError(
                {"override_reason": _("Applying an upgrade mid-period needs an override reason.")}
            )
        locked.effective_immediately = True
        invoicing.upgrade_now(change=locked, service=service, actor=staff)
    elif approve:
        invoicing.apply_to_issued(change=locked, service=service, staff=staff)
    return decide(
        locked, staff=staff, approve=approve, reason=reason, override_reason=override_reason
    )
