"""K4, K5, H4, H5: the policy's requests, in time, late, and overridden by staff."""

from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from core.validators import detect_scan_kind
from invoices.models import Invoice
from invoices.services import invoice_issue
from orders.models import Service
from orders.pricing import LineSpec
from policy import services
from policy.models import Decision, Migration, PaymentDeferral, ServiceChange, TechnicalChange
from tests.factories import ContactFactory, PlanFactory, png_bytes, upload
from tests.policy.helpers import at


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
    assert change.decided_at is not None and change.decided_by is None  # by the rule itself
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
    from policy.selectors import approved_changes

    assert list(approved_changes(services=[service], until=date(2027, 1, 1))) == [
        ServiceChange.objects.get()
    ]
    assert not approved_changes(services=[service], until=date(2026, 12, 1)).exists()


# --- the next invoice not yet issued (K4, K5, issue 5) ----------------------------------


def test_k4_between_an_issue_date_and_its_period_the_refusal_names_the_next_invoice(
    service, verified
):
    """K4: on 19 November the December invoice was sent the day before, so the next
    invoice is January's (18 December), whose deadline, 18 November, was just missed."""
    from django.utils import translation

    with at(date(2026, 11, 19)), translation.override("en"):
        with pytest.raises(services.TooLate) as late:
            _defer(service, verified.user)
        message = late.value.messages[0]
    assert late.value.missed.start == date(2027, 1, 1)
    assert "invoice of 18 December 2026" in message
    assert "period starting 1 January 2027" in message
    assert "by 18 November 2026" in message
    assert "19 October" not in message and "18 November 2026 (period" not in message
    assert late.value.earliest.start == date(2027, 2, 1)


def test_k4_the_service_page_counts_from_the_next_invoice_not_yet_issued(service, verified):
    """K4, K5: on 19 November the page speaks of January's invoice (18 December),
    not of December's, issued the day before."""
    from django.utils import translation

    client = Client()
    client.force_login(verified.user)
    client.cookies["django_language"] = "en"
    with at(date(2026, 11, 19)), translation.override("en"):
        text = client.get(reverse("orders:service", args=[service.pk])).content.decode()
    assert "period starting 1 January 2027 is issued on 18 December 2026" in text
    assert "until 18 November 2026" in text
    assert "starts on 1 February 2027" in text and "until 19 December 2026" in text
    assert "1 December 2026 is issued" not in text


# --- the one-click offer carries the proposed date (K4) ---------------------------------


@pytest.mark.parametrize(
    ("typed", "offered"),
    [
        ("2027-01-20", "2027-02-20"),  # inside the missed January period
        ("2027-01-31", "2027-02-28"),  # its last day: February's last day
        ("2027-02-25", "2027-02-25"),  # already fits February: kept
    ],
)
def test_k4_the_offer_moves_the_proposed_date_by_the_periods_skipped(
    service, verified, typed, offered
):
    """K4: on 19 November the January invoice's deadline has passed; a payment date meant
    for January moves to the same day in February, the period offered, and is shown."""
    from django.utils import translation

    client = Client()
    client.force_login(verified.user)
    client.cookies["django_language"] = "en"
    url = reverse("policy:deferral", args=[service.pk])
    reason = "Our client pays us late this quarter."
    with at(date(2026, 11, 19)), translation.override("en"):
        html = client.post(url, {"reason": reason, "proposed_due_date": typed}).content.decode()
        assert 'data-testid="too-late"' in html
        assert f'name="proposed_due_date" value="{offered}"' in html
        moved = 'data-testid="date-moved"' in html
        assert moved == (typed != offered)
        if moved:
            assert date.fromisoformat(offered).strftime("%-d February 2027") in html
        response = client.post(
            url, {"reason": reason, "proposed_due_date": offered, "period_start": "2027-02-01"}
        )
    assert response.status_code == 302
    deferral = PaymentDeferral.objects.get()
    assert (deferral.period_start, deferral.proposed_due_date) == (
        date(2027, 2, 1),
        date.fromisoformat(offered),
    )


