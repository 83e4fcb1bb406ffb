"""Custom projects: a change of scope after work started is recorded (what changed,
requested by whom) and extends the estimated delivery date by the days entered."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from projects import services
from projects.models import ScopeChange
from tests.factories import ContactFactory


def _scope_url(project):
    return reverse("admin:projects_customproject_scope_change", args=[project.pk])


def test_scope_change_extends_the_delivery_date_and_the_customer_sees_who_asked(
    started, staff_client, staff_user, verified, customer_client, django_capture_on_commit_callbacks
):
    quoted_date = started.quoted_delivery_date
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            _scope_url(started),
            {
                "requested_by": verified.user.pk,
                "description": "Add a member area where buyers see their past orders.",
                "extra_days": "12",
            },
        )
    assert response.status_code == 302
    started.refresh_from_db()
    assert started.estimated_delivery_date == quoted_date + timedelta(days=12)
    assert started.quoted_delivery_date == quoted_date  # the quote itself is kept
    change = ScopeChange.objects.get()
    assert (change.previous_date, change.new_date, change.extra_days) == (
        quoted_date,
        quoted_date + timedelta(days=12),
        12,
    )
    assert (change.requested_by, change.requested_by_side, change.recorded_by) == (
        verified.user,
        ScopeChange.Side.CUSTOMER,
        staff_user,
    )
    # The responsible contact is told, after commit, with the new date.
    message = mail.outbox[-1]
    assert message.to == [verified.user.email]
    assert "member area" in message.body and verified.full_name in message.body
    # A second change, asked by Masternet itself, moves the date again.
    services.scope_change_record(
        project=started,
        staff=staff_user,
        requested_by=staff_user,
        description="Move the server to the new PHP version first.",
        extra_days=3,
    )
    page = customer_client.get(reverse("projects:detail", args=[started.pk]))
    html = page.content.decode()
    assert page.context["project"].estimated_delivery_date == quoted_date + timedelta(days=15)
    assert 'data-testid="scope-changes"' in html
    assert "member area" in html and verified.full_name in html
    assert "Move the server" in html and "Masternet" in html
    assert "+12" in html and "+3" in html
    new_date = quoted_date + timedelta(days=15)
    assert f'data-testid="estimated-delivery">{new_date.day} ' in html


def test_scope_change_before_the_work_started_is_refused(accepted, staff_user, verified):
    with pytest.raises(ValidationError, match="in progress"):
        services.scope_change_record(
            project=accepted,
            staff=staff_user,
            requested_by=verified.user,
            description="Add a blog section with categories.",
            extra_days=5,
        )
    assert not ScopeChange.objects.exists()


def test_scope_change_needs_days_a_description_and_a_known_requester(
    started, staff_client, staff_user, terms
):
    before = started.estimated_delivery_date
    response = staff_client.post(
        _scope_url(started),
        {"requested_by": staff_user.pk, "description": "more", "extra_days": "0"},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"description", "extra_days"}
    assert "more</textarea>" in response.content.decode()
    stranger = ContactFactory(accepted_terms=terms)
    with pytest.raises(ValidationError) as error:
        services.scope_change_record(
            project=started,
            staff=staff_user,
            requested_by=stranger.user,
            description="Add a blog section with categories.",
            extra_days=5,
        )
    assert "requested_by" in error.value.error_dict
    started.refresh_from_db()
    assert started.estimated_delivery_date == before


def test_only_staff_record_scope_changes(started, verified, customer_client):
    with pytest.raises(PermissionDenied):
        services.scope_change_record(
            project=started,
            staff=verified.user,
            requested_by=verified.user,
            description="Add a blog section with categories.",
            extra_days=1,
        )
    response = customer_client.get(_scope_url(started))
    assert response.status_code == 302  # to the admin login
    assert not ScopeChange.objects.exists()
