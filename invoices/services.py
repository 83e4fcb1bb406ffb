"""Every state change of invoices, payment confirmations, payments and receipts (K3, H3)."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core import clock
from customers.models import Customer, User
from invoices import tasks
from invoices.models import (
    BankAccount,
    DocumentSequence,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentConfirmation,
    Receipt,
)
from orders.models import Order
from orders.pricing import LineSpec


class AlreadyDecided(Exception):
    """Another staff member decided this confirmation first."""


def _audited(instance, *, actor, reason: str):
    instance._history_user = actor
    instance._change_reason = reason
    return instance


def next_numbers(*, kind: str, year: int, count: int = 1) -> range:
    """``count`` consecutive gapless numbers for ``kind`` in ``year``, taken inside the
    caller's transaction.

    The sequence row is created if missing (ignoring a concurrent creation) and then
    locked until the transaction ends, so concurrent transactions take consecutive
    numbers, and a rolled-back transaction gives its numbers back.
    """
    DocumentSequence.objects.bulk_create(
        [DocumentSequence(kind=kind, year=year)], ignore_conflicts=True
    )
    sequence = DocumentSequence.objects.select_for_update().get(kind=kind, year=year)
    first = sequence.last_number + 1
    sequence.last_number += count
    sequence.save(update_fields=["last_number"])
    return range(first, first + count)


def next_number(*, kind: str, year: int) -> int:
    return next_numbers(kind=kind, year=year)[0]


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    ppn_rate: Decimal
    ppn_amount: Decimal
    total: Decimal


def compute_totals(lines: list[LineSpec], *, ppn_rate: Decimal) -> Totals:
    """Subtotal of all lines; PPN on the taxable lines, rounded to the whole rupiah."""
    subtotal = sum((line.unit_price * line.quantity for line in lines), Decimal(0))
    taxable = sum(
        (line.unit_price * line.quantity for line in lines if line.applies_ppn), Decimal(0)
    )
    ppn = (taxable * ppn_rate).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    subtotal = subtotal.quantize(Decimal("0.01"))
    return Totals(subtotal, ppn_rate, ppn.quantize(Decimal("0.01")), subtotal + ppn)


@dataclass
class InvoiceSpec:
    """An invoice to issue: its customer, lines (each with the service it bills, or
    None), dates, and for a recurring invoice the service period it bills."""

    customer: Customer
    lines: list[LineSpec]
    issue_date: date
    services: list | None = None
    order: Order | None = None
    period_service: object = None
    period_start: date | None = None
    due_date: date | None = None


def _build(spec: InvoiceSpec, sequence: int) -> tuple[Invoice, list[InvoiceLine]]:
    if not spec.lines:
        raise ValidationError(_("An invoice needs at least one line."))
    totals = compute_totals(spec.lines, ppn_rate=Decimal(str(settings.PPN_RATE)))
    invoice = Invoice(
        customer=spec.customer,
        order=spec.order,
        service=spec.period_service,
        period_start=spec.period_start,
        number=f"INV/{spec.issue_date.year}/{sequence:06d}",
        status=Invoice.Status.UNPAID,
        issue_date=spec.issue_date,
        due_date=spec.due_date or spec.issue_date + timedelta(days=settings.INVOICE_DUE_DAYS),
        subtotal=totals.subtotal,
        ppn_rate=totals.ppn_rate,
        ppn_amount=totals.ppn_amount,
        total=totals.total,
        unique_code=sequence % 999 + 1,
    )
    services = spec.services or [None] * len(spec.lines)
    lines = [
        InvoiceLine(
            invoice=invoice,
            service=service,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            amount=line.unit_price * line.quantity,
            applies_ppn=line.applies_ppn,
            period_start=line.period_start,
            period_end=line.period_end,
        )
        for line, service in zip(spec.lines, services, strict=True)
    ]
    return invoice, lines


@transaction.atomic
def invoice_issue(
    *, customer: Customer, lines: list[LineSpec], issue_date, order: Order | None = None,
    services=None, actor: User | None = None, period_service=None, period_start=None,
) -> Invoice:  # fmt: skip
    """Issue an invoice with a gapless number (``INV/2026/000123``) and a unique code
    from its last three digits; the responsible contact gets it by e-mail after commit.

    ``services`` pairs each line with the service it bills (or None). A recurring
    invoice names its ``period_service`` and ``period_start``: the database holds one
    invoice per service period."""
    spec = InvoiceSpec(customer, lines, issue_date, services, order, period_service, period_start)
    if not lines:
        raise ValidationError(_("An invoice needs at least one line."))
    invoice, invoice_lines = _build(spec, next_number(kind="INV", year=issue_date.year))
    _audited(invoice, actor=actor, reason="invoice issued").save()
    InvoiceLine.objects.bulk_create(invoice_lines)
    transaction.on_commit(lambda: tasks.send_invoice.delay(invoice.pk))
    return invoice


@transaction.atomic
def invoices_issue_batch(*, specs: list[InvoiceSpec]) -> list[Invoice]:
    """The recurring run's bulk path (same numbering and totals as ``invoice_issue``):
    one locked sequence update per year, bulk inserts of the invoices, their lines and
    their history, and one e-mail task for the batch, after commit."""
    numbers = {}
    for year in sorted({spec.issue_date.year for spec in specs}):
        count = sum(spec.issue_date.year == year for spec in specs)
        numbers[year] = iter(next_numbers(kind="INV", year=year, count=count))
    built = [_build(spec, next(numbers[spec.issue_date.year])) for spec in specs]
    invoices = Invoice.objects.bulk_create([invoice for invoice, _lines in built])
    Invoice.history.bulk_history_create(invoices, default_change_reason="invoice issued")
    InvoiceLine.objects.bulk_create([line for _invoice, lines in built for line in lines])
    ids = [invoice.pk for invoice in invoices]
    transaction.on_commit(lambda: tasks.send_invoices.delay(ids))
    return invoices


def payment_confirmation_submit(
    *, invoice: Invoice, submitted_by: User, bank_name: str, sender_account_name: str,
    amount: Decimal, transfer_date, to_account: BankAccount, proof, proof_kind, note: str = "",
) -> PaymentConfirmation:  # fmt: skip
    """K3: the customer confirms a transfer against one unpaid invoice, with its proof."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.status != Invoice.Status.UNPAID:
            raise ValidationError(
                _("Invoice %(number)s is %(status)s; there is nothing left to pay.")
                % {"number": invoice.number, "status": invoice.get_status_display().lower()}
            )
        if transfer_date > clock.today():
            raise ValidationError(
                {"transfer_date": _("The transfer date cannot be in the future.")}
            )
        if transfer_date < invoice.issue_date - timedelta(days=30):
            raise ValidationError(
                {"transfer_date": _("This date is long before the invoice was issued.")}
            )
        confirmation = PaymentConfirmation(
            invoice=invoice,
            submitted_by=submitted_by,
            bank_name=bank_name,
            sender_account_name=sender_account_name,
            amount=amount,
            transfer_date=transfer_date,
            to_account=to_account,
            proof=proof,
            proof_content_type=proof_kind.mime,
            proof_extension=proof_kind.extension,
            note=note,
        )
        confirmation.full_clean()
        _audited(confirmation, actor=submitted_by, reason="payment confirmed by customer").save()
    return confirmation