@pytest.mark.parametrize(
    ("typed", "offered"),
    [
        ("2027-02-10", "2027-03-10"),  # after January, before March's window: to March
        ("2027-01-20", "2027-03-20"),  # inside January: two cycles on
        ("2027-02-25", "2027-03-25"),  # on March's normal due date: a cycle on
        ("2027-05-15", "2027-03-31"),  # past March: March's last day
    ],
)
def test_k4_the_offered_date_is_one_the_offered_periods_form_accepts(
    service, verified, typed, offered
):
    """K4: on 20 December, January's deadline (18 November) and February's (19
    December) have passed: March is offered, whose invoice (18 February) is due on 25
    February. Whatever was typed, the date offered is one the next form accepts: after
    25 February and no later than 31 March."""
    with at(date(2026, 12, 20)):
        with pytest.raises(services.TooLate) as late:
            _defer(
                service,
                verified.user,
                period_start=date(2027, 1, 1),
                proposed=date.fromisoformat(typed),
            )
        assert (late.value.missed.start, late.value.earliest.start) == (
            date(2027, 1, 1),
            date(2027, 3, 1),
        )
        date_offered = services.offered_due_date(
            service=service, late=late.value, proposed=date.fromisoformat(typed)
        )
        assert date_offered == date.fromisoformat(offered)
        deferral = _defer(
            service, verified.user, period_start=date(2027, 3, 1), proposed=date_offered
        )
    assert (deferral.period_start, deferral.proposed_due_date) == (date(2027, 3, 1), date_offered)


# --- K5: the new plan keeps the service's billing cycle ---------------------------------


def test_k5_a_plan_of_another_billing_cycle_is_refused_on_the_field(service, verified):
    """K5: a monthly service cannot move to a yearly plan: it would be billed the
    yearly price every month."""
    yearly = PlanFactory(
        product=service.product, name="10 GB", cycle="yearly", price=Decimal("1000000")
    )
    with at(date(2026, 11, 10)), pytest.raises(ValidationError) as error:
        services.service_change_submit(
            service=service, requested_by=verified.user, kind="upgrade", new_plan=yearly
        )
    assert "new_plan" in error.value.error_dict
    assert not ServiceChange.objects.exists()


# --- only staff override, always with a recorded reason ---------------------------------


def test_k4_a_customer_cannot_override_the_deadline(service, verified):
    """K4: the override is for staff; a customer's override reason, in the service
    call or posted to the form, changes nothing."""
    with at(date(2026, 11, 25)):
        with pytest.raises(services.TooLate):
            _defer(service, verified.user, override_reason="I was ill")
        client = Client()
        client.force_login(verified.user)
        html = client.post(
            reverse("policy:deferral", args=[service.pk]),
            {
                "reason": "Our client pays us late this quarter.",
                "proposed_due_date": "2027-01-20",
                "period_start": "2027-01-01",
                "override_reason": "I was ill",
            },
        ).content.decode()
    assert 'data-testid="too-late"' in html
    assert not PaymentDeferral.objects.exists()


def test_k5_late_change_only_with_a_staff_override_which_is_recorded(service, verified, staff_user):
    """K5: a late change is refused to the customer and to staff without a reason;
    with one, staff enter it and approve it; the audit keeps the override."""
    bigger = PlanFactory(product=service.product, name="10 GB", price=Decimal("200000"))
    late = {"kind": "upgrade", "new_plan": bigger, "period_start": date(2027, 1, 1)}
    with at(date(2026, 11, 25)):
        for user in (verified.user, staff_user):
            with pytest.raises(services.TooLate):
                services.service_change_submit(service=service, requested_by=user, **late)
        change = services.service_change_submit(
            service=service, requested_by=staff_user, override_reason="Agreed by phone", **late
        )
        services.service_change_decide(change=change, staff=staff_user, approve=True)
    change.refresh_from_db()
    assert (change.status, change.override_reason, change.requested_by) == (
        Decision.APPROVED,
        "Agreed by phone",
        staff_user,
    )
    assert change.was_late
    entered, decided = change.history.order_by("history_date")
    assert (entered.history_user, decided.history_user) == (staff_user, staff_user)
    assert "override: Agreed by phone" in decided.history_change_reason


# --- every decision leaves an audit row with its actor and reason -----------------------


def _assert_rejection_recorded(request, staff, reason: str) -> None:
    """The request's last history row: rejected by ``staff``, with ``reason``."""
    row = request.history.first()
    assert (row.status, row.history_user, row.decision_reason) == (
        Decision.REJECTED,
        staff,
        reason,
    )
    assert row.history_change_reason == "rejected"


