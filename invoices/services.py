"""Every state change of invoices, payment confirmations, payments and receipts (K3, H3).

Lock order. Every transaction that locks more than one of these takes them in this
order, so that two of them never wait for each other (a deadlock): the service rows
(ascending pk), then the invoice rows, then the unique-code lock (``lock_unique_codes``),
then the number sequence rows (``next_numbers``). The recurring run, staff deciding a
K4/K5 request (``policy.services``) and ``payment_approve`` all lock the services first.
"""

import heapq
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core import clock
from core.audit import audited, history_bulk_record
from customers.models import Customer, User
from invoices import tasks
from invoices.models import (
    PENDING_CONFIRMATION_EXISTS,
    TRANSFER_AMOUNT,
    BankAccount,
    DocumentSequence,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentConfirmation,
    Receipt,
    SuspensionWaiver,
)
from orders.models import Order, Service
from orders.pricing import LineSpec


class AlreadyDecided(Exception):
    """Another staff member decided this confirmation first."""


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


def _totals(spec: "InvoiceSpec") -> Totals:
    if not spec.lines:
        raise ValidationError(_("An invoice needs at least one line."))
    return compute_totals(spec.lines, ppn_rate=settings.PPN_RATE)


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


MAX_UNIQUE_CODE = 999
UNIQUE_CODE_LOCK = 0x6B6F6465  # "kode": the advisory lock's key, the same for every year


