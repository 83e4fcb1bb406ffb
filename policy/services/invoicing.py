"""K5: what an approved service change does to invoices that are issued already.

The recurring run bills a period with the changes approved by its issue date. A
change approved later (a late request staff accepted, or a decision taken after the
invoice went out), and an upgrade applied mid-period, must still reach the invoices
issued for the periods it applies to:

- an invoice not paid at all is corrected (``invoices.services.invoice_reissue``:
  cancelled and issued again, its due date, deferrals, suspension and waivers moved
  to the new one), or only cancelled when the service is cancelled from that period;
- an invoice already (partly) paid is left alone: an upgrade or add-on bills what it
  adds on a separate invoice; a downgrade or cancellation is refused, with what staff
  can do instead.

Every line is written in the responsible contact's language (K7), as the recurring
run writes its own.
"""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from core import clock
from core.audit import audited
from customers.models import User
from invoices.billing import contact_language, period_bill
from invoices.models import Invoice
from invoices.selectors import period_invoices_for_update
from invoices.services import invoice_cancel, invoice_issue, invoice_reissue
from orders.models import Service
from orders.pricing import LineSpec
from policy.models import ServiceChange
from policy.selectors import approved_changes
from policy.services.common import day

ADDS_TO_THE_BILL = (ServiceChange.Kind.UPGRADE, ServiceChange.Kind.ADDON)


def prorated_difference(*, old_price, new_price, period_start, period_end, today) -> Decimal:
    """K5 override: the price difference for the days left in the current period."""
    total_days = (period_end - period_start).days + 1
    left = max((period_end - today).days + 1, 0)
    difference = (Decimal(new_price) - Decimal(old_price)) * left / total_days
    return difference.quantize(Decimal("1"), rounding=ROUND_HALF_UP)


def _untouched(invoice: Invoice) -> bool:
    return invoice.status == Invoice.Status.UNPAID and not invoice.amount_paid


def _corrected_lines(*, service: Service, period, change: ServiceChange) -> list | None:
    """K5: what the corrected invoice of ``period`` bills, or None when the service is
    cancelled from that period. The plan is the service's: the change being decided,
    or a mid-period upgrade, has set it already, so the approved plan changes are not
    replayed (an older one would undo a later upgrade). The approved add-ons and
    cancellations count, and so does ``change`` unless it applies mid-period."""
    changes = [
        c
        for c in approved_changes(services=[service], until=period.start)
        if c.kind in (ServiceChange.Kind.ADDON, ServiceChange.Kind.CANCEL)
    ]
    if not change.effective_immediately:
        changes = sorted([*changes, change], key=lambda c: (c.period_start, c.pk))
    bill = period_bill(service=service, period=period, changes=changes)
    return None if bill.cancelled else bill.lines


def _extra_invoice(*, service: Service, period, description: str, amount, staff: User):
    """K5: what a change adds to a period whose invoice has a payment already."""
    if amount <= 0:
        return None
    return invoice_issue(
        customer=service.customer,
        lines=[
            LineSpec(
                description,
                amount,
                service.product.applies_ppn,
                period_start=period.start,
                period_end=period.end,
            )
        ],
        services=[service],
        issue_date=clock.today(),
        actor=staff,
    )


def _addition(*, change: ServiceChange, service: Service, period, old_price) -> tuple:
    """K7: the line is written in the responsible contact's language."""
    with translation.override(contact_language(service.customer_id)):
        when = {"from": day(period.start), "to": day(period.end)}
        if change.kind == ServiceChange.Kind.ADDON:
            text = _("Add-on %(addon)s from %(from)s to %(to)s") % {
                "addon": change.addon_description,
                **when,
            }
            return text, change.addon_price or Decimal(0)
        text = _("Upgrade to %(plan)s from %(from)s to %(to)s (difference)") % {
            "plan": change.new_plan.name,
            **when,
        }
    return text, change.new_plan.price - old_price


