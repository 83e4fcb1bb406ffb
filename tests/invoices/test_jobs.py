"""The scheduled billing jobs: recurring invoices (K4, K5), reminders exactly once,
overdue suspension and restoration."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from core.validators import detect_scan_kind
from invoices import jobs
from invoices import services as billing
from invoices.models import BankAccount, Invoice, Reminder, ReminderKind
from orders.models import Service
from policy import services as policy
from tests.concurrency import at_once
from tests.factories import PlanFactory, png_bytes, upload

WIB = ZoneInfo("Asia/Jakarta")


def at(day: date, hour=10, minute=0):
    moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=WIB)
    return time_machine.travel(moment, tick=False)


def _confirm(invoice, user, amount=None):
    """K3: the customer confirms a transfer of the invoice, with its proof."""
    proof = upload("p.png", png_bytes())
    return billing.payment_confirmation_submit(
        invoice=invoice, submitted_by=user, bank_name="BCA", sender_account_name="Budi",
        amount=amount or invoice.amount_to_transfer, transfer_date=invoice.issue_date,
        to_account=BankAccount.objects.get(), proof=proof, proof_kind=detect_scan_kind(proof),
    )  # fmt: skip


def _pay(invoice, user, staff, amount=None):
    return billing.payment_approve(confirmation=_confirm(invoice, user, amount), staff=staff)


@pytest.fixture
def service(place, verified, staff_user):
    """Monthly hosting activated 1 November 2026: invoices on the 18th for the 1st."""
    with at(date(2026, 11, 1)):
        _pay(place(), verified.user, staff_user)
    return Service.objects.get()


def test_recurring_invoice_is_issued_on_its_issue_date_once(service):
    assert service.next_invoice_date == date(2026, 11, 18)
    assert jobs.issue_recurring_invoices(today=date(2026, 11, 17)).done == []
    result = jobs.issue_recurring_invoices(today=date(2026, 11, 18))
    assert len(result.done) == 1
    invoice = Invoice.objects.get(service=service)
    assert (invoice.issue_date, invoice.period_start) == (date(2026, 11, 18), date(2026, 12, 1))
    assert invoice.total == Decimal("111000.00")
    assert "1 Des 2026 – 31 Des 2026" in invoice.lines.get().description or "Dec" in (
        invoice.lines.get().description
    )
    assert jobs.issue_recurring_invoices(today=date(2026, 11, 18)).done == []
    service.refresh_from_db()
    assert (service.next_invoice_date, service.next_due_date) == (
        date(2026, 12, 18),
        date(2027, 1, 1),
    )


def test_the_recurring_run_records_the_service_and_the_invoice_in_their_history(service):
    with at(date(2026, 11, 18)):
        jobs.issue_recurring_invoices()
    service.refresh_from_db()
    invoice = Invoice.objects.get(service=service)
    record = service.history.first()
    assert (record.history_type, record.history_change_reason, record.history_user) == (
        "~",
        "next period invoiced",
        None,
    )
    assert (record.next_invoice_date, record.plan_id, record.recurring_price) == (
        service.next_invoice_date,
        service.plan_id,
        service.recurring_price,
    )
    assert record.history_date == datetime(2026, 11, 18, 3, 0, tzinfo=ZoneInfo("UTC"))
    (issued,) = invoice.history.all()
    assert (issued.history_type, issued.history_change_reason) == ("+", "invoice issued")
    assert (issued.number, issued.total, issued.unique_code) == (
        invoice.number,
        invoice.total,
        invoice.unique_code,
    )


def test_a_second_worker_cannot_invoice_a_period_twice(service):
    """A second run finds the period invoiced; the database refuses a duplicate."""
    from django.db import IntegrityError, transaction

    jobs.issue_recurring_invoices(today=date(2026, 11, 18))
    result = jobs.JobResult("invoices", date(2026, 11, 18), False)
    jobs._issue_chunk([service.pk], date(2026, 11, 18), result)
    assert result.done == []
    invoice = Invoice.objects.get(service=service)
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.create(
            customer=invoice.customer, service=service, period_start=invoice.period_start,
            number="INV/2026/999999", issue_date=invoice.issue_date, due_date=invoice.due_date,
            subtotal=0, ppn_rate=0, ppn_amount=0, total=0, unique_code=1,
        )  # fmt: skip


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_issue_each_period_once(terms):

    from invoices.services import invoice_issue  # noqa: F401 - the job's own path is used
    from tests.factories import ContactFactory, ProductFactory

    customer = ContactFactory(accepted_terms=terms).customer
    product = ProductFactory()
    plan = PlanFactory(product=product)
    from orders.models import Order

    order = Order.objects.create(
        customer=customer, placed_by=customer.contacts.get().user,
        aup_accepted_at=datetime(2026, 11, 1, tzinfo=WIB), aup_version="x",
    )  # fmt: skip
    for _ in range(30):
        Service.objects.create(
            customer=customer, order=order, product=product, plan=plan, cycle="monthly",
            recurring_price=plan.price, status="active", period_start=date(2026, 11, 1),
            period_end=date(2026, 11, 30), period_anchor=date(2026, 11, 1),
            invoice_anchor=date(2026, 10, 18), next_due_date=date(2026, 12, 1),
            next_invoice_date=date(2026, 11, 18),
        )  # fmt: skip

    def run():
        return jobs.issue_recurring_invoices(today=date(2026, 11, 18))

    outcomes = at_once(run, run)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert Invoice.objects.count() == 30
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"INV/2026/{n:06d}" for n in range(1, 31)]


def test_k5_approved_upgrade_sets_the_plan_and_price_of_its_period(service, verified, staff_user):
    bigger = PlanFactory(product=service.product, name="10 GB", price=Decimal("200000"))
    with at(date(2026, 11, 10)):
        change = policy.service_change_submit(
            service=service, requested_by=verified.user, kind="upgrade", new_plan=bigger,
            period_start=date(2027, 1, 1),
        )  # fmt: skip
        policy.service_change_decide(change=change, staff=staff_user, approve=True)
    jobs.issue_recurring_invoices(today=date(2026, 11, 18))
    jobs.issue_recurring_invoices(today=date(2026, 12, 18))
    december, january = Invoice.objects.filter(service=service).order_by("period_start")
    assert december.subtotal == Decimal("100000.00")
    assert january.subtotal == Decimal("200000.00")
    assert "10 GB" in january.lines.get().description


def test_k5_an_old_upgrade_is_not_replayed_over_a_later_mid_period_upgrade(
    service, verified, staff_user
):
    """The probe: an upgrade to B approved for January, then on 10 January an override
    upgrade to C applied at once. The run of 18 January bills February at C's price and
    leaves the service on C (it billed B and set the service back to B)."""
    b = PlanFactory(product=service.product, name="10 GB", price=Decimal("200000"))
    c = PlanFactory(product=service.product, name="20 GB", price=Decimal("300000"))
    with at(date(2026, 11, 10)):
        change = policy.service_change_submit(
            service=service, requested_by=verified.user, kind="upgrade", new_plan=b,
            period_start=date(2027, 1, 1),
        )  # fmt: skip
        policy.service_change_decide(change=change, staff=staff_user, approve=True)
    for day in (date(2026, 11, 18), date(2026, 12, 18), date(2027, 1, 2)):
        jobs.issue_recurring_invoices(today=day)
    service.refresh_from_db()
    assert (service.plan, service.period_start) == (b, date(2027, 1, 1))
    with at(date(2027, 1, 10)):
        now = policy.service_change_submit(
            service=service, requested_by=staff_user, kind="upgrade", new_plan=c,
            override_reason="Customer's shop launch",
        )  # fmt: skip
        policy.service_change_decide(
            change=now, staff=staff_user, approve=True, effective_immediately=True,
            override_reason="Customer's shop launch",
        )  # fmt: skip
    jobs.issue_recurring_invoices(today=date(2027, 1, 18))
    february = Invoice.objects.get(service=service, period_start=date(2027, 2, 1))
    assert february.subtotal == Decimal("300000.00")
    assert "20 GB" in february.lines.get().description
    service.refresh_from_db()
    assert (service.plan, service.recurring_price) == (c, Decimal("300000.00"))


def test_k5_an_add_on_recurs_from_its_period_on(service, verified, staff_user):
    with at(date(2026, 11, 10)):
        change = policy.service_change_submit(
            service=service, requested_by=verified.user, kind="addon",
            addon_description="Extra IP", period_start=date(2027, 1, 1),
        )  # fmt: skip
        policy.service_change_decide(
            change=change, staff=staff_user, approve=True, addon_price=Decimal("25000")
        )
    for day in (date(2026, 11, 18), date(2026, 12, 18), date(2027, 1, 18)):
        jobs.issue_recurring_invoices(today=day)
    december, january, february = Invoice.objects.filter(service=service).order_by("period_start")
    assert [december.subtotal, january.subtotal, february.subtotal] == [
        Decimal("100000.00"),
        Decimal("125000.00"),
        Decimal("125000.00"),
    ]


@pytest.mark.parametrize(
    ("language", "product", "period", "addon"),
    [
        ("en", "Cloud hosting", "(1 Dec 2026 – 31 Dec 2026)", "Add-on: Extra IP"),
        ("id", "Hosting awan", "(1 Des 2026 – 31 Des 2026)", "Tambahan: Extra IP"),
    ],
)
def test_recurring_lines_are_written_in_the_responsible_contacts_language(
    service, verified, staff_user, language, product, period, addon
):
    """K7: the responsible contact receives the invoice; its lines are in their language."""
    service.product.name_en, service.product.name_id = "Cloud hosting", "Hosting awan"
    service.product.save()
    verified.user.language = language
    verified.user.save()
    with at(date(2026, 11, 10)):
        change = policy.service_change_submit(
            service=service, requested_by=staff_user, kind="addon", addon_description="Extra IP",
            period_start=date(2026, 12, 1), override_reason="agreed by phone",
        )  # fmt: skip
        policy.service_change_decide(
            change=change, staff=staff_user, approve=True, addon_price=Decimal("25000"),
            override_reason="agreed by phone",
        )  # fmt: skip
    jobs.issue_recurring_invoices(today=date(2026, 11, 18))
    plan_line, addon_line = Invoice.objects.get(service=service).lines.all()
    assert plan_line.description.startswith(product) and period in plan_line.description
    assert addon_line.description == f"{addon} {period}"


def test_k5_cancellation_at_period_end_stops_invoicing(service, verified, staff_user):
    with at(date(2026, 11, 10)):
        change = policy.service_change_submit(
            service=service, requested_by=verified.user, kind="cancel",
            period_start=date(2027, 1, 1),
        )  # fmt: skip
        policy.service_change_decide(change=change, staff=staff_user, approve=True)
    jobs.issue_recurring_invoices(today=date(2026, 11, 18))
    jobs.issue_recurring_invoices(today=date(2026, 12, 18))
    assert Invoice.objects.filter(service=service).count() == 1
    jobs.issue_recurring_invoices(today=date(2027, 1, 1))
    service.refresh_from_db()
    assert service.status == Service.Status.CANCELLED


def test_k4_approved_deferral_sets_the_due_date_when_the_invoice_is_issued(
    service, verified, staff_user
):
    with at(date(2026, 11, 10)):
        deferral = policy.deferral_submit(
            service=service, requested_by=verified.user, reason="Waiting for a client payment",
            proposed_due_date=date(2027, 1, 20), period_start=date(2027, 1, 1),
        )  # fmt: skip
        policy.deferral_decide(deferral=deferral, staff=staff_user, approve=True)
    jobs.issue_recurring_invoices(today=date(2026, 12, 18))
    january = Invoice.objects.get(service=service, period_start=date(2027, 1, 1))
    assert january.due_date == date(2027, 1, 20)


def test_periods_roll_forward(service):
    jobs.issue_recurring_invoices(today=date(2026, 12, 2))
    service.refresh_from_db()
    assert (service.period_start, service.period_end) == (date(2026, 12, 1), date(2026, 12, 31))


def test_rolling_the_periods_keeps_a_plan_committed_meanwhile(terms):
    """H1, K5: while the job rolls the first service's period, staff upgrade the second
    (the post_save hook stands in for their commit, in between): the job writes only
    the period, so the second keeps its new plan and price, in its history too."""
    from django.db.models.signals import post_save

    from orders.models import Order
    from tests.factories import ContactFactory, ProductFactory

    customer = ContactFactory(accepted_terms=terms).customer
    product = ProductFactory()
    plan = PlanFactory(product=product)
    bigger = PlanFactory(product=product, name="10 GB", price=200000)
    order = Order.objects.create(
        customer=customer, placed_by=customer.contacts.get().user,
        aup_accepted_at=datetime(2026, 11, 1, tzinfo=WIB), aup_version="x",
    )  # fmt: skip
    first, second = (
        Service.objects.create(
            customer=customer,
            order=order,
            product=product,
            plan=plan,
            cycle="monthly",
            recurring_price=plan.price,
            status="active",
            period_start=date(2026, 11, 1),
            period_end=date(2026, 11, 30),
            period_anchor=date(2026, 11, 1),
            invoice_anchor=date(2026, 10, 18),
        )  # fmt: skip
        for _ in range(2)
    )

    def upgrade_the_other(sender, instance, update_fields=None, **kwargs):
        if instance.pk == first.pk and update_fields:
            Service.objects.filter(pk=second.pk).update(plan=bigger, recurring_price=200000)

    post_save.connect(upgrade_the_other, sender=Service)
    try:
        jobs.issue_recurring_invoices(today=date(2026, 12, 2))
    finally:
        post_save.disconnect(upgrade_the_other, sender=Service)
    second.refresh_from_db()
    assert (second.plan, second.recurring_price) == (bigger, Decimal("200000"))
    assert (second.period_start, second.period_end) == (date(2026, 12, 1), date(2026, 12, 31))
    assert second.history.first().plan == bigger


@pytest.mark.postgres  # SQLite takes no row locks
def test_payment_approval_locks_the_service_before_the_invoice(place, verified, staff_user):
    """The lock order (invoices.services): service rows, then the invoice, as a K5
    decision takes them; the other order would let the two deadlock."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    invoice = place()
    confirmation = _confirm(invoice, verified.user)
    with CaptureQueriesContext(connection) as queries:
        billing.payment_approve(confirmation=confirmation, staff=staff_user)
    locks = [q["sql"].split(" FROM ")[1].split()[0] for q in queries if "FOR UPDATE" in q["sql"]]
    assert '"invoices_invoice"' in locks and '"orders_service"' in locks, locks
    assert locks.index('"orders_service"') < locks.index('"invoices_invoice"'), locks


