"""Custom projects, customer side: the request form requires the basics the policy
names, nothing typed is lost, files are checked by content and served privately,
and another customer's project is a 404."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.urls import reverse

from customers.models import Role
from projects import services
from projects.models import CustomProject
from projects.validators import MinimumRealLength
from tests.factories import ContactFactory, pdf_bytes, png_bytes, upload
from tests.projects.conftest import (
    REQUIREMENTS,
    TECHNOLOGY,
    WORKFLOW,
    client_for,
    request_data,
)

CREATE = reverse("projects:create")


def test_custom_project_form_requires_the_basics_and_keeps_what_was_typed(customer_client):
    """Custom projects: design reference, needs, technology and workflow are required;
    each error sits beside its field and every typed value comes back."""
    response = customer_client.post(
        CREATE,
        {
            "title": "Company profile PT Maju",
            "design_reference_url": "",
            "requirements": "A website",
            "technology": "Laravel please, with MySQL",
            "workflow": "",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {
        "design_reference_url",
        "design_reference_file",
        "requirements",
        "technology",
        "workflow",
    }
    assert "design reference" in errors["design_reference_url"][0]
    assert "at least 40 characters" in errors["requirements"][0]
    assert "you wrote 9 characters" in errors["requirements"][0]
    html = response.content.decode()
    assert 'value="Company profile PT Maju"' in html
    assert "A website</textarea>" in html
    assert "Laravel please, with MySQL</textarea>" in html
    assert 'data-testid="form-errors"' in html
    assert not CustomProject.objects.exists()


def test_custom_project_padded_or_repeated_text_is_not_a_description():
    check = MinimumRealLength(40)
    with pytest.raises(ValidationError):
        check("website" + " " * 30 + "!!!!")
    with pytest.raises(ValidationError):
        check("shop shop shop shop shop shop shop shop shop shop")
    check(REQUIREMENTS)


def test_custom_project_request_with_a_link_is_submitted(
    customer_client, contact, staff_user, django_capture_on_commit_callbacks
):
    from django.core import mail

    with django_capture_on_commit_callbacks(execute=True):
        response = customer_client.post(CREATE, {**request_data(), "status": "accepted"})
    project = CustomProject.objects.get()
    assert response["Location"] == reverse("projects:detail", args=[project.pk])
    assert project.status == CustomProject.Status.SUBMITTED  # a forged status is ignored
    assert (project.customer, project.requested_by) == (contact.customer, contact.user)
    assert (project.requirements, project.technology, project.workflow) == (
        REQUIREMENTS,
        TECHNOLOGY,
        WORKFLOW,
    )
    # Staff who handle projects hear of it, after commit.
    assert mail.outbox[-1].to == [staff_user.email]
    assert "Toko Batik Sari" in mail.outbox[-1].subject
    page = customer_client.get(reverse("projects:list")).content.decode()
    assert "Toko Batik Sari" in page and 'data-testid="project-status"' in page


def test_custom_project_design_file_is_checked_stored_privately_and_served_to_its_account(
    customer_client, contact, terms, settings
):
    response = customer_client.post(
        CREATE,
        {
            **request_data(design_reference_url=""),
            "design_reference_file": upload("x.pdf", pdf_bytes()),
        },
    )
    assert response.status_code == 302
    project = CustomProject.objects.get()
    assert project.design_file_content_type == "application/pdf"
    assert str(settings.PRIVATE_MEDIA_ROOT) in project.design_reference_file.path
    url = reverse("projects:design-file", args=[project.pk])
    download = customer_client.get(url)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    # The technical contact of the same account sees it; another customer does not.
    technical = ContactFactory(customer=contact.customer, role=Role.TECHNICAL, accepted_terms=terms)
    assert client_for(technical).get(url).status_code == 200
    stranger = ContactFactory(accepted_terms=terms)
    assert client_for(stranger).get(url).status_code == 404


def test_custom_project_a_file_that_is_not_an_image_or_pdf_is_refused(customer_client):
    response = customer_client.post(
        CREATE,
        {
            **request_data(design_reference_url=""),
            "design_reference_file": upload("design.png", b"MZ\x90\x00" + b"\x00" * 400),
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["design_reference_file"]
    assert "JPEG, PNG or PDF" in errors["design_reference_file"][0]
    assert REQUIREMENTS in response.content.decode()
    assert not CustomProject.objects.exists()


def test_custom_project_a_link_and_a_file_together_are_fine(customer_client):
    response = customer_client.post(
        CREATE, {**request_data(), "design_reference_file": upload("m.png", png_bytes())}
    )
    assert response.status_code == 302
    project = CustomProject.objects.get()
    assert project.design_reference_url and project.design_reference_file


def test_custom_project_database_refuses_a_request_without_design_reference(project):
    with pytest.raises(IntegrityError):
        CustomProject.objects.filter(pk=project.pk).update(design_reference_url="")


def test_custom_project_database_refuses_a_quoted_status_without_a_price(project):
    with pytest.raises(IntegrityError):
        CustomProject.objects.filter(pk=project.pk).update(status="quoted")


def test_another_customers_project_and_file_are_404(customer_client, terms):
    stranger = ContactFactory(accepted_terms=terms)
    theirs = services.project_submit(
        customer=stranger.customer,
        requested_by=stranger.user,
        design_reference_file=upload("d.png", png_bytes()),
        design_file_kind=__import__("core.validators").validators.detect_scan_kind(
            upload("d.png", png_bytes())
        ),
        **request_data(design_reference_url=""),
    )
    for name in ("detail", "design-file"):
        url = reverse(f"projects:{name}", args=[theirs.pk])
        assert customer_client.get(url).status_code == 404, name
    for name in ("accept", "cancel"):
        url = reverse(f"projects:{name}", args=[theirs.pk])
        assert customer_client.post(url, {"accept_aup": "on", "revision": 0}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == CustomProject.Status.SUBMITTED


def test_a_project_without_a_file_has_no_file_to_download(customer_client, project):
    url = reverse("projects:design-file", args=[project.pk])
    assert customer_client.get(url).status_code == 404


@pytest.mark.parametrize("role", [Role.BILLING, Role.TECHNICAL])
def test_k7_only_the_responsible_contact_requests_projects(contact, terms, project, role):
    limited = ContactFactory(customer=contact.customer, role=role, accepted_terms=terms)
    client = client_for(limited)
    assert client.get(CREATE).status_code == 403
    assert client.post(CREATE, request_data()).status_code == 403
    assert client.get(reverse("projects:list")).status_code == 200
    assert client.get(reverse("projects:detail", args=[project.pk])).status_code == 200
    with pytest.raises(PermissionDenied):
        services.project_submit(
            customer=contact.customer, requested_by=limited.user, **request_data()
        )
    assert CustomProject.objects.count() == 1


def test_k1_projects_are_locked_until_new_terms_are_accepted(customer_client):
    from tests.factories import TermsVersionFactory

    TermsVersionFactory()  # a newer version, not accepted yet
    response = customer_client.get(reverse("projects:list"))
    assert response.status_code == 302
    assert reverse("customers:terms-accept") in response["Location"]


def test_the_responsible_contact_withdraws_a_request(customer_client, project):
    response = customer_client.post(reverse("projects:cancel", args=[project.pk]))
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.status == CustomProject.Status.CANCELLED
    record = project.history.first()
    assert (record.history_user, record.history_change_reason) == (
        project.requested_by,
        "cancelled by the customer",
    )


@pytest.mark.parametrize("rows", [1, 50])
def test_project_list_costs_fixed_queries(
    customer_client, contact, rows, django_assert_max_num_queries
):
    for _ in range(rows):
        services.project_submit(
            customer=contact.customer, requested_by=contact.user, **request_data()
        )
    with django_assert_max_num_queries(10):
        response = customer_client.get(reverse("projects:list"))
    assert response.status_code == 200