def _refuse_paid(*, invoice: Invoice, service: Service) -> None:
    """K5: a downgrade or cancellation cannot take back what was paid. Said with the
    invoice's real state: paid, partly paid, or its status."""
    if invoice.status == Invoice.Status.PAID:
        state = _("paid")
    elif invoice.status == Invoice.Status.UNPAID and invoice.amount_paid:
        state = _("partly paid")
    else:
        state = invoice.get_status_display().lower()
    raise ValidationError(
        _(
            "Invoice %(number)s for the period starting %(start)s is %(state)s, so it "
            "cannot be changed. Reject this request, saying so, and enter the change "
            "again for the period starting %(next)s, the first one not invoiced yet."
        )
        % {
            "number": invoice.number,
            "start": day(invoice.period_start),
            "state": state,
            "next": day(service.schedule.next_to_invoice(clock.today()).start),
        }
    )


def _carry(*, change, service: Service, invoices, old_price, staff: User) -> None:
    schedule = service.schedule
    reason = f"service change {change.pk} ({change.kind}) approved after this invoice"
    for invoice in invoices:
        period = schedule.period_containing(invoice.period_start)
        if _untouched(invoice):
            lines = None
            if change.kind != ServiceChange.Kind.CANCEL:
                lines = _corrected_lines(service=service, period=period, change=change)
            if lines is None:
                invoice_cancel(invoice=invoice, staff=staff, reason=reason)
            else:
                invoice_reissue(old=invoice, lines=lines, actor=staff, reason=reason)
        elif change.kind in ADDS_TO_THE_BILL:
            text, amount = _addition(
                change=change, service=service, period=period, old_price=old_price
            )
            _extra_invoice(
                service=service, period=period, description=text, amount=amount, staff=staff
            )
        else:
            _refuse_paid(invoice=invoice, service=service)


def apply_to_issued(*, change: ServiceChange, service: Service, staff: User) -> None:
    """K5: apply an approved change to the invoices issued already for its period
    and later ones (see the module docstring). ``service`` is locked by the caller.
    A plan change also moves the service to the new plan: the recurring run, which
    has billed these periods, takes the plan it bills next from the service."""
    invoices = period_invoices_for_update(
        service=service, period_start=change.period_start, onwards=True
    )
    if not invoices:
        return
    old_price = service.recurring_price
    if change.kind in (ServiceChange.Kind.UPGRADE, ServiceChange.Kind.DOWNGRADE):
        service.plan, service.recurring_price = change.new_plan, change.new_plan.price
        audited(service, actor=staff, reason=f"plan changed (change {change.pk})").save()
    _carry(change=change, service=service, invoices=invoices, old_price=old_price, staff=staff)


def upgrade_now(*, change: ServiceChange, service: Service, actor: User) -> None:
    """K5 override: the upgrade applies today. The rest of the current period is
    prorated on a separate invoice; a next period's invoice issued already (the
    recurring run issues it before the period starts) is corrected, or, once it has
    a payment, the difference for that period is invoiced separately."""
    today = clock.today()
    old_price = service.recurring_price
    amount = prorated_difference(
        old_price=old_price,
        new_price=change.new_plan.price,
        period_start=service.period_start,
        period_end=service.period_end,
        today=today,
    )
    if amount > 0:
        with translation.override(contact_language(service.customer_id)):  # K7
            text = _("Upgrade to %(plan)s from %(from)s to %(to)s (prorated)") % {
                "plan": change.new_plan.name,
                "from": day(today),
                "to": day(service.period_end),
            }
        invoice_issue(
            customer=service.customer,
            lines=[
                LineSpec(
                    text,
                    amount,
                    service.product.applies_ppn,
                    period_start=today,
                    period_end=service.period_end,
                )
            ],
            services=[service],
            issue_date=today,
            actor=actor,
        )
    service.plan = change.new_plan
    service.recurring_price = change.new_plan.price
    audited(service, actor=actor, reason=f"upgraded mid-period (change {change.pk})").save()
    following = period_invoices_for_update(
        service=service, period_start=service.period_end + timedelta(days=1), onwards=True
    )
    _carry(change=change, service=service, invoices=following, old_price=old_price, staff=actor)
