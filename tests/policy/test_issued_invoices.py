"""K5: a change approved after its period's invoice was issued, and an upgrade applied
mid-period, reach the invoices already issued: an invoice without a payment is
cancelled and issued again with the change; one with a payment is left alone (an
upgrade or add-on bills the difference separately; a downgrade or cancellation is
refused with what staff can do)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from invoices.jobs import (
    due_for_termination,
    handle_overdue,
    issue_recurring_invoices,
    sweep_reminders,
)
from invoices.models import Invoice, Reminder, SuspensionWaiver
from orders.models import Service
from policy import services
from policy.models import Decision, ServiceChange
from tests.factories import PlanFactory
from tests.policy.helpers import at, pay

DECEMBER, JANUARY = date(2026, 12, 1), date(2027, 1, 1)


@pytest.fixture
def december(service):
    """The recurring run issues December's invoice on 18 November (Rp 100.000)."""
    with at(date(2026, 11, 18), hour=1):
        issue_recurring_invoices(today=date(2026, 11, 18))
    invoice = Invoice.objects.get(service=service, period_start=DECEMBER)
    assert (invoice.status, invoice.subtotal) == (Invoice.Status.UNPAID, Decimal("100000.00"))
    return invoice


@pytest.fixture
def bigger(service):
    return PlanFactory(product=service.product, name="10 GB", price=Decimal("200000"))


def _late_change(service, staff, **kwargs):
    """Entered by staff on 19 November for December, whose invoice is out: an override."""
    return services.service_change_submit(
        service=service, requested_by=staff, period_start=DECEMBER,
        override_reason="Agreed with the customer by phone", **kwargs,
    )  # fmt: skip


def _live(service, start):
    return Invoice.objects.exclude(status=Invoice.Status.CANCELLED).get(
        service=service, period_start=start
    )


def test_k5_cancellation_approved_after_the_invoice_cancels_that_invoice(
    service, staff_user, december
):
    """The probe: December invoiced on 18 November, the cancellation from 1 December
    approved on the 19th. The invoice is cancelled, no reminder goes out for it, and
    the service ends when December starts."""
    with at(date(2026, 11, 19)):
        change = _late_change(service, staff_user, kind="cancel")
        services.service_change_decide(
            change=change, staff=staff_user, approve=True, reason="Sorry to see you go"
        )
    december.refresh_from_db()
    assert december.status == Invoice.Status.CANCELLED
    row = december.history.first()
    assert row.history_user == staff_user and f"change {change.pk}" in row.history_change_reason
    assert Invoice.objects.filter(service=service, period_start=DECEMBER).count() == 1
    for day in (date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 28)):
        with at(day):
            sweep_reminders(today=day)
    assert not Reminder.objects.filter(invoice=december).exists()
    with at(DECEMBER):
        issue_recurring_invoices(today=DECEMBER)
    service.refresh_from_db()
    assert service.status == Service.Status.CANCELLED


def test_k5_upgrade_approved_after_the_invoice_issues_the_corrected_one(
    service, staff_user, december, bigger
):
    with at(date(2026, 11, 19)):
        change = _late_change(service, staff_user, kind="upgrade", new_plan=bigger)
        services.service_change_decide(change=change, staff=staff_user, approve=True)
    december.refresh_from_db()
    assert december.status == Invoice.Status.CANCELLED
    corrected = _live(service, DECEMBER)
    assert corrected.pk != december.pk
    assert corrected.subtotal == Decimal("200000.00")
    assert "10 GB" in corrected.lines.get().description
    assert corrected.lines.get().service == service
    assert corrected.history.first().history_user == staff_user
    service.refresh_from_db()
    assert (service.plan, service.recurring_price) == (bigger, Decimal("200000"))
    with at(date(2026, 12, 18), hour=1):
        issue_recurring_invoices(today=date(2026, 12, 18))
    assert _live(service, JANUARY).subtotal == Decimal("200000.00")