@pytest.mark.parametrize(
    ("offset", "code"),
    [
        (-7, "7-days-before"),
        (-1, "1-day-before"),
        (0, "due-today"),
        (3, "3-days-after"),
        (7, "7-days-after"),
    ],
)
def test_each_default_reminder_on_its_day(place, offset, code, django_capture_on_commit_callbacks):
    with at(date(2026, 11, 1)):
        invoice = place()
    day = invoice.due_date + timedelta(days=offset)
    with at(day):
        jobs.sweep_reminders(today=day, catch_up_days=0)
    reminders = Reminder.objects.filter(invoice=invoice)
    assert [r.kind.code for r in reminders] == [code]
    assert reminders.get().status == Reminder.Status.SENT  # eager workers in tests
    message = mail.outbox[-1]
    assert invoice.number in message.subject
    assert message.attachments[0][1].startswith(b"%PDF")
    assert "437 0123 456" in message.body


def test_reminders_are_sent_once_however_often_the_sweep_runs(place):
    with at(date(2026, 11, 1)):
        invoice = place()
    day = invoice.due_date
    before = len(mail.outbox)
    for _ in range(3):
        jobs.sweep_reminders(today=day, catch_up_days=0)
    reminder_mails = [m for m in mail.outbox[before:] if invoice.number in m.subject]
    assert len(reminder_mails) == 1