def payment_approve(*, confirmation: PaymentConfirmation, staff: User) -> Payment:
    """K3: approval records a Payment and credits the invoice exactly once.

    The conditional UPDATE lets only one of two simultaneous approvals through;
    the one-to-one Payment→confirmation is the database's second guard. A partial
    payment leaves the invoice unpaid with the amount credited; the invoice is
    paid when the total is received, and its pending services are activated.
    """
    with transaction.atomic():
        updated = PaymentConfirmation.objects.filter(
            pk=confirmation.pk, status=PaymentConfirmation.Status.PENDING
        ).update(
            status=PaymentConfirmation.Status.APPROVED, decided_by=staff, decided_at=clock.now()
        )
        if not updated:
            raise AlreadyDecided(confirmation.pk)
        confirmation.refresh_from_db()
        # The conditional UPDATE decided; this save writes the same values to record
        # the decision, with its actor, in the history.
        _audited(confirmation, actor=staff, reason="payment approved").save(
            update_fields=["status", "decided_by", "decided_at"]
        )
        invoice = Invoice.objects.select_for_update().get(pk=confirmation.invoice_id)
        payment = Payment.objects.create(
            invoice=invoice,
            confirmation=confirmation,
            amount=confirmation.amount,
            received_on=confirmation.transfer_date,
            recorded_by=staff,
        )
        invoice.amount_paid += confirmation.amount
        if invoice.amount_paid >= invoice.total and invoice.status == Invoice.Status.UNPAID:
            invoice.status = Invoice.Status.PAID
            invoice.paid_at = clock.now()
        _audited(invoice, actor=staff, reason=f"payment {payment.pk} approved").save()
        year = clock.today().year
        receipt = Receipt.objects.create(
            payment=payment, number=f"KW/{year}/{next_number(kind='KW', year=year):06d}"
        )
        if invoice.status == Invoice.Status.PAID:
            from invoices.jobs import restore_after_payment
            from orders.services import services_activate_for_invoice

            services_activate_for_invoice(invoice=invoice, actor=staff)
            restore_after_payment(invoice=invoice, actor=staff)
        transaction.on_commit(lambda: tasks.send_receipt.delay(receipt.pk))
    return payment


def payment_reject(*, confirmation: PaymentConfirmation, staff: User, reason: str):
    """K3: staff reject a confirmation with a reason the customer sees."""
    if not reason.strip():
        raise ValidationError(_("Say why, so the customer can fix it."))
    with transaction.atomic():
        locked = PaymentConfirmation.objects.select_for_update().get(pk=confirmation.pk)
        if locked.status != PaymentConfirmation.Status.PENDING:
            raise AlreadyDecided(confirmation.pk)
        locked.status = PaymentConfirmation.Status.REJECTED
        locked.rejection_reason = reason.strip()
        locked.decided_by = staff
        locked.decided_at = clock.now()
        _audited(locked, actor=staff, reason="payment rejected").save()
        transaction.on_commit(lambda: tasks.send_confirmation_rejected.delay(locked.pk))
    return locked


def invoice_cancel(*, invoice: Invoice, staff: User, reason: str) -> Invoice:
    """Cancel an unpaid invoice; it is kept (never deleted) with the reason in its history."""
    if not reason.strip():
        raise ValidationError(_("Say why the invoice is cancelled."))
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.status != Invoice.Status.UNPAID or locked.amount_paid:
            raise ValidationError(_("Only an unpaid invoice without payments can be cancelled."))
        locked.status = Invoice.Status.CANCELLED
        _audited(locked, actor=staff, reason=f"cancelled: {reason.strip()}").save()
    return locked