def lock_unique_codes() -> None:
    """K3: serialise the choice of unique codes, until the caller's transaction ends.

    One lock whatever the invoice's year: the number sequence row is one per year, so
    two invoices dated in different years would otherwise choose at the same time and
    may ask for the same amount. PostgreSQL: a transaction-scoped advisory lock.
    SQLite has no row locks: a write transaction holds the whole database, and the
    callers write (``next_numbers``) before they read the codes taken."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_unique_codes() holds until the transaction ends: call it in one.")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [UNIQUE_CODE_LOCK])


class UniqueCodes:
    """K3: kode unik chosen so that each unpaid invoice's amount to transfer (balance +
    code) differs from every other's, and staff can tell whose transfer arrived.

    One query reads the amounts to transfer already taken within 999 rupiah above each
    of the given totals (an expression index on the unpaid invoices serves it); then
    ``pick`` gives each new invoice the smallest free code in 1..999 and counts it as
    taken. Only when all 999 are taken (more than 999 unpaid invoices of almost the same
    total) does an amount repeat: then the least used code is taken.

    Callers hold ``lock_unique_codes`` (one lock for every year's invoices), so two
    transactions issuing invoices do not choose at the same time, whatever their issue
    dates. A later partial payment moves an invoice's amount to transfer; that is not
    re-checked. What the database guarantees is the index serving the lookup
    (``invoice_unpaid_transfer``, migration 0008), not uniqueness: no constraint could
    allow the repeat when all 999 codes are taken."""

    def __init__(self, totals):
        window = Q()
        for total in set(totals):
            window |= Q(transfer__gt=total, transfer__lte=total + MAX_UNIQUE_CODE)
        taken = (
            Invoice.objects.filter(status=Invoice.Status.UNPAID)
            .annotate(transfer=TRANSFER_AMOUNT)
            .filter(window)
            .order_by()
            .values_list("transfer")
            .annotate(uses=Count("pk"))  # at most 999 rows per total, however many share it
        )
        self._taken = Counter(dict(taken)) if window else Counter()
        self._free = {}
        self._least_used = {}

    def pick(self, total: Decimal) -> int:
        if total not in self._free:
            self._free[total] = self._free_codes(total)
        code = next(self._free[total], None)
        if code is None:
            code = self._least_used_code(total)
        self._taken[total + code] += 1
        return code

    def _free_codes(self, total: Decimal):
        # Lazy: a code is checked when reached, so amounts picked meanwhile count too.
        return (c for c in range(1, MAX_UNIQUE_CODE + 1) if not self._taken[total + c])

    def _least_used_code(self, total: Decimal) -> int:
        heap = self._least_used.get(total)
        if heap is None:
            heap = [(self._taken[total + c], c) for c in range(1, MAX_UNIQUE_CODE + 1)]
            heapq.heapify(heap)
            self._least_used[total] = heap
        while True:
            uses, code = heapq.heappop(heap)
            if uses == self._taken[total + code]:  # else another total's pick moved it
                heapq.heappush(heap, (uses + 1, code))
                return code
            heapq.heappush(heap, (self._taken[total + code], code))


def _build(
    spec: InvoiceSpec, sequence: int, totals: Totals, codes: UniqueCodes
) -> tuple[Invoice, list[InvoiceLine]]:
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
        unique_code=codes.pick(totals.total),
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
    due_date=None,
) -> Invoice:  # fmt: skip
    """Issue an invoice with a gapless number (``INV/2026/000123``) and a unique code
    that makes its amount to transfer unique among unpaid invoices (``UniqueCodes``);
    the responsible contact gets it by e-mail after commit.

    ``services`` pairs each line with the service it bills (or None). A recurring
    invoice names its ``period_service`` and ``period_start``: the database holds one
    invoice per service period. ``due_date`` defaults to INVOICE_DUE_DAYS after the
    issue date."""
    spec = InvoiceSpec(
        customer, lines, issue_date, services, order, period_service, period_start, due_date
    )
    totals = _totals(spec)
    lock_unique_codes()
    number = next_number(kind="INV", year=issue_date.year)
    invoice, invoice_lines = _build(spec, number, totals, UniqueCodes([totals.total]))
    audited(invoice, actor=actor, reason="invoice issued").save()
    InvoiceLine.objects.bulk_create(invoice_lines)
    transaction.on_commit(lambda: tasks.send_invoice.delay(invoice.pk))
    return invoice


@transaction.atomic
def invoices_issue_batch(*, specs: list[InvoiceSpec]) -> list[Invoice]:
    """The recurring run's bulk path (same numbering, totals and unique codes as
    ``invoice_issue``): one locked sequence update per year, one query for the unique
    codes, bulk inserts of the invoices, their lines and their history, and one e-mail
    task for the batch, after commit."""
    totals = [_totals(spec) for spec in specs]
    lock_unique_codes()
    numbers = {}
    for year in sorted({spec.issue_date.year for spec in specs}):
        count = sum(spec.issue_date.year == year for spec in specs)
        numbers[year] = iter(next_numbers(kind="INV", year=year, count=count))
    codes = UniqueCodes([t.total for t in totals])
    built = [
        _build(spec, next(numbers[spec.issue_date.year]), spec_totals, codes)
        for spec, spec_totals in zip(specs, totals, strict=True)
    ]
    invoices = Invoice.objects.bulk_create([invoice for invoice, _lines in built])
    history_bulk_record(Invoice, [i.pk for i in invoices], reason="invoice issued", created=True)
    InvoiceLine.objects.bulk_create([line for _invoice, lines in built for line in lines])
    ids = [invoice.pk for invoice in invoices]
    transaction.on_commit(lambda: tasks.send_invoices.delay(ids))
    return invoices


def payment_confirmation_submit(
    *, invoice: Invoice, submitted_by: User, bank_name: str, sender_account_name: str,
    amount: Decimal, transfer_date, to_account: BankAccount, proof, proof_kind, note: str = "",
) -> PaymentConfirmation:  # fmt: skip
    """K3: the customer confirms a transfer against one unpaid invoice, with its proof.

    Refused, with what to do, while another confirmation of the invoice waits for staff
    (the partial unique constraint ``one_pending_confirmation_per_invoice``)."""
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
        # full_clean checks the one-pending-confirmation constraint for the message; the
        # invoice row is locked, and the constraint itself is the database's guard.
        confirmation.full_clean()
        try:
            with transaction.atomic():
                audited(
                    confirmation, actor=submitted_by, reason="payment confirmed by customer"
                ).save()
        except IntegrityError as exc:
            if not PaymentConfirmation.objects.filter(
                invoice=invoice, status=PaymentConfirmation.Status.PENDING
            ).exists():
                raise
            raise ValidationError(PENDING_CONFIRMATION_EXISTS) from exc
    return confirmation


def payment_approve(*, confirmation: PaymentConfirmation, staff: User) -> Payment:
    """K3: approval records a Payment and credits the invoice exactly once.

    The conditional UPDATE lets only one of two simultaneous approvals through; then
    the invoice is locked, and one that is no longer payable (cancelled, refunded, paid
    in full) is refused with a message for staff: nothing changes, the confirmation
    still waits, to be rejected with a reason. The one-to-one Payment→confirmation is the
    database's second guard. A partial payment leaves the invoice unpaid with the
    amount credited; the invoice is paid when the total is received, and its pending
    services are activated.

    The invoice's services are locked before the invoice (the lock order in the module
    docstring), as a K5 decision locks its service before the period's invoice.
    """
    with transaction.atomic():
        updated = PaymentConfirmation.objects.filter(
            pk=confirmation.pk, status=PaymentConfirmation.Status.PENDING
        ).update(
            status=PaymentConfirmation.Status.APPROVED, decided_by=staff, decided_at=clock.now()
        )
        if not updated:
            raise AlreadyDecided(confirmation.pk)
        _lock_services_of(invoice_id=confirmation.invoice_id)
        invoice = Invoice.objects.select_for_update().get(pk=confirmation.invoice_id)
        if invoice.status != Invoice.Status.UNPAID or invoice.amount_paid >= invoice.total:
            # Raising rolls the approval above back: the confirmation waits again.
            raise ValidationError(
                _(
                    "Invoice %(number)s is %(status)s, so this payment cannot be credited to "
                    "it. Reject the confirmation with a reason (for example that the transfer "
                    "will be refunded), so the customer knows what happens to the money."
                )
                % {
                    "number": invoice.number,
                    "status": _("paid in full")
                    if invoice.status == Invoice.Status.UNPAID
                    else invoice.get_status_display().lower(),
                }
            )
        confirmation.refresh_from_db()
        # The conditional UPDATE decided; this save writes the same values to record
        # the decision, with its actor, in the history.
        audited(confirmation, actor=staff, reason="payment approved").save(
            update_fields=["status", "decided_by", "decided_at"]
        )
        payment = Payment.objects.create(
            invoice=invoice,
            confirmation=confirmation,
            amount=confirmation.amount,
            received_on=confirmation.transfer_date,
            recorded_by=staff,
        )
        invoice.amount_paid += confirmation.amount
        if invoice.amount_paid >= invoice.total:
            invoice.status = Invoice.Status.PAID
            invoice.paid_at = clock.now()
        audited(invoice, actor=staff, reason=f"payment {payment.pk} approved").save()
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


def _lock_services_of(*, invoice_id: int) -> None:
    """The services an invoice bills or was suspended for, locked in pk order."""
    billed = InvoiceLine.objects.filter(invoice_id=invoice_id).values("service_id")
    period = Invoice.objects.filter(pk=invoice_id).values("service_id")
    list(
        Service.objects.select_for_update(of=("self",))
        .filter(Q(pk__in=billed) | Q(pk__in=period) | Q(suspended_for=invoice_id))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


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
        audited(locked, actor=staff, reason="payment rejected").save()
        transaction.on_commit(lambda: tasks.send_confirmation_rejected.delay(locked.pk))
    return locked


def invoice_cancel(*, invoice: Invoice, staff: User, reason: str) -> Invoice:
    """Cancel an unpaid invoice; it is kept (never deleted) with the reason in its history.

    K3: refused while a payment confirmation waits for a decision. The invoice row is
    locked here and by ``payment_confirmation_submit`` and ``payment_approve``, so a
    confirmation cannot slip in between this check and the cancellation."""
    if not reason.strip():
        raise ValidationError(_("Say why the invoice is cancelled."))
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.status != Invoice.Status.UNPAID or locked.amount_paid:
            raise ValidationError(_("Only an unpaid invoice without payments can be cancelled."))
        if locked.confirmations.filter(status=PaymentConfirmation.Status.PENDING).exists():
            raise ValidationError(
                _(
                    "A payment confirmation of invoice %(number)s is waiting for a decision, "
                    "so the invoice cannot be cancelled or corrected now. Approve or reject "
                    "the confirmation first (Payment confirmations), then try again."
                )
                % {"number": locked.number}
            )
        locked.status = Invoice.Status.CANCELLED
        audited(locked, actor=staff, reason=f"cancelled: {reason.strip()}").save()
    return locked


def suspension_reason(invoice: Invoice) -> str:
    """What a service suspended for ``invoice`` tells the customer (and staff)."""
    return _(
        "Suspended because invoice %(number)s (due %(due)s) is unpaid. "
        "Pay it and the service is restored automatically."
    ) % {"number": invoice.number, "due": date_format(invoice.due_date, "j F Y")}


def invoice_apply_deferrals(*, links, actor: User | None) -> None:
    """K4: for each (invoice, approved deferral) pair, the invoice is due on the
    deferral's proposed date (never earlier than it already was) and the deferral
    points at it (``applied_to``), both audited with ``actor``.

    The one place invoices and deferrals are linked: the recurring run (its new
    invoices, in bulk), a deferral approved once its invoice is out, and a corrected
    invoice (``invoice_reissue``)."""
    from policy.models import PaymentDeferral

    deferrals = []
    for invoice, deferral in links:
        due = max(invoice.due_date, deferral.proposed_due_date)
        if due != invoice.due_date:
            invoice.due_date = due
            audited(
                invoice, actor=actor, reason=f"due date deferred (deferral {deferral.pk})"
            ).save(update_fields=["due_date"])
        deferral.applied_to = invoice
        deferrals.append(
            audited(deferral, actor=actor, reason=f"applied to invoice {invoice.number}")
        )
    if deferrals:
        PaymentDeferral.objects.bulk_update(deferrals, ["applied_to"])
        PaymentDeferral.history.bulk_history_create(deferrals, update=True)


def invoice_reissue(*, old: Invoice, lines: list[LineSpec], actor: User, reason: str) -> Invoice:
    """K5: a period invoice corrected. ``old`` is cancelled with ``reason`` (refused, by
    ``invoice_cancel``, once it has a payment or while a confirmation waits) and
    issued again today with ``lines``, for the same service period. What pointed at
    the old invoice follows the new one, so the cancellation loses nothing:

    - its due date, when later than the new invoice's usual one (a deferral, K4);
    - the approved deferrals applied to it (K4, ``invoice_apply_deferrals``);
    - a service suspended for it (``Service.suspended_for``): paying the new invoice
      restores the service, and termination counts on the new invoice;
    - staff's suspension waivers for it: the overdue run does not suspend the service
      again for the invoice staff waived.

    The caller holds the service row locked (the lock order in the module docstring)."""
    from policy.models import Decision, PaymentDeferral

    with transaction.atomic():
        old = invoice_cancel(invoice=old, staff=actor, reason=reason)
        today = clock.today()
        new = invoice_issue(
            customer=old.customer,
            lines=lines,
            services=[old.service] * len(lines),
            issue_date=today,
            actor=actor,
            period_service=old.service,
            period_start=old.period_start,
            due_date=max(old.due_date, today + timedelta(days=settings.INVOICE_DUE_DAYS)),
        )
        deferrals = PaymentDeferral.objects.filter(applied_to=old, status=Decision.APPROVED)
        invoice_apply_deferrals(links=[(new, deferral) for deferral in deferrals], actor=actor)
        suspended = Service.objects.select_for_update(of=("self",)).filter(suspended_for=old)
        for service in suspended.order_by("pk"):
            service.suspended_for = new
            service.status_reason = suspension_reason(new)
            audited(
                service,
                actor=actor,
                reason=f"suspended for invoice {new.number}, {old.number} corrected",
            ).save(update_fields=["suspended_for", "status_reason"])
        SuspensionWaiver.objects.filter(invoice=old).update(invoice=new)
    return new


def suspension_waive(*, service, staff: User, reason: str) -> list[Invoice]:
    """Staff re-activated ``service`` (suspended, or about to be, for unpaid invoices):
    the overdue run must not undo that decision. Every invoice of the service unpaid
    past the suspension limit now, and the one it was suspended for, is waived for it,
    with the staff member and the reason; an invoice that goes unpaid later suspends it
    as usual. The unique (service, invoice) constraint keeps one waiver per pair."""
    limit = clock.today() - timedelta(days=settings.BILLING_SUSPEND_AFTER_DAYS)
    invoices = Invoice.objects.filter(
        Q(pk=service.suspended_for_id)
        | Q(lines__service=service, status=Invoice.Status.UNPAID, due_date__lt=limit)
    ).distinct()
    waived = list(invoices)
    SuspensionWaiver.objects.bulk_create(
        [
            SuspensionWaiver(service=service, invoice=invoice, waived_by=staff, reason=reason)
            for invoice in waived
        ],
        ignore_conflicts=True,
    )
    return waived