def test_k5_addon_approved_after_the_invoice_adds_its_line(service, staff_user, december):
    with at(date(2026, 11, 19)):
        change = _late_change(service, staff_user, kind="addon", addon_description="5 GB more")
        services.service_change_decide(
            change=change, staff=staff_user, approve=True, addon_price=Decimal("25000")
        )
    corrected = _live(service, DECEMBER)
    assert corrected.subtotal == Decimal("125000.00")
    assert corrected.lines.count() == 2
    assert any("5 GB more" in line.description for line in corrected.lines.all())


def test_k5_corrected_invoice_keeps_an_approved_deferral(
    service, verified, staff_user, december, bigger
):
    """K4 + K5: December's payment was deferred to 20 December; the corrected invoice
    is due then too, and the deferral points at it."""
    with at(date(2026, 11, 19)):
        deferral = services.deferral_submit(
            service=service, requested_by=staff_user, reason="Their client pays late.",
            proposed_due_date=date(2026, 12, 20), period_start=DECEMBER,
            override_reason="Long-standing customer",
        )  # fmt: skip
        services.deferral_decide(deferral=deferral, staff=staff_user, approve=True)
        change = _late_change(service, staff_user, kind="upgrade", new_plan=bigger)
        services.service_change_decide(change=change, staff=staff_user, approve=True)
    corrected = _live(service, DECEMBER)
    assert corrected.due_date == date(2026, 12, 20)
    deferral.refresh_from_db()
    assert deferral.applied_to == corrected


@pytest.mark.parametrize("kind", ["downgrade", "cancel"])
def test_k5_downgrade_or_cancellation_of_a_paid_period_is_refused_with_what_to_do(
    service, verified, staff_user, december, kind
):
    smaller = PlanFactory(product=service.product, name="500 MB", price=Decimal("50000"))
    with at(date(2026, 11, 19)):
        pay(december, by=verified.user, staff=staff_user)
        change = _late_change(
            service, staff_user, kind=kind, new_plan=smaller if kind == "downgrade" else None
        )
        with translation.override("en"), pytest.raises(ValidationError) as refusal:
            services.service_change_decide(change=change, staff=staff_user, approve=True)
    message = " ".join(refusal.value.messages)
    assert december.number in message
    assert "Reject this request" in message and "1 January 2027" in message
    change.refresh_from_db()
    assert change.status == Decision.PENDING
    december.refresh_from_db()
    assert december.status == Invoice.Status.PAID
    assert Invoice.objects.filter(service=service, period_start=DECEMBER).count() == 1
    service.refresh_from_db()
    assert service.recurring_price == Decimal("100000")


def test_k5_upgrade_of_a_partly_paid_period_invoices_the_difference(
    service, verified, staff_user, december, bigger
):
    with at(date(2026, 11, 19)):
        pay(december, by=verified.user, staff=staff_user, amount=Decimal("50000"))
        before = set(Invoice.objects.values_list("pk", flat=True))
        change = _late_change(service, staff_user, kind="upgrade", new_plan=bigger)
        services.service_change_decide(change=change, staff=staff_user, approve=True)
    december.refresh_from_db()
    assert (december.status, december.amount_paid) == (Invoice.Status.UNPAID, Decimal("50000"))
    [difference] = Invoice.objects.exclude(pk__in=before)
    assert difference.subtotal == Decimal("100000.00")
    line = difference.lines.get()
    assert (line.service, line.period_start, line.period_end) == (
        service,
        DECEMBER,
        date(2026, 12, 31),
    )
    change.refresh_from_db()
    assert change.status == Decision.APPROVED


# --- C: an upgrade applied mid-period also reaches the next period's invoice ------------


@pytest.fixture
def upgrade(service, verified, bigger):
    """Asked on 10 November, in time, for January."""
    with at(date(2026, 11, 10)):
        return services.service_change_submit(
            service=service, requested_by=verified.user, kind="upgrade", new_plan=bigger,
            period_start=JANUARY,
        )  # fmt: skip