def test_no_reminder_for_a_paid_or_cancelled_invoice(place, verified, staff_user):
    with at(date(2026, 11, 1)):
        paid = place()
        _pay(paid, verified.user, staff_user)
        cancelled = place()
        billing.invoice_cancel(invoice=cancelled, staff=staff_user, reason="duplicate")
    jobs.sweep_reminders(today=paid.due_date, catch_up_days=0)
    assert not Reminder.objects.exists()


def test_invoice_paid_between_sweep_and_send_is_skipped(place, verified, staff_user):
    with at(date(2026, 11, 1)):
        invoice = place()
    kind = ReminderKind.objects.get(offset_days=0)
    reminder = Reminder.objects.create(invoice=invoice, kind=kind)
    _pay(invoice, verified.user, staff_user)
    assert jobs.claim_reminder(reminder.pk, claimant="t1") is None
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.SKIPPED


def test_a_claim_by_another_live_task_is_respected_but_the_same_task_may_retake_it(place):
    with at(date(2026, 11, 1)):
        invoice = place()
    reminder = Reminder.objects.create(invoice=invoice, kind=ReminderKind.objects.first())
    assert jobs.claim_reminder(reminder.pk, claimant="task-a") is not None
    assert jobs.claim_reminder(reminder.pk, claimant="task-b") is None
    assert jobs.claim_reminder(reminder.pk, claimant="task-a") is not None  # redelivered
    jobs.mark_reminder(reminder.pk, sent=True)
    assert jobs.claim_reminder(reminder.pk, claimant="task-a") is None


