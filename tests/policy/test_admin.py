"""K4, K5: staff screens. Staff enter a request for a customer through the same
services as the customer's forms, and may accept a late one only with an override
reason, which is recorded; a refusal shows the form again with the message beside
its field, never a "saved" message."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import translation

from policy import services
from policy.models import Decision, PaymentDeferral, ServiceChange
from tests.factories import PlanFactory
from tests.policy.helpers import at

DEFERRAL_ADD = reverse("admin:policy_paymentdeferral_add")
CHANGE_ADD = reverse("admin:policy_servicechange_add")


@pytest.fixture
def english(staff_client):
    staff_client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


def _errors(response):
    assert response.status_code == 200, response
    return response.context["adminform"].form.errors


def _deferral(service, **extra):
    return {
        "service": service.pk,
        "period_start": "2027-01-01",
        "proposed_due_date": "2027-01-20",
        "reason": "Asked by phone: their client pays late.",
        **extra,
    }


def test_k4_staff_open_the_add_form_and_find_the_service(staff_client, service):
    html = staff_client.get(DEFERRAL_ADD).content.decode()
    for name in ("service", "period_start", "proposed_due_date", "reason", "override_reason"):
        assert f'name="{name}"' in html
    found = staff_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "policy", "model_name": "paymentdeferral", "field_name": "service",
         "term": "toko"},
    ).json()  # fmt: skip
    assert [row["id"] for row in found["results"]] == [str(service.pk)]


def test_k4_late_deferral_without_an_override_reason_is_refused_on_that_field(
    staff_client, service, english
):
    with at(date(2026, 11, 25)):
        response = staff_client.post(DEFERRAL_ADD, _deferral(service))
    errors = _errors(response)
    assert "18 November 2026" in " ".join(errors["override_reason"])  # the missed deadline
    assert "give an override reason" in " ".join(errors["override_reason"])
    assert not PaymentDeferral.objects.exists()
    assert not list(get_messages(response.wsgi_request))  # nothing "added successfully"
    html = response.content.decode()
    assert "Asked by phone: their client pays late." in html  # nothing typed is lost


def test_k4_late_deferral_with_an_override_reason_is_stored_and_audited(
    staff_client, staff_user, service, verified
):
    with at(date(2026, 11, 25)):
        response = staff_client.post(
            DEFERRAL_ADD, _deferral(service, override_reason="Customer was in hospital")
        )
        assert response.status_code == 302
        deferral = PaymentDeferral.objects.get()
        assert (deferral.customer, deferral.period_start, deferral.proposed_due_date) == (
            service.customer,
            date(2027, 1, 1),
            date(2027, 1, 20),
        )
        assert deferral.requested_by == staff_user  # who entered it
        assert deferral.override_reason == "Customer was in hospital"
        assert deferral.was_late
        row = deferral.history.get()
        assert row.history_user == staff_user
        assert "override: Customer was in hospital" in row.history_change_reason
        # Deciding it needs no second override: the one given is on the request.
        services.deferral_decide(deferral=deferral, staff=staff_user, approve=True)
    deferral.refresh_from_db()
    assert deferral.status == Decision.APPROVED


def test_k4_staff_deferral_in_time_needs_no_override(staff_client, service):
    with at(date(2026, 11, 10)):
        response = staff_client.post(DEFERRAL_ADD, _deferral(service))
    assert response.status_code == 302
    deferral = PaymentDeferral.objects.get()
    assert (deferral.override_reason, deferral.was_late) == ("", False)


def test_k4_staff_deferral_with_a_bad_date_is_refused_on_the_date(staff_client, service, english):
    with at(date(2026, 11, 10)):
        response = staff_client.post(
            DEFERRAL_ADD, _deferral(service, proposed_due_date="2026-12-20")
        )
    assert "propose a later date" in " ".join(_errors(response)["proposed_due_date"])
    assert not PaymentDeferral.objects.exists()


def test_k4_a_customer_cannot_reach_the_admin_form(customer_client, service):
    response = customer_client.post(DEFERRAL_ADD, _deferral(service, override_reason="x"))
    assert response.status_code == 302 and "login" in response["Location"]
    assert not PaymentDeferral.objects.exists()


# --- K5 --------------------------------------------------------------------------------


@pytest.fixture
def bigger(service):
    return PlanFactory(product=service.product, name="10 GB", price=Decimal("200000"))


def _change(service, **extra):
    return {"service": service.pk, "period_start": "2027-01-01", "kind": "upgrade", **extra}


def test_k5_late_change_entered_by_staff_only_with_an_override(
    staff_client, staff_user, service, bigger, english
):
    with at(date(2026, 11, 25)):
        refused = staff_client.post(CHANGE_ADD, _change(service, new_plan=bigger.pk))
        assert "override_reason" in _errors(refused)
        assert not ServiceChange.objects.exists()
        response = staff_client.post(
            CHANGE_ADD, _change(service, new_plan=bigger.pk, override_reason="Agreed by phone")
        )
    assert response.status_code == 302
    change = ServiceChange.objects.get()
    assert (change.kind, change.new_plan, change.requested_by, change.override_reason) == (
        "upgrade",
        bigger,
        staff_user,
        "Agreed by phone",
    )
    assert "override: Agreed by phone" in change.history.get().history_change_reason


def test_k5_a_plan_of_another_billing_cycle_is_refused_on_the_plan(staff_client, service, english):
    yearly = PlanFactory(
        product=service.product, name="10 GB", cycle="yearly", price=Decimal("1000000")
    )
    with at(date(2026, 11, 10)):
        response = staff_client.post(CHANGE_ADD, _change(service, new_plan=yearly.pk))
    assert "billing cycle" in " ".join(_errors(response)["new_plan"])
    assert not ServiceChange.objects.exists()


def test_k5_a_period_that_is_not_a_period_start_is_refused_on_the_period(
    staff_client, service, english
):
    with at(date(2026, 11, 10)):
        response = staff_client.post(
            CHANGE_ADD, _change(service, kind="cancel", period_start="2027-01-15")
        )
    assert "first day of a period" in " ".join(_errors(response)["period_start"])


# --- K5 decisions in the change form ---------------------------------------------------


@pytest.fixture
def pending(service, verified, bigger):
    with at(date(2026, 11, 10)):
        return services.service_change_submit(
            service=service, requested_by=verified.user, kind="upgrade", new_plan=bigger,
            period_start=date(2027, 1, 1),
        )  # fmt: skip


def _decide(client, change, **data):
    return client.post(reverse("admin:policy_servicechange_change", args=[change.pk]), data)


def test_k5_a_rejection_needs_a_reason(staff_client, pending, english):
    response = _decide(staff_client, pending, decision="reject", reason="")
    assert "reason" in _errors(response)
    pending.refresh_from_db()
    assert pending.status == Decision.PENDING


def test_k5_an_override_needs_a_reason(staff_client, pending, english):
    with at(date(2026, 11, 16)):
        response = _decide(
            staff_client, pending, decision="approve", override="Traffic spike", now="on"
        )
    assert "reason" in _errors(response)
    pending.refresh_from_db()
    assert pending.status == Decision.PENDING


def test_k5_a_refused_decision_is_shown_again_with_the_message_not_saved(
    staff_client, service, verified, english
):
    """K5: the service refuses (an add-on approved without its price): the form comes
    back with the message beside the price, and Django does not say it was changed."""
    with at(date(2026, 11, 10)):
        change = services.service_change_submit(
            service=service, requested_by=verified.user, kind="addon",
            addon_description="Extra 5 GB", period_start=date(2027, 1, 1),
        )  # fmt: skip
        response = _decide(staff_client, change, decision="approve", reason="OK")
    assert "price" in _errors(response)
    assert not list(get_messages(response.wsgi_request))
    change.refresh_from_db()
    assert change.status == Decision.PENDING
    with at(date(2026, 11, 10)):
        response = _decide(staff_client, change, decision="approve", reason="OK", price="25000")
    assert response.status_code == 302
    change.refresh_from_db()
    assert (change.status, change.addon_price) == (Decision.APPROVED, Decimal("25000"))


def test_k5_late_request_approved_in_the_form_only_with_an_override(
    staff_client, staff_user, service, verified, bigger, english
):
    """K5: a request the customer could not send late is entered by staff without an
    override (in time), then decided. A late one (here: made late on purpose) is
    refused to the plain approval, with the message on the override reason."""
    with at(date(2026, 11, 10)):
        change = services.service_change_submit(
            service=service, requested_by=verified.user, kind="cancel",
            period_start=date(2027, 1, 1),
        )  # fmt: skip
    ServiceChange.objects.filter(pk=change.pk).update(deadline=date(2026, 11, 1))
    with at(date(2026, 11, 10)):
        refused = _decide(staff_client, change, decision="approve", reason="OK")
        assert "override" in _errors(refused)
        response = _decide(
            staff_client, change, decision="approve", reason="OK", override="Moving abroad"
        )
    assert response.status_code == 302
    change.refresh_from_db()
    assert (change.status, change.override_reason, change.decided_by) == (
        Decision.APPROVED,
        "Moving abroad",
        staff_user,
    )
    assert "override: Moving abroad" in change.history.first().history_change_reason
