"""K4, K5, H4, H5: the policy's requests, in time, late, and overridden by staff."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from core.validators import detect_scan_kind
from invoices import services as billing
from invoices.models import BankAccount, Invoice
from invoices.services import invoice_issue
from orders.models import Service
from orders.pricing import LineSpec
from policy import services
from policy.models import Decision, Migration, PaymentDeferral, ServiceChange, TechnicalChange
from tests.factories import ContactFactory, PlanFactory, png_bytes, upload

WIB = ZoneInfo("Asia/Jakarta")


def at(day: date, hour=10):
    return time_machine.travel(datetime(day.year, day.month, day.day, hour, tzinfo=WIB), tick=False)


@pytest.fixture
def service(place, verified, staff_user):
    """A monthly hosting service activated on 1 November 2026: its invoices come on
    the 18th, 14 days before each period starting on the 1st."""
    with at(date(2026, 11, 1)):
        invoice = place()
        proof = upload("p.png", png_bytes())
        confirmation = billing.payment_confirmation_submit(
            invoice=invoice, submitted_by=verified.user, bank_name="BCA",
            sender_account_name="Budi", amount=invoice.amount_to_transfer,
            transfer_date=date(2026, 11, 1), to_account=BankAccount.objects.get(),
            proof=proof, proof_kind=detect_scan_kind(proof),
        )  # fmt: skip
        billing.payment_approve(confirmation=confirmation, staff=staff_user)
    return Service.objects.get()


def test_the_schedule_of_a_monthly_service(service):
    schedule = service.schedule
    assert (service.period_anchor, service.invoice_anchor) == (
        date(2026, 11, 1),
        date(2026, 10, 18),
    )
    second = schedule.period(2)
    assert (second.start, second.issue_date, second.deadline) == (
        date(2027, 1, 1),
        date(2026, 12, 18),
        date(2026, 11, 18),
    )


def _defer(service, user, **kwargs):
    return services.deferral_submit(
        service=service,
        requested_by=user,
        reason="Our client pays us late this quarter.",
        proposed_due_date=kwargs.pop("proposed", date(2027, 1, 20)),
        **kwargs,
    )


def test_k4_deferral_on_the_deadline_day_waits_for_staff(service, verified):
    with at(date(2026, 11, 18), hour=23):
        deferral = _defer(service, verified.user, period_start=date(2027, 1, 1))
    assert deferral.status == Decision.PENDING
    assert (deferral.issue_date, deferral.deadline) == (date(2026, 12, 18), date(2026, 11, 18))


def test_k4_one_day_late_is_refused_with_the_deadline_and_the_next_period(service, verified):
    from django.utils import translation

    with at(date(2026, 11, 19)), translation.override("en"):
        with pytest.raises(services.TooLate) as late:
            _defer(service, verified.user, period_start=date(2027, 1, 1))
        message = late.value.messages[0]
    assert "18 November 2026" in message  # the deadline that was missed
    assert "1 February 2027" in message  # the earliest period still open
    assert "19 December 2026" in message  # and its deadline
    assert late.value.earliest.start == date(2027, 2, 1)
    assert not PaymentDeferral.objects.exists()


def test_k4_late_form_keeps_the_text_and_offers_the_next_period_in_one_click(service, verified):
    client = Client()
    client.force_login(verified.user)
    url = reverse("policy:deferral", args=[service.pk])
    typed = {"reason": "Our client pays us late this quarter.", "proposed_due_date": "2027-02-25"}
    with at(date(2026, 11, 19)):
        response = client.post(url, typed)
        html = response.content.decode()
        assert 'data-testid="too-late"' in html
        assert typed["reason"] in html
        assert 'name="period_start" value="2027-02-01"' in html
        response = client.post(url, {**typed, "period_start": "2027-02-01"})
    assert response.status_code == 302
    deferral = PaymentDeferral.objects.get()
    assert deferral.period_start == date(2027, 2, 1)
    assert deferral.proposed_due_date == date(2027, 2, 25)


def test_k4_approval_moves_the_issued_invoice_and_is_audited(
    service, verified, staff_user, django_capture_on_commit_callbacks
):
    with at(date(2026, 11, 10)):
        deferral = _defer(service, verified.user, period_start=date(2027, 1, 1))
        invoice = invoice_issue(
            customer=service.customer,
            lines=[LineSpec("January", Decimal("100000"))],
            services=[service],
            issue_date=date(2026, 12, 18),
        )
        invoice.service, invoice.period_start = service, date(2027, 1, 1)
        invoice.save()
        with django_capture_on_commit_callbacks(execute=True):
            services.deferral_decide(
                deferral=deferral, staff=staff_user, approve=True, reason="Long-time customer"
            )
    invoice.refresh_from_db()
    assert invoice.due_date == date(2027, 1, 20)
    assert invoice.history.first().history_user == staff_user
    deferral.refresh_from_db()
    assert deferral.applied_to == invoice
    assert deferral.history.first().history_user == staff_user
    assert "20 Januari 2027" in mail.outbox[-1].body or "20 January 2027" in mail.outbox[-1].body


def test_k4_late_request_only_with_a_staff_override(service, verified, staff_user):
    with at(date(2026, 11, 25)):
        with pytest.raises(services.TooLate):
            _defer(service, verified.user, period_start=date(2027, 1, 1))
        with pytest.raises(services.TooLate):  # staff without a reason are held to the rule
            _defer(service, staff_user, period_start=date(2027, 1, 1))
        deferral = _defer(
            service, staff_user, period_start=date(2027, 1, 1), override_reason="Hospitalised"
        )
        services.deferral_decide(deferral=deferral, staff=staff_user, approve=True)
    deferral.refresh_from_db()
    assert deferral.status == Decision.APPROVED
    assert "override: Hospitalised" in deferral.history.first().history_change_reason


def test_k4_rejection_needs_a_reason(service, verified, staff_user):
    with at(date(2026, 11, 10)):
        deferral = _defer(service, verified.user, period_start=date(2027, 1, 1))
        with pytest.raises(ValidationError):
            services.deferral_decide(deferral=deferral, staff=staff_user, approve=False)


def test_k4_proposed_date_must_be_later_than_the_normal_due_date(service, verified):
    with at(date(2026, 11, 10)), pytest.raises(ValidationError) as error:
        _defer(service, verified.user, period_start=date(2027, 1, 1), proposed=date(2026, 12, 20))
    assert "proposed_due_date" in error.value.error_dict


def test_k5_late_change_is_offered_the_earliest_period(service, verified):
    bigger = PlanFactory(product=service.product, name="10 GB", price=Decimal("200000"))
    with at(date(2026, 11, 19)):
        with pytest.raises(services.TooLate) as late:
            services.service_change_submit(
                service=service, requested_by=verified.user, kind="upgrade", new_plan=bigger,
                period_start=date(2027, 1, 1),
            )  # fmt: skip
        change = services.service_change_submit(
            service=service, requested_by=verified.user, kind="upgrade", new_plan=bigger,
            period_start=late.value.earliest.start,
        )  # fmt: skip
    assert change.period_start == date(2027, 2, 1)


def test_k5_an_upgrade_must_cost_more(service, verified):
    cheaper = PlanFactory(product=service.product, name="500 MB", price=Decimal("50000"))
    with at(date(2026, 11, 10)), pytest.raises(ValidationError) as error:
        services.service_change_submit(
            service=service, requested_by=verified.user, kind="upgrade", new_plan=cheaper
        )
    assert "kind" in error.value.error_dict


def test_k5_mid_period_upgrade_needs_an_override_and_prorates(service, verified, staff_user):
    bigger = PlanFactory(product=service.product, name="10 GB", price=Decimal("200000"))
    with at(date(2026, 11, 10)):
        change = services.service_change_submit(
            service=service, requested_by=verified.user, kind="upgrade", new_plan=bigger,
            period_start=date(2027, 1, 1),
        )  # fmt: skip
    with at(date(2026, 11, 16)):
        with pytest.raises(ValidationError):
            services.service_change_decide(
                change=change, staff=staff_user, approve=True, effective_immediately=True
            )
        services.service_change_decide(
            change=change, staff=staff_user, approve=True, effective_immediately=True,
            override_reason="Traffic spike, customer asked by phone",
        )  # fmt: skip
    service.refresh_from_db()
    assert (service.plan, service.recurring_price) == (bigger, Decimal("200000"))
    prorated = Invoice.objects.order_by("-pk").first()
    # 15 of the 30 days of November are left: half of the Rp 100.000 difference.
    assert prorated.subtotal == Decimal("50000.00")
    assert prorated.lines.get().service == service


def test_k5_prorated_difference_arithmetic():
    amount = services.prorated_difference(
        old_price=100000, new_price=190000, period_start=date(2027, 2, 1),
        period_end=date(2027, 2, 28), today=date(2027, 2, 15),
    )  # fmt: skip
    assert amount == Decimal("45000")  # 14 of 28 days × Rp 90.000


def test_requests_for_a_cancelled_service_are_refused_with_a_reason(service, verified, staff_user):
    from orders.services import service_set_status

    service_set_status(service=service, status="cancelled", actor=staff_user, reason="Asked")
    service.refresh_from_db()
    with at(date(2026, 11, 10)), pytest.raises(ValidationError, match="cancelled|dibatalkan"):
        _defer(service, verified.user)


def test_h4_verified_responsible_contact_changes_directly(service, verified, staff_user):
    change = services.technical_change_submit(
        service=service, requested_by=verified.user, kind="nameservers",
        details="ns1.masternet.co.id ns2.masternet.co.id",
    )  # fmt: skip
    assert change.proven_by_identity and change.status == Decision.APPROVED
    services.technical_change_done(change=change, staff=staff_user)
    change.refresh_from_db()
    assert change.work == TechnicalChange.Work.DONE


def test_h4_anyone_else_needs_a_letter_that_staff_check(service, terms, staff_user):
    technical = ContactFactory(customer=service.customer, role="technical", accepted_terms=terms)
    client = Client()
    client.force_login(technical.user)
    url = reverse("policy:technical", args=[service.pk])
    form = {"kind": "dns", "details": "A record www → 203.0.113.10"}
    response = client.post(url, form)
    assert "letter" in response.context["form"].errors
    assert "A record www" in response.content.decode()
    response = client.post(url, {**form, "letter": upload("kuasa.pdf", png_bytes())})
    assert response.status_code == 302
    change = TechnicalChange.objects.get()
    assert (change.proven_by_identity, change.status) == (False, Decision.PENDING)
    with pytest.raises(ValidationError):
        services.technical_change_done(change=change, staff=staff_user)
    services.technical_change_decide(change=change, staff=staff_user, approve=True, reason="OK")
    services.technical_change_done(change=change, staff=staff_user)
    assert client.get(reverse("policy:letter", args=[change.pk])).status_code == 200


def test_h5_migration_needs_the_invoice_paid(place, verified, staff_user):
    invoice = place()
    service = Service.objects.get()
    service.product.free_migration = True
    service.product.save()
    blocker = services.migration_blocker(service=service)
    assert invoice.number in blocker
    client = Client()
    client.force_login(verified.user)
    page = client.get(reverse("policy:migration", args=[service.pk])).content.decode()
    assert 'data-testid="blocked"' in page and invoice.number in page


def test_h5_migration_for_a_paid_hosting_service(service, verified):
    service.product.free_migration = True
    service.product.save()
    client = Client()
    client.force_login(verified.user)
    response = client.post(
        reverse("policy:migration", args=[service.pk]),
        {
            "source_host": "Hosting Lama",
            "control_panel": "cpanel",
            "domains": "toko.com",
            "move_files": "on",
            "preferred_window": "Weekend nights",
        },
    )
    assert response.status_code == 302
    assert Migration.objects.get().status == Migration.Status.REQUESTED


def test_h5_product_without_free_migration(service):
    from django.utils import translation

    with translation.override("en"):
        assert "hosting plans only" in services.migration_blocker(service=service)


def test_another_customers_service_is_404(service, terms):
    stranger = ContactFactory(accepted_terms=terms)
    client = Client()
    client.force_login(stranger.user)
    for name in ("policy:deferral", "policy:change", "policy:technical", "policy:migration"):
        assert client.get(reverse(name, args=[service.pk])).status_code == 404
        assert client.post(reverse(name, args=[service.pk]), {"reason": "x"}).status_code == 404


def test_service_page_states_the_deadline_in_words(service, verified):
    from django.utils import translation

    client = Client()
    client.force_login(verified.user)
    client.cookies["django_language"] = "en"
    with at(date(2026, 11, 10)), translation.override("en"):
        html = client.get(reverse("orders:service", args=[service.pk]))
    text = html.content.decode()
    assert "period starting 1 December 2026" in text
    assert "1 January 2027" in text and "18 November 2026" in text


def test_approved_change_lookup_for_the_recurring_run(service, verified, staff_user):
    with at(date(2026, 11, 10)):
        change = services.service_change_submit(
            service=service, requested_by=verified.user, kind="cancel",
            period_start=date(2027, 1, 1),
        )  # fmt: skip
        services.service_change_decide(change=change, staff=staff_user, approve=True)
    assert list(services.approved_changes(service=service, period_start=date(2027, 1, 1))) == [
        ServiceChange.objects.get()
    ]
    assert not services.approved_changes(service=service, period_start=date(2026, 12, 1)).exists()