def test_wib_day_boundary(place):
    """At 23:30 UTC it is already 06:30 the next day in Jakarta: that day's reminders."""
    with at(date(2026, 11, 1)):
        invoice = place()
    due = invoice.due_date
    utc_evening = datetime(
        due.year, due.month, due.day, 23, 30, tzinfo=ZoneInfo("UTC")
    ) - timedelta(days=1)
    with time_machine.travel(utc_evening, tick=False):
        jobs.sweep_reminders(catch_up_days=0)
    assert Reminder.objects.get(invoice=invoice).kind.offset_days == 0


def test_month_end_due_date(customer, bank):
    from invoices.services import invoice_issue
    from orders.pricing import LineSpec

    invoice = invoice_issue(
        customer=customer, lines=[LineSpec("x", Decimal("1000"))], issue_date=date(2027, 1, 24)
    )
    assert invoice.due_date == date(2027, 1, 31)
    jobs.sweep_reminders(today=date(2027, 2, 3), catch_up_days=0)
    assert Reminder.objects.get(invoice=invoice).kind.code == "3-days-after"


def test_overdue_services_are_suspended_and_restored_by_payment(
    service, verified, staff_user, django_capture_on_commit_callbacks
):
    jobs.issue_recurring_invoices(today=date(2026, 11, 18))
    invoice = Invoice.objects.get(service=service)
    late = invoice.due_date + timedelta(days=8)
    with django_capture_on_commit_callbacks(execute=True):
        result = jobs.handle_overdue(today=late)
    assert len(result.done) == 1
    service.refresh_from_db()
    assert service.status == Service.Status.SUSPENDED and invoice.number in service.status_reason
    assert "suspended" in service.history.first().history_change_reason
    assert invoice.number in mail.outbox[-1].body
    assert jobs.handle_overdue(today=late).done == []  # once
    with at(late):
        _pay(invoice, verified.user, staff_user)
    service.refresh_from_db()
    assert service.status == Service.Status.ACTIVE and not service.status_reason


