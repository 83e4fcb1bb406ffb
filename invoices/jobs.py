"""The scheduled billing jobs: recurring invoices, reminders and overdue handling.

Each job is idempotent and set-based: it finds due work with a few queries, works
in batches, and relies on database constraints (one invoice per service period,
one reminder per invoice and kind) so that two runs at once never do a thing twice.
Celery tasks (invoices.tasks) and ``manage.py run_billing`` call these functions.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core import clock
from invoices import tasks
from invoices.models import Invoice, Reminder, ReminderKind
from invoices.services import InvoiceSpec, invoices_issue_batch
from orders.models import Service
from orders.pricing import LineSpec

log = logging.getLogger(__name__)
BATCH = 500
MAX_CATCH_UP = 12


@dataclass
class JobResult:
    job: str
    day: date
    dry_run: bool
    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def __str__(self):
        verb = "would do" if self.dry_run else "did"
        lines = [f"{self.job} on {self.day}: {verb} {len(self.done)}, skipped {len(self.skipped)}"]
        lines += [f"  + {line}" for line in self.done[:50]]
        lines += [f"  - {line}" for line in self.skipped[:20]]
        return "\n".join(lines)


# --- Recurring invoices -------------------------------------------------------


@dataclass
class PeriodBill:
    lines: list[LineSpec]
    plan: object
    price: Decimal
    cancelled: bool = False


def _period_bill(service: Service, period, changes) -> PeriodBill:
    """K5: what a period's invoice bills, after the approved ``changes`` (oldest
    first) that apply from that period or earlier."""
    from policy.models import ServiceChange

    plan, price, addons = service.plan, service.recurring_price, []
    for change in (c for c in changes if c.period_start <= period.start):
        if change.kind == ServiceChange.Kind.CANCEL:
            return PeriodBill([], plan, price, cancelled=True)
        if change.kind in (ServiceChange.Kind.UPGRADE, ServiceChange.Kind.DOWNGRADE):
            plan, price = change.new_plan, change.new_plan.price
        elif change.kind == ServiceChange.Kind.ADDON:
            addons.append((change.addon_description, change.addon_price or Decimal(0)))
    when = f"({date_format(period.start, 'j M Y')} – {date_format(period.end, 'j M Y')})"
    name = service.product.name_id + (f" {plan.name}" if plan else "")
    if service.domain_name:
        name += f" — {service.domain_name}"
    ppn = service.product.applies_ppn
    lines = [
        LineSpec(f"{name} {when}", price, ppn, period_start=period.start, period_end=period.end)
    ]
    lines += [
        LineSpec(
            f"Add-on: {text} {when}", amount, ppn, period_start=period.start, period_end=period.end
        )
        for text, amount in addons
    ]
    return PeriodBill(lines, plan, price)


def _issue_chunk(ids: list[int], today: date, result: JobResult) -> None:
    """Issue the due invoices of one chunk of services in one transaction.

    The services are locked (``skip_locked``: another run takes other chunks) and
    filtered again once locked, so a service another run just invoiced is left out;
    the one-invoice-per-service-period constraint is the last guard: if it fires, the
    chunk is retried one service at a time.
    """
    from policy.models import Decision, PaymentDeferral, ServiceChange

    try:
        with transaction.atomic():
            services = list(
                Service.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(pk__in=ids, next_invoice_date__lte=today, next_due_date__isnull=False)
                .filter(status__in=[Service.Status.ACTIVE, Service.Status.SUSPENDED])
                .select_related("customer", "product", "plan")
                .order_by("pk")
            )
            changes = defaultdict(list)
            for change in (
                ServiceChange.objects.filter(
                    service__in=services, status=Decision.APPROVED, effective_immediately=False
                )
                .select_related("new_plan")
                .order_by("period_start", "pk")
            ):
                changes[change.service_id].append(change)
            deferrals = {
                (d.service_id, d.period_start): d
                for d in PaymentDeferral.objects.filter(
                    service__in=services, status=Decision.APPROVED, applied_to__isnull=True
                )
            }
            _issue_services(services, changes, deferrals, result)
    except IntegrityError:
        if len(ids) == 1:
            result.skipped.append(f"service {ids[0]}: already invoiced")
            return
        for pk in ids:
            _issue_chunk([pk], today, result)


def _issue_services(services, changes, deferrals, result: JobResult) -> None:
    from policy.models import PaymentDeferral

    specs, invoiced, ended, applied = [], [], [], []
    for service in services:
        schedule = service.schedule
        period = schedule.period_containing(service.next_due_date)
        label = f"{service.customer} / {service} / period {period.start}"
        bill = _period_bill(service, period, changes[service.pk])
        if bill.cancelled:
            result.skipped.append(f"{label}: cancelled at the end of the period")
            service.next_invoice_date = None
            ended.append(service)
            continue
        deferral = deferrals.get((service.pk, period.start))
        specs.append(
            InvoiceSpec(
                customer=service.customer,
                lines=bill.lines,
                issue_date=period.issue_date,
                services=[service] * len(bill.lines),
                period_service=service,
                period_start=period.start,
                due_date=deferral.proposed_due_date if deferral else None,
            )
        )
        applied.append(deferral)
        following = schedule.period(period.index + 1)
        service.plan, service.recurring_price = bill.plan, bill.price
        service.next_invoice_date, service.next_due_date = following.issue_date, following.start
        invoiced.append(service)
        result.done.append(f"{label}: {sum(line.unit_price for line in bill.lines)}")
    if result.dry_run or not (specs or ended):
        if result.dry_run:
            transaction.set_rollback(True)
        return
    invoices = invoices_issue_batch(specs=specs) if specs else []
    for invoice, deferral in zip(invoices, applied, strict=True):
        if deferral is not None:
            deferral.applied_to = invoice  # K4: due on the approved date
    PaymentDeferral.objects.bulk_update([d for d in applied if d], ["applied_to"])
    Service.objects.bulk_update(
        invoiced + ended, ["plan", "recurring_price", "next_invoice_date", "next_due_date"]
    )
    Service.history.bulk_history_create(
        invoiced, update=True, default_change_reason="next period invoiced"
    )


def issue_recurring_invoices(*, today: date | None = None, dry_run: bool = False) -> JobResult:
    """K4, K5: issue the next period's invoice of every active service whose issue
    date has come, with the plan and lines that approved changes set for that period
    and the due date that an approved deferral set. The database's one-invoice-per-
    service-period constraint makes a second run, or a second worker, a no-op."""
    today = today or clock.today()
    result = JobResult("invoices", today, dry_run)
    due = Service.objects.filter(
        status__in=[Service.Status.ACTIVE, Service.Status.SUSPENDED],
        next_invoice_date__lte=today,
        next_due_date__isnull=False,
    ).order_by("pk")
    # A service that missed several issue dates (an outage) catches up one period
    # per round; in a dry run nothing advances, so one round shows what is due.
    for _round in range(1 if dry_run else MAX_CATCH_UP):
        ids = list(due.values_list("pk", flat=True))
        if not ids:
            break
        for start in range(0, len(ids), BATCH):
            _issue_chunk(ids[start : start + BATCH], today, result)
    _roll_periods(today=today, dry_run=dry_run, result=result)
    return result


def _roll_periods(*, today: date, dry_run: bool, result: JobResult) -> None:
    """H1: move each active service's current period forward once it has ended; a
    service whose cancellation (K5) applies from the new period ends instead."""
    from policy.models import Decision, ServiceChange

    ended = Service.objects.filter(
        status__in=[Service.Status.ACTIVE, Service.Status.SUSPENDED],
        period_end__lt=today,
        period_anchor__isnull=False,
    ).select_related("product")
    for service in ended.iterator(chunk_size=BATCH):
        period = service.schedule.period_containing(today)
        cancelled = ServiceChange.objects.filter(
            service=service,
            kind=ServiceChange.Kind.CANCEL,
            status=Decision.APPROVED,
            period_start__lte=period.start,
        ).exists()
        if dry_run:
            continue
        if cancelled:
            service.status = Service.Status.CANCELLED
            service.status_reason = _("Cancelled at the end of the period, as requested.")
            service._change_reason = "cancelled at period end (K5)"
        else:
            service.period_start, service.period_end = period.start, period.end
            service._change_reason = "new period"
        service.save()


# --- Reminders ----------------------------------------------------------------


def sweep_reminders(
    *, today: date | None = None, dry_run: bool = False, catch_up_days: int = 2
) -> JobResult:
    """Create the reminders that are due today (or in the last ``catch_up_days``
    days, after an outage) for unpaid invoices, then enqueue their sending in
    batches. One query per kind finds the invoices; rows are bulk-created and the
    unique (invoice, kind) constraint drops any that exist already."""
    today = today or clock.today()
    result = JobResult("reminders", today, dry_run)
    for kind in ReminderKind.objects.filter(is_active=True):
        latest_due = today - timedelta(days=kind.offset_days)
        invoices = (
            Invoice.objects.filter(
                status=Invoice.Status.UNPAID,
                due_date__lte=latest_due,
                due_date__gte=latest_due - timedelta(days=catch_up_days),
            )
            .exclude(reminders__kind=kind)
            .values_list("pk", flat=True)
        )
        batch = []
        for invoice_id in invoices.iterator(chunk_size=5000):
            batch.append(Reminder(invoice_id=invoice_id, kind=kind))
            if len(batch) == 5000:
                _create(batch, result, kind)
                batch = []
        _create(batch, result, kind)
    if not dry_run:
        enqueue_reminders()
    return result


def _create(batch: list[Reminder], result: JobResult, kind: ReminderKind) -> None:
    if not batch:
        return
    result.done.extend(f"{kind.code}: invoice {r.invoice_id}" for r in batch)
    if not result.dry_run:
        Reminder.objects.bulk_create(batch, ignore_conflicts=True, batch_size=1000)


def enqueue_reminders(*, batch_size: int = 50) -> int:
    """Hand queued reminders to the workers, ``batch_size`` per task."""
    queued = (
        Reminder.objects.filter(status=Reminder.Status.QUEUED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    count, batch = 0, []
    for pk in queued.iterator(chunk_size=5000):
        batch.append(pk)
        if len(batch) == batch_size:
            tasks.send_reminders.delay(batch)
            count, batch = count + len(batch), []
    if batch:
        tasks.send_reminders.delay(batch)
        count += len(batch)
    return count


def claim_reminder(reminder_id: int, *, claimant: str) -> Reminder | None:
    """Claim a reminder for sending, or None when it is not ours to send: already
    sent, claimed by another task, or no longer needed (then it is marked skipped).

    ``claimant`` is the Celery task id: a task redelivered after its worker died
    keeps its id, so it may take back the reminder it was sending.
    """
    with transaction.atomic():
        reminder = (
            Reminder.objects.select_for_update(skip_locked=True)
            .select_related("invoice")
            .filter(pk=reminder_id)
            .first()
        )
        if reminder is None or reminder.status in (Reminder.Status.SENT, Reminder.Status.SKIPPED):
            return None
        if reminder.status == Reminder.Status.SENDING and reminder.claimed_by != claimant:
            stale = reminder.claimed_at < clock.now() - timedelta(
                seconds=settings.REMINDER_CLAIM_TIMEOUT
            )
            if not stale:
                return None
        if reminder.invoice.status != Invoice.Status.UNPAID:
            reminder.status = Reminder.Status.SKIPPED
            reminder.save(update_fields=["status"])
            return None
        Reminder.objects.filter(pk=reminder.pk).update(
            status=Reminder.Status.SENDING,
            claimed_by=claimant,
            claimed_at=clock.now(),
            attempts=F("attempts") + 1,
        )
    return reminder


def mark_reminder(reminder_id: int, *, sent: bool, error: str = "") -> None:
    if sent:
        Reminder.objects.filter(pk=reminder_id).update(
            status=Reminder.Status.SENT, sent_at=clock.now(), last_error=""
        )
    else:
        Reminder.objects.filter(pk=reminder_id).update(
            status=Reminder.Status.FAILED, last_error=error[:2000]
        )


# --- Overdue ------------------------------------------------------------------


def handle_overdue(*, today: date | None = None, dry_run: bool = False) -> JobResult:
    """Suspend the active services of invoices unpaid ``BILLING_SUSPEND_AFTER_DAYS``
    after their due date (audited, the customer told why and how to restore).
    Paying restores them (``restore_after_payment``); termination after
    ``BILLING_TERMINATE_AFTER_DAYS`` is left to staff (admin filter and action)."""
    today = today or clock.today()
    result = JobResult("overdue", today, dry_run)
    limit = today - timedelta(days=settings.BILLING_SUSPEND_AFTER_DAYS)
    overdue = Invoice.objects.filter(status=Invoice.Status.UNPAID, due_date__lt=limit)
    services = (
        Service.objects.filter(status=Service.Status.ACTIVE, invoice_lines__invoice__in=overdue)
        .select_related("customer")
        .distinct()
    )
    for service in services.iterator(chunk_size=BATCH):
        invoice = (
            overdue.filter(lines__service=service).order_by("due_date").first()
        )  # the oldest unpaid one
        result.done.append(f"{service.customer} / {service}: invoice {invoice.number}")
        if dry_run:
            continue
        with transaction.atomic():
            updated = Service.objects.filter(pk=service.pk, status=Service.Status.ACTIVE).update(
                status=Service.Status.SUSPENDED,
                suspended_for=invoice,
                status_reason=_(
                    "Suspended because invoice %(number)s (due %(due)s) is unpaid. "
                    "Pay it and the service is restored automatically."
                )
                % {"number": invoice.number, "due": date_format(invoice.due_date, "j F Y")},
            )
            if updated:
                _record_history(service.pk, reason=f"suspended: invoice {invoice.number} overdue")
                transaction.on_commit(
                    lambda s=service.pk, i=invoice.pk: tasks.send_suspension.delay(s, i)
                )
    return result


def _record_history(service_id: int, *, reason: str, actor=None) -> None:
    service = Service.objects.get(pk=service_id)
    service._change_reason = reason
    service._history_user = actor
    service.save(update_fields=["status"])


def restore_after_payment(*, invoice: Invoice, actor) -> int:
    """Paying the invoice a service was suspended for restores the service."""
    restored = 0
    for service in Service.objects.filter(suspended_for=invoice, status=Service.Status.SUSPENDED):
        service.status = Service.Status.ACTIVE
        service.status_reason = ""
        service.suspended_for = None
        service._history_user = actor
        service._change_reason = f"restored: invoice {invoice.number} paid"
        service.save()
        restored += 1
    return restored


def due_for_termination(*, today: date | None = None):
    """Suspended services whose invoice is unpaid beyond the termination limit."""
    today = today or clock.today()
    limit = today - timedelta(days=settings.BILLING_TERMINATE_AFTER_DAYS)
    return Service.objects.filter(
        Q(status=Service.Status.SUSPENDED)
        & Q(suspended_for__status=Invoice.Status.UNPAID)
        & Q(suspended_for__due_date__lt=limit)
    )
