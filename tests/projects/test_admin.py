"""Custom projects from the staff side: quote or reject on the change page, actions
that call the same services, filters by status and age, search, fixed query cost."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from core import clock
from projects import services
from projects.models import CustomProject
from tests.factories import ContactFactory
from tests.projects.conftest import request_data

CHANGELIST = reverse("admin:projects_customproject_changelist")
INLINE = {"scope_changes-TOTAL_FORMS": "0", "scope_changes-INITIAL_FORMS": "0"}


def _change_url(project):
    return reverse("admin:projects_customproject_change", args=[project.pk])


def test_staff_quote_on_the_change_page_and_the_customer_is_told(
    project, staff_client, staff_user, contact, django_capture_on_commit_callbacks
):
    delivery = clock.today() + timedelta(days=45)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            _change_url(project),
            {
                **INLINE,
                "decision": "quote",
                "price": "8500000",
                "delivery_date": delivery.isoformat(),
                "note": "Hosting not included.",
            },
        )
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.status == CustomProject.Status.QUOTED
    assert (project.quoted_by, project.quoted_delivery_date) == (staff_user, delivery)
    assert project.history.first().history_user == staff_user
    assert mail.outbox[-1].to == [contact.user.email]
    assert "Rp 8.500.000" in mail.outbox[-1].body


def test_a_quote_without_price_or_with_a_past_date_is_explained_beside_the_field(
    project, staff_client
):
    response = staff_client.post(
        _change_url(project),
        {
            **INLINE,
            "decision": "quote",
            "price": "",
            "delivery_date": clock.today().isoformat(),
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"price", "delivery_date"}
    project.refresh_from_db()
    assert project.status == CustomProject.Status.SUBMITTED


def test_staff_reject_with_a_reason_on_the_change_page(
    project, staff_client, staff_user, django_capture_on_commit_callbacks
):
    response = staff_client.post(_change_url(project), {**INLINE, "decision": "reject"})
    assert "reason" in response.context["adminform"].form.errors
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            _change_url(project),
            {**INLINE, "decision": "reject", "reason": "Outside what we build."},
        )
    project.refresh_from_db()
    assert (project.status, project.status_reason) == ("rejected", "Outside what we build.")
    assert "Outside what we build." in mail.outbox[-1].body


def test_reject_action_asks_for_a_reason_then_records_it(project, staff_client, staff_user):
    action = {"action": "reject_selected", "_selected_action": [project.pk]}
    assert staff_client.post(CHANGELIST, action).status_code == 200  # the reason form
    staff_client.post(CHANGELIST, {**action, "apply": "1", "reason": "Duplicate request."})
    project.refresh_from_db()
    assert project.status == CustomProject.Status.REJECTED
    record = project.history.first()
    assert (record.history_user, record.history_change_reason) == (
        staff_user,
        "rejected: Duplicate request.",
    )


def test_start_and_deliver_actions_call_the_services(
    accepted, staff_client, staff_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            CHANGELIST, {"action": "start_selected", "_selected_action": [accepted.pk]}
        )
    accepted.refresh_from_db()
    assert accepted.status == CustomProject.Status.IN_PROGRESS and accepted.started_at
    assert "started" in mail.outbox[-1].subject
    # Starting twice is refused by the service, not silently repeated.
    response = staff_client.post(
        CHANGELIST,
        {"action": "start_selected", "_selected_action": [accepted.pk]},
        follow=True,
    )
    assert "no longer possible" in response.content.decode()
    staff_client.post(CHANGELIST, {"action": "deliver_selected", "_selected_action": [accepted.pk]})
    accepted.refresh_from_db()
    assert accepted.status == CustomProject.Status.DELIVERED
    assert accepted.history.first().history_user == staff_user


def test_the_change_page_of_a_started_project_links_to_the_scope_change_form(started, staff_client):
    page = staff_client.get(_change_url(started)).content.decode()
    scope_url = reverse("admin:projects_customproject_scope_change", args=[started.pk])
    assert scope_url in page
    assert 'name="decision"' not in page  # decided projects are read-only
    response = staff_client.post(
        CHANGELIST, {"action": "record_scope_change", "_selected_action": [started.pk]}
    )
    assert response["Location"] == scope_url
    assert staff_client.get(scope_url).status_code == 200
    history = reverse("admin:projects_customproject_history", args=[started.pk])
    assert staff_client.get(history).status_code == 200


def test_staff_filter_by_status_and_age_and_search(contact, staff_client, staff_user, terms):
    with time_machine.travel(clock.now() - timedelta(days=40)):
        old = services.project_submit(
            customer=contact.customer, requested_by=contact.user, **request_data(title="Old one")
        )
    fresh = services.project_submit(
        customer=contact.customer, requested_by=contact.user, **request_data(title="Fresh one")
    )
    other = ContactFactory(accepted_terms=terms, customer__name="CV Kopi Nusantara")
    theirs = services.project_submit(
        customer=other.customer, requested_by=other.user, **request_data(title="Kopi shop")
    )
    services.project_reject(project=fresh, staff=staff_user, reason="Not for us.")

    def listed(**params):
        response = staff_client.get(CHANGELIST, params)
        assert response.status_code == 200
        return {project.pk for project in response.context["cl"].result_list}

    assert listed(status__exact="submitted") == {old.pk, theirs.pk}
    assert listed(age="old") == {old.pk}
    assert listed(age="2") == {fresh.pk, theirs.pk}
    assert listed(q="Kopi Nusantara") == {theirs.pk}
    assert listed(q="Old one") == {old.pk}


@pytest.mark.parametrize("rows", [1, 50])
def test_admin_project_list_costs_fixed_queries(
    staff_client, contact, rows, django_assert_max_num_queries
):
    for _ in range(rows):
        services.project_submit(
            customer=contact.customer, requested_by=contact.user, **request_data()
        )
    with django_assert_max_num_queries(12):
        response = staff_client.get(CHANGELIST)
    assert response.status_code == 200


def test_staff_download_the_design_file_but_customers_cannot_use_admin(
    contact, staff_client, customer_client
):
    from core.validators import detect_scan_kind
    from tests.factories import png_bytes, upload

    project = services.project_submit(
        customer=contact.customer,
        requested_by=contact.user,
        design_reference_file=upload("d.png", png_bytes()),
        design_file_kind=detect_scan_kind(upload("d.png", png_bytes())),
        **request_data(),
    )
    url = reverse("admin:projects_customproject_design", args=[project.pk])
    response = staff_client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert customer_client.get(url).status_code == 302
    assert customer_client.get(_change_url(project)).status_code == 302