def _now(change, staff):
    with at(date(2026, 11, 20)):
        before = set(Invoice.objects.values_list("pk", flat=True))
        services.service_change_decide(
            change=change, staff=staff, approve=True, effective_immediately=True,
            override_reason="Traffic spike, customer asked by phone",
            reason="Upgraded today",
        )  # fmt: skip
    return Invoice.objects.exclude(pk__in=before).order_by("pk")


def test_k5_mid_period_upgrade_corrects_the_next_periods_unpaid_invoice(
    service, staff_user, december, upgrade
):
    prorated, corrected = _now(upgrade, staff_user)
    # 11 of November's 30 days are left (20–30 November): 11/30 of Rp 100.000.
    assert prorated.subtotal == Decimal("36667.00")
    december.refresh_from_db()
    assert december.status == Invoice.Status.CANCELLED
    assert (corrected.service, corrected.period_start) == (service, DECEMBER)
    assert corrected.subtotal == Decimal("200000.00")


def test_k5_mid_period_upgrade_invoices_the_next_periods_difference_once_paid(
    service, verified, staff_user, december, upgrade
):
    with at(date(2026, 11, 19)):
        pay(december, by=verified.user, staff=staff_user)
    prorated, difference = _now(upgrade, staff_user)
    assert prorated.subtotal == Decimal("36667.00")
    assert difference.subtotal == Decimal("100000.00")
    assert difference.lines.get().period_start == DECEMBER
    december.refresh_from_db()
    assert december.status == Invoice.Status.PAID


def test_k5_change_approved_before_the_invoice_leaves_invoices_to_the_run(
    service, verified, staff_user, upgrade
):
    """In time, nothing is issued yet: the approval touches no invoice."""
    with at(date(2026, 11, 12)):
        before = Invoice.objects.count()
        services.service_change_decide(change=upgrade, staff=staff_user, approve=True)
    assert Invoice.objects.count() == before
    service.refresh_from_db()
    assert service.recurring_price == Decimal("100000")
    assert ServiceChange.objects.get().status == Decision.APPROVED


# --- a change applied to an issued invoice keeps what pointed at it ---------------------


def _overdue_and_suspended(service, december):
    """December (due 25 November) unpaid past the 7 days: suspended on 3 December."""
    with at(date(2026, 12, 3), hour=2):
        handle_overdue(today=date(2026, 12, 3))
    service.refresh_from_db()
    assert (service.status, service.suspended_for) == (Service.Status.SUSPENDED, december)


def _approve_on_4_december(change, staff):
    with at(date(2026, 12, 4)):
        services.service_change_decide(
            change=change, staff=staff, approve=True,
            override_reason="Customer asked; December's invoice is corrected",
        )  # fmt: skip
    return _live(service=change.service, start=DECEMBER)


def test_k5_corrected_invoice_takes_over_the_suspension_and_paying_it_restores(
    service, verified, staff_user, december, bigger
):
    """The suspension follows the corrected invoice: paying it restores the service,
    and termination counts from it (not from the cancelled one, which it skipped)."""
    with at(date(2026, 11, 19)):
        change = _late_change(service, staff_user, kind="upgrade", new_plan=bigger)
    _overdue_and_suspended(service, december)
    corrected = _approve_on_4_december(change, staff_user)
    service.refresh_from_db()
    assert service.suspended_for == corrected
    assert corrected.number in service.status_reason and december.number not in (
        service.status_reason
    )
    late = corrected.due_date + timedelta(days=31)
    assert service in due_for_termination(today=late)
    with at(date(2026, 12, 5)):
        pay(corrected, by=verified.user, staff=staff_user)
    service.refresh_from_db()
    assert (service.status, service.suspended_for) == (Service.Status.ACTIVE, None)


