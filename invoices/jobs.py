"""The scheduled billing jobs: recurring invoices, reminders and overdue handling.

Each job is idempotent and set-based: it finds due work with a few queries, works
in batches, and relies on database constraints (one invoice per service period,
one reminder per invoice and kind) so that two runs at once never do a thing twice.
A reminder is sent at most once up to the SMTP server's acceptance (``send_reminders``).
Celery tasks (invoices.tasks) and ``manage.py run_billing`` call these functions.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils.translation import gettext as _

from core import clock
from core.audit import audited, history_bulk_record
from invoices import tasks
from invoices.billing import contact_languages, period_bill
from invoices.models import (
    Invoice,
    InvoiceLine,
    PaymentConfirmation,
    Reminder,
    ReminderKind,
    SuspensionWaiver,
)
from invoices.services import (
    InvoiceSpec,
    invoice_apply_deferrals,
    invoices_issue_batch,
    suspension_reason,
)
from orders.models import Service

log = logging.getLogger(__name__)
BATCH = 500
RECURRING_BATCH = 2000  # services per transaction of the recurring run
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


def _issue_chunk(ids: list[int], today: date, result: JobResult) -> None:
    """Issue the due invoices of one chunk of services in one transaction.

    The services are locked (``skip_locked``: another run takes other chunks) and
    filtered again once locked, so a service another run just invoiced is left out;
    the one-invoice-per-service-period constraint is the last guard: if it fires, the
    chunk is retried one service at a time.
    """
    from policy.models import Decision, PaymentDeferral
    from policy.selectors import approved_changes

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
            for change in approved_changes(services=services):
                changes[change.service_id].append(change)
            deferrals = {
                (d.service_id, d.period_start): d
                for d in PaymentDeferral.objects.filter(
                    service__in=services, status=Decision.APPROVED, applied_to__isnull=True
                )
            }
            languages = contact_languages(service.customer_id for service in services)
            _issue_services(services, changes, deferrals, languages, result)
    except IntegrityError:
        if len(ids) == 1:
            result.skipped.append(f"service {ids[0]}: already invoiced")
            return
        for pk in ids:
            _issue_chunk([pk], today, result)


def _issue_services(services, changes, deferrals, languages, result: JobResult) -> None:
    specs, invoiced, ended, applied = [], [], [], []
    for service in services:
        schedule = service.schedule
        period = schedule.period_containing(service.next_due_date)
        label = f"{service.customer} / {service} / period {period.start}"
        bill = period_bill(
            service=service,
            period=period,
            changes=changes[service.pk],
            language=languages[service.customer_id],
        )
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
    invoice_apply_deferrals(  # K4: due on the approved date (set in the spec), linked
        links=[(i, d) for i, d in zip(invoices, applied, strict=True) if d is not None],
        actor=None,
    )
    _update_services(invoiced + ended)
    history_bulk_record(Service, [s.pk for s in invoiced], reason="next period invoiced")


def _update_services(services: list[Service]) -> None:
    """Write the plan, price and next dates the run set: one UPDATE per distinct set of
    values (a day's services share a few), not ``bulk_update``'s CASE per row, whose
    cost grows with the square of the batch."""
    groups = defaultdict(list)
    for service in services:
        values = (
            service.plan_id,
            service.recurring_price,
            service.next_invoice_date,
            service.next_due_date,
        )
        groups[values].append(service.pk)
    for (plan_id, price, next_invoice_date, next_due_date), ids in groups.items():
        Service.objects.filter(pk__in=ids).update(
            plan_id=plan_id,
            recurring_price=price,
            next_invoice_date=next_invoice_date,
            next_due_date=next_due_date,
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
        for start in range(0, len(ids), RECURRING_BATCH):
            _issue_chunk(ids[start : start + RECURRING_BATCH], today, result)
    _roll_periods(today=today, dry_run=dry_run, result=result)
    return result


def _roll_periods(*, today: date, dry_run: bool, result: JobResult) -> None:
    """H1: move each active service's current period forward once it has ended; a
    service whose cancellation (K5) applies from the new period ends instead.

    Each service is locked and read again in its own short transaction, and only the
    fields this job sets are written: a plan or price that staff committed meanwhile
    (``policy.services``: a mid-period upgrade, a change applied to issued invoices)
    is kept, in the row and in its history."""
    from policy.models import Decision, ServiceChange

    ended = Service.objects.filter(
        status__in=[Service.Status.ACTIVE, Service.Status.SUSPENDED],
        period_end__lt=today,
        period_anchor__isnull=False,
    )
    if dry_run:
        return
    for pk in list(ended.values_list("pk", flat=True).order_by("pk")):
        with transaction.atomic():
            service = ended.select_for_update(of=("self",)).filter(pk=pk).first()
            if service is None:  # rolled by another run meanwhile, or no longer active
                continue
            period = service.schedule.period_containing(today)
            cancelled = ServiceChange.objects.filter(
                service=service,
                kind=ServiceChange.Kind.CANCEL,
                status=Decision.APPROVED,
                period_start__lte=period.start,
            ).exists()
            if cancelled:
                service.status = Service.Status.CANCELLED
                service.status_reason = _("Cancelled at the end of the period, as requested.")
                fields, reason = ["status", "status_reason"], "cancelled at period end (K5)"
            else:
                service.period_start, service.period_end = period.start, period.end
                fields, reason = ["period_start", "period_end"], "new period"
            audited(service, actor=None, reason=reason).save(update_fields=fields)


# --- Reminders ----------------------------------------------------------------


# K3: the customer confirmed a transfer that staff have not checked yet: no reminder,
# no suspension for that invoice meanwhile (a rejection lets both go on).
_awaiting_verification = PaymentConfirmation.objects.filter(
    invoice=OuterRef("pk"), status=PaymentConfirmation.Status.PENDING
)


def sweep_reminders(
    *, today: date | None = None, dry_run: bool = False, catch_up_days: int = 2
) -> JobResult:
    """Create the reminders that are due today (or in the last ``catch_up_days``
    days, after an outage) for unpaid invoices whose transfer does not await staff's
    verification (K3), then enqueue their sending in batches. Per kind, one ``INSERT …
    SELECT`` creates the rows in the database and the unique (invoice, kind) constraint
    drops any that exist already; the invoices never pass through Python."""
    today = today or clock.today()
    result = JobResult("reminders", today, dry_run)
    created = []
    for kind in ReminderKind.objects.filter(is_active=True):
        latest_due = today - timedelta(days=kind.offset_days)
        invoices = Invoice.objects.filter(
            status=Invoice.Status.UNPAID,
            due_date__lte=latest_due,
            due_date__gte=latest_due - timedelta(days=catch_up_days),
        ).exclude(Exists(Reminder.objects.filter(invoice=OuterRef("pk"), kind=kind)))
        invoices = invoices.exclude(Exists(_awaiting_verification))
        if dry_run:
            ids = invoices.values_list("pk", flat=True).order_by("pk")
            result.done.extend(f"{kind.code}: invoice {pk}" for pk in ids.iterator())
            continue
        for reminder_id, invoice_id in _insert_new(invoices, kind):
            created.append(reminder_id)
            result.done.append(f"{kind.code}: invoice {invoice_id}")
    if not dry_run:
        _hand_over(sorted(created))
        enqueue_reminders()  # those an earlier sweep created and did not hand over
    return result


def _insert_new(invoices, kind: ReminderKind) -> list[tuple[int, int]]:
    """``INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING`` (PostgreSQL and SQLite):
    a reminder of ``kind`` for each of ``invoices``, marked as handed to the workers
    now; (reminder, invoice) of the rows this statement created. Another sweep's rows
    are dropped by the constraint, so each reminder is reported, and handed over, by
    the sweep that created it. ``bulk_create`` with ``ignore_conflicts`` cannot tell
    which rows the constraint dropped."""
    quote = connection.ops.quote_name
    now = connection.ops.adapt_datetimefield_value(clock.now())
    names = ("invoice", "kind", "status", "created_at", "enqueued_at")
    names += ("claimed_by", "attempts", "last_error")
    columns = ", ".join(quote(Reminder._meta.get_field(name).column) for name in names)
    select, params = (
        invoices.annotate(due_id=F("pk")).values_list("due_id").order_by("pk").query
    ).sql_with_params()
    # Table and column names come from the models, the SELECT from the ORM; every value
    # is a parameter. ``WHERE true`` tells SQLite's parser that ON starts the upsert.
    sql = (
        f"INSERT INTO {quote(Reminder._meta.db_table)} ({columns})"  # noqa: S608  # nosec B608
        f" SELECT due.due_id, %s, %s, %s, %s, '', 0, '' FROM ({select}) AS due WHERE true"
        " ON CONFLICT DO NOTHING RETURNING id, invoice_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [kind.pk, Reminder.Status.QUEUED, now, now, *params])
        return cursor.fetchall()


def _hand_over(ids: list[int], batch_size: int = 50) -> None:
    for start in range(0, len(ids), batch_size):
        tasks.send_reminders.delay(ids[start : start + batch_size])


def enqueue_reminders(*, batch_size: int = 50, chunk_size: int = 5000) -> int:
    """Hand reminders to the workers, ``batch_size`` per task: those never handed over,
    those still queued ``REMINDER_CLAIM_TIMEOUT`` after they were (their message was
    lost), and those still "sending" with a claim that old (the worker died mid-send;
    ``claim_reminder`` lets a new task take a stale claim). Each is handed over again
    at most once per timeout, however often beat runs the sweep.

    Set-based: per chunk, one locking SELECT of the ids (``skip_locked``: a concurrent
    sweep takes other rows) and one UPDATE of their ``enqueued_at``."""
    now = clock.now()
    stale = now - timedelta(seconds=settings.REMINDER_CLAIM_TIMEOUT)
    not_recently = Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=stale)
    due = Reminder.objects.filter(
        (Q(status=Reminder.Status.QUEUED) | Q(status=Reminder.Status.SENDING, claimed_at__lt=stale))
        & not_recently
    )
    count, after = 0, 0
    while True:
        with transaction.atomic():
            ids = list(
                due.filter(pk__gt=after)
                .select_for_update(skip_locked=True)
                .order_by("pk")
                .values_list("pk", flat=True)[:chunk_size]
            )
            Reminder.objects.filter(pk__in=ids).update(enqueued_at=now)
        _hand_over(ids, batch_size)
        count += len(ids)
        if len(ids) < chunk_size:
            return count
        after = ids[-1]


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
    after their due date (audited, the customer told why and how to restore), except
    for an invoice staff waived when they re-activated the service (``SuspensionWaiver``:
    the job does not undo their decision) and one whose confirmed transfer awaits
    their verification (K3).
    Paying restores them (``restore_after_payment``); termination after
    ``BILLING_TERMINATE_AFTER_DAYS`` is left to staff (admin filter and action)."""
    today = today or clock.today()
    result = JobResult("overdue", today, dry_run)
    limit = today - timedelta(days=settings.BILLING_SUSPEND_AFTER_DAYS)
    overdue = Invoice.objects.filter(status=Invoice.Status.UNPAID, due_date__lt=limit).exclude(
        Exists(_awaiting_verification)
    )
    waived = SuspensionWaiver.objects.filter(
        service=OuterRef("service"), invoice=OuterRef("invoice")
    )
    unwaived = InvoiceLine.objects.filter(service=OuterRef("pk"), invoice__in=overdue).exclude(
        Exists(waived)
    )
    services = Service.objects.filter(status=Service.Status.ACTIVE).filter(Exists(unwaived))
    for service in services.select_related("customer").iterator(chunk_size=BATCH):
        invoice = (
            overdue.filter(lines__service=service)
            .exclude(suspension_waivers__service=service)
            .order_by("due_date")
            .first()
        )  # the oldest unpaid one that staff did not waive
        result.done.append(f"{service.customer} / {service}: invoice {invoice.number}")
        if dry_run:
            continue
        with transaction.atomic():
            updated = Service.objects.filter(pk=service.pk, status=Service.Status.ACTIVE).update(
                status=Service.Status.SUSPENDED,
                suspended_for=invoice,
                status_reason=suspension_reason(invoice),
            )
            if updated:
                _record_history(service.pk, reason=f"suspended: invoice {invoice.number} overdue")
                transaction.on_commit(
                    lambda s=service.pk, i=invoice.pk: tasks.send_suspension.delay(s, i)
                )
    return result


def _record_history(service_id: int, *, reason: str, actor=None) -> None:
    service = Service.objects.get(pk=service_id)
    audited(service, actor=actor, reason=reason).save(update_fields=["status"])


def restore_after_payment(*, invoice: Invoice, actor) -> int:
    """Paying the invoice a service was suspended for restores the service."""
    restored = 0
    for service in Service.objects.filter(suspended_for=invoice, status=Service.Status.SUSPENDED):
        service.status = Service.Status.ACTIVE
        service.status_reason = ""
        service.suspended_for = None
        audited(service, actor=actor, reason=f"restored: invoice {invoice.number} paid").save()
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