def test_k3_a_transfer_awaiting_verification_holds_reminders_and_suspension(
    service, verified, staff_user
):
    """The customer confirmed the payment; staff have not checked it yet: no reminder
    and no suspension for that invoice. Once rejected, both go on."""
    jobs.issue_recurring_invoices(today=date(2026, 11, 18))
    invoice = Invoice.objects.get(service=service)
    confirmation = _confirm(invoice, verified.user)
    late = invoice.due_date + timedelta(days=8)
    assert jobs.sweep_reminders(today=invoice.due_date, catch_up_days=0).done == []
    assert jobs.handle_overdue(today=late).done == []
    service.refresh_from_db()
    assert service.status == Service.Status.ACTIVE
    billing.payment_reject(confirmation=confirmation, staff=staff_user, reason="Tidak masuk")
    assert len(jobs.sweep_reminders(today=invoice.due_date, catch_up_days=0).done) == 1
    assert len(jobs.handle_overdue(today=late).done) == 1
    service.refresh_from_db()
    assert service.status == Service.Status.SUSPENDED


def test_a_service_staff_restored_is_not_suspended_again_for_the_same_invoice(
    service, verified, staff_user, django_capture_on_commit_callbacks
):
    """Staff re-activate a suspended service (a promise to pay, say): the hourly overdue
    run respects that for the invoice it was suspended for; a later invoice that goes
    unpaid suspends it again."""
    from invoices.models import SuspensionWaiver
    from orders.services import service_set_status

    jobs.issue_recurring_invoices(today=date(2026, 11, 18))
    december = Invoice.objects.get(service=service)
    late = december.due_date + timedelta(days=8)
    jobs.handle_overdue(today=late)
    service.refresh_from_db()
    assert service.status == Service.Status.SUSPENDED
    with at(late):
        service_set_status(
            service=service, status=Service.Status.ACTIVE, actor=staff_user,
            reason="Promised to pay on the 20th",
        )  # fmt: skip
    waiver = SuspensionWaiver.objects.get()
    assert (waiver.service, waiver.invoice, waiver.waived_by) == (service, december, staff_user)
    assert waiver.reason == "Promised to pay on the 20th"
    for hour in range(3):
        assert jobs.handle_overdue(today=late + timedelta(days=hour)).done == []
    service.refresh_from_db()
    assert service.status == Service.Status.ACTIVE and service.suspended_for is None

    jobs.issue_recurring_invoices(today=date(2026, 12, 18))
    january = Invoice.objects.get(service=service, period_start=date(2027, 1, 1))
    result = jobs.handle_overdue(today=january.due_date + timedelta(days=8))
    assert len(result.done) == 1 and january.number in result.done[0]
    service.refresh_from_db()
    assert (service.status, service.suspended_for) == (Service.Status.SUSPENDED, january)


def test_termination_is_only_listed_for_staff(service):
    jobs.issue_recurring_invoices(today=date(2026, 11, 18))
    invoice = Invoice.objects.get(service=service)
    jobs.handle_overdue(today=invoice.due_date + timedelta(days=8))
    assert not jobs.due_for_termination(today=invoice.due_date + timedelta(days=20)).exists()
    assert jobs.due_for_termination(today=invoice.due_date + timedelta(days=31)).get() == service
    service.refresh_from_db()
    assert service.status == Service.Status.SUSPENDED  # never terminated by the job


def test_run_billing_command_prints_what_it_did(service, capsys):
    call_command("run_billing", "--job", "invoices", "--date", "2026-11-18", "--dry-run")
    assert "would do 1" in capsys.readouterr().out
    assert not Invoice.objects.filter(service=service).exists()
    call_command("run_billing", "--job", "invoices", "--date", "2026-11-18")
    assert Invoice.objects.filter(service=service).count() == 1