def test_k5_corrected_invoice_keeps_the_waiver_staff_gave(service, staff_user, december, bigger):
    """Staff re-activated the service suspended for December; the corrected December
    invoice, unpaid in its turn, does not suspend it again."""
    from orders.services import service_set_status

    with at(date(2026, 11, 19)):
        change = _late_change(service, staff_user, kind="upgrade", new_plan=bigger)
    _overdue_and_suspended(service, december)
    with at(date(2026, 12, 3), hour=9):
        service_set_status(
            service=service, status=Service.Status.ACTIVE, actor=staff_user,
            reason="Pays at the end of the month, agreed",
        )  # fmt: skip
    corrected = _approve_on_4_december(change, staff_user)
    assert SuspensionWaiver.objects.get(service=service).invoice == corrected
    overdue_day = corrected.due_date + timedelta(days=8)
    with at(overdue_day, hour=2):
        handle_overdue(today=overdue_day)
    service.refresh_from_db()
    assert service.status == Service.Status.ACTIVE


def test_k5_a_change_for_a_period_that_has_started_needs_an_override_at_the_decision(
    service, staff_user, december, bigger
):
    """On 4 December, December has started and its invoice is overdue: approving the
    upgrade reprices it after the fact. Refused without an override reason given with
    the decision (the one given when it was entered, on 19 November, does not count);
    with one, applied and recorded."""
    with at(date(2026, 11, 19)):
        change = _late_change(service, staff_user, kind="upgrade", new_plan=bigger)
    with at(date(2026, 12, 4)), translation.override("en"), pytest.raises(ValidationError) as no:
        services.service_change_decide(change=change, staff=staff_user, approve=True)
    message = " ".join(no.value.message_dict["override_reason"])
    assert "1 December 2026 has already started" in message
    assert "1 January 2027" in message  # the period it can still be entered for
    change.refresh_from_db()
    december.refresh_from_db()
    assert (change.status, december.status) == (Decision.PENDING, Invoice.Status.UNPAID)

    corrected = _approve_on_4_december(change, staff_user)
    change.refresh_from_db()
    assert change.status == Decision.APPROVED
    assert change.override_reason == "Customer asked; December's invoice is corrected"
    assert "override: Customer asked" in change.history.first().history_change_reason
    assert corrected.subtotal == Decimal("200000.00")


def test_k5_a_mid_period_upgrade_after_a_late_one_bills_the_plan_the_service_has(
    service, staff_user, december, bigger
):
    """December invoiced; an upgrade to 10 GB approved for December corrects it; then
    an upgrade to 20 GB applied at once corrects it again: at 20 GB, the service's plan,
    not at 10 GB replayed from the earlier change."""
    biggest = PlanFactory(product=service.product, name="20 GB", price=Decimal("300000"))
    with at(date(2026, 11, 19)):
        first = _late_change(service, staff_user, kind="upgrade", new_plan=bigger)
        services.service_change_decide(change=first, staff=staff_user, approve=True)
        then = services.service_change_submit(
            service=service, requested_by=staff_user, kind="upgrade", new_plan=biggest,
            override_reason="Traffic spike",
        )  # fmt: skip
    prorated, corrected = _now(then, staff_user)
    # 11 of November's 30 days left at Rp 100.000 more.
    assert prorated.subtotal == Decimal("36667.00")
    assert corrected.period_start == DECEMBER
    assert corrected.subtotal == Decimal("300000.00")
    assert "20 GB" in corrected.lines.get().description
    service.refresh_from_db()
    assert (service.plan, service.recurring_price) == (biggest, Decimal("300000"))


def test_k7_staff_added_lines_are_in_the_responsible_contacts_language(
    service, verified, staff_user, december, upgrade
):
    """Staff work in English; the customer reads Indonesian: the prorated line and the
    next period's difference are written in Indonesian, like the recurring lines."""
    verified.user.language = "id"
    verified.user.save(update_fields=["language"])
    with at(date(2026, 11, 19)):
        pay(december, by=verified.user, staff=staff_user)
    with translation.override("en"):
        prorated, difference = _now(upgrade, staff_user)
    assert prorated.lines.get().description == (
        "Peningkatan ke 10 GB dari 20 November 2026 sampai 30 November 2026 (prorata)"
    )
    assert "1 Desember 2026" in difference.lines.get().description
    assert "31 Desember 2026" in difference.lines.get().description