def test_k5_decision_is_audited_with_actor_and_reason(service, verified, staff_user):
    with at(date(2026, 11, 10)):
        change = services.service_change_submit(
            service=service, requested_by=verified.user, kind="cancel",
            period_start=date(2027, 1, 1),
        )  # fmt: skip
        services.service_change_decide(
            change=change, staff=staff_user, approve=False, reason="Contract runs to March"
        )
    _assert_rejection_recorded(change, staff_user, "Contract runs to March")


def test_h4_decision_is_audited_with_actor_and_reason(service, terms, staff_user):
    technical = ContactFactory(customer=service.customer, role="technical", accepted_terms=terms)
    change = services.technical_change_submit(
        service=service, requested_by=technical.user, kind="dns",
        details="A record www → 203.0.113.10", letter=upload("kuasa.png", png_bytes()),
        letter_kind=detect_scan_kind(upload("kuasa.png", png_bytes())),
    )  # fmt: skip
    services.technical_change_decide(
        change=change, staff=staff_user, approve=False, reason="The letter is not signed"
    )
    _assert_rejection_recorded(change, staff_user, "The letter is not signed")


def _migration(service, user):
    service.product.free_migration = True
    service.product.save()
    return services.migration_submit(
        service=service, requested_by=user, source_host="Hosting Lama", control_panel="cpanel",
        domains="toko.com", preferred_window="Weekend nights",
    )  # fmt: skip


def test_h5_status_change_is_audited_with_actor_and_note(service, verified, staff_user):
    migration = _migration(service, verified.user)
    services.migration_set_status(
        migration=migration, staff=staff_user, status="scheduled", note="Saturday 22:00 WIB"
    )
    row = migration.history.first()
    assert (row.status, row.history_user, row.staff_note) == (
        Migration.Status.SCHEDULED,
        staff_user,
        "Saturday 22:00 WIB",
    )
    assert row.history_change_reason == "migration scheduled"


# --- H5: a migration only moves forward -------------------------------------------------


def test_h5_migration_moves_forward_only(service, verified, staff_user):
    from django.utils import translation

    migration = _migration(service, verified.user)
    move = lambda status: services.migration_set_status(  # noqa: E731
        migration=migration, staff=staff_user, status=status, note="x"
    )
    with translation.override("en"), pytest.raises(ValidationError) as error:
        move("done")  # not before it was in progress
    assert "can only become: scheduled, in progress, cancelled" in error.value.messages[0]
    move("scheduled")
    with pytest.raises(ValidationError):
        move("requested")
    move("in_progress")
    with pytest.raises(ValidationError):
        move("scheduled")
    move("done")
    with pytest.raises(ValidationError):
        move("cancelled")
    migration.refresh_from_db()
    assert migration.status == Migration.Status.DONE


@pytest.mark.parametrize("status", ["requested", "scheduled", "in_progress"])
def test_h5_an_open_migration_can_be_cancelled(service, verified, staff_user, status):
    migration = _migration(service, verified.user)
    Migration.objects.filter(pk=migration.pk).update(status=status)
    services.migration_set_status(
        migration=migration, staff=staff_user, status="cancelled", note="Customer stayed"
    )
    migration.refresh_from_db()
    assert migration.status == Migration.Status.CANCELLED


def test_h5_a_cancellation_needs_a_note_for_the_customer(service, verified, staff_user):
    from django.utils import translation

    migration = _migration(service, verified.user)
    with translation.override("en"), pytest.raises(ValidationError) as error:
        services.migration_set_status(
            migration=migration, staff=staff_user, status="cancelled", note="  "
        )
    assert "Say why the migration is cancelled" in " ".join(error.value.message_dict["note"])
    migration.refresh_from_db()
    assert migration.status == Migration.Status.REQUESTED


def test_h5_a_second_migration_request_says_one_is_under_way(service, verified):
    from django.utils import translation

    _migration(service, verified.user)
    with translation.override("en"), pytest.raises(ValidationError) as error:
        _migration(service, verified.user)
    message = " ".join(error.value.messages)
    assert "migration" in message and "under way" in message
    assert "period" not in message


# --- K6: the service page leads to a ticket about it ------------------------------------


def test_k6_service_page_links_a_ticket_about_this_service(service, verified):
    client = Client()
    client.force_login(verified.user)
    html = client.get(reverse("orders:service", args=[service.pk])).content.decode()
    assert f'href="{reverse("tickets:new")}?service={service.pk}"' in html
    page = client.get(reverse("tickets:new"), {"service": service.pk}).content.decode()
    assert f"?service={service.pk}" in page  # the categories keep the service