# --- refunded and partly paid period invoices -------------------------------------------


def test_k5_a_refunded_period_invoice_leaves_the_period_free_to_bill_again(
    service, staff_user, december
):
    from invoices.services import invoice_issue
    from orders.pricing import LineSpec

    Invoice.objects.filter(pk=december.pk).update(status=Invoice.Status.REFUNDED)
    with at(date(2026, 11, 20)):
        again = invoice_issue(
            customer=service.customer, lines=[LineSpec("December again", Decimal("100000"))],
            services=[service], issue_date=date(2026, 11, 20), actor=staff_user,
            period_service=service, period_start=DECEMBER,
        )  # fmt: skip
    assert set(Invoice.objects.filter(service=service, period_start=DECEMBER)) == {december, again}


def test_k5_a_downgrade_for_a_refunded_period_is_not_refused_as_paid(service, staff_user, december):
    """The refunded invoice no longer bills December: nothing to correct or refuse."""
    smaller = PlanFactory(product=service.product, name="500 MB", price=Decimal("50000"))
    Invoice.objects.filter(pk=december.pk).update(status=Invoice.Status.REFUNDED)
    with at(date(2026, 11, 19)):
        change = _late_change(service, staff_user, kind="downgrade", new_plan=smaller)
        services.service_change_decide(change=change, staff=staff_user, approve=True)
    change.refresh_from_db()
    december.refresh_from_db()
    assert (change.status, december.status) == (Decision.APPROVED, Invoice.Status.REFUNDED)


def test_k5_the_refusal_says_partly_paid_for_a_partly_paid_invoice(
    service, verified, staff_user, december
):
    smaller = PlanFactory(product=service.product, name="500 MB", price=Decimal("50000"))
    with at(date(2026, 11, 19)):
        pay(december, by=verified.user, staff=staff_user, amount=Decimal("50000"))
        change = _late_change(service, staff_user, kind="downgrade", new_plan=smaller)
        with translation.override("en"), pytest.raises(ValidationError) as refusal:
            services.service_change_decide(change=change, staff=staff_user, approve=True)
    message = " ".join(refusal.value.messages)
    assert f"Invoice {december.number} for the period starting 1 December 2026 is partly paid" in (
        message
    )
    assert "already has a payment" not in message


def test_k5_a_confirmation_waiting_on_the_invoice_is_named_as_what_to_decide_first(
    service, verified, staff_user, december, bigger
):
    """Staff approving a change read what to do about the confirmation, not "cancel
    the invoice", which is not what they were doing."""
    from core.validators import detect_scan_kind
    from invoices import services as billing
    from invoices.models import BankAccount
    from tests.factories import png_bytes, upload

    proof = upload("p.png", png_bytes())
    with at(date(2026, 11, 19)):
        billing.payment_confirmation_submit(
            invoice=december, submitted_by=verified.user, bank_name="BCA",
            sender_account_name="Budi", amount=december.amount_to_transfer,
            transfer_date=date(2026, 11, 19), to_account=BankAccount.objects.get(),
            proof=proof, proof_kind=detect_scan_kind(proof),
        )  # fmt: skip
        change = _late_change(service, staff_user, kind="upgrade", new_plan=bigger)
        with translation.override("en"), pytest.raises(ValidationError) as refusal:
            services.service_change_decide(change=change, staff=staff_user, approve=True)
    message = " ".join(refusal.value.messages)
    assert f"A payment confirmation of invoice {december.number} is waiting" in message
    assert "cannot be cancelled or corrected now" in message
    assert "then cancel the invoice" not in message
    change.refresh_from_db()
    assert change.status == Decision.PENDING
