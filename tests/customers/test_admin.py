"""K8 from the staff side: verify or reject in admin, audited, decided once."""

import pytest
from django.core import mail
from django.urls import reverse

from customers import services
from customers.models import IdentityDocument
from customers.selectors import identity_state
from tests.factories import IdentityDocumentFactory


@pytest.fixture
def document(contact):
    return IdentityDocumentFactory(customer=contact.customer, uploaded_by=contact.user)


def _change_url(document):
    return reverse("admin:customers_identitydocument_change", args=[document.pk])


def test_k8_staff_verify_in_admin_and_the_customer_is_told(
    staff_client, staff_user, document, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(_change_url(document), {"decision": "verify", "reason": ""})
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.status == IdentityDocument.Status.VERIFIED
    assert document.decided_by == staff_user
    record = document.history.first()
    assert (record.history_user, record.status) == (staff_user, "verified")
    assert mail.outbox[-1].to == [document.customer.contacts.get().user.email]


def test_k8_reject_needs_a_reason_that_the_customer_sees(
    staff_client, document, customer_client, django_capture_on_commit_callbacks
):
    response = staff_client.post(_change_url(document), {"decision": "reject", "reason": " "})
    assert response.status_code == 200
    assert "reason" in response.context["adminform"].form.errors
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            _change_url(document), {"decision": "reject", "reason": "The photo is blurred."}
        )
    document.refresh_from_db()
    assert document.status == IdentityDocument.Status.REJECTED
    assert "The photo is blurred." in mail.outbox[-1].body
    page = customer_client.get(reverse("customers:identity")).content.decode()
    assert "The photo is blurred." in page


def test_k8_a_document_is_decided_once(staff_user, document):
    services.identity_document_verify(document=document, staff=staff_user)
    with pytest.raises(services.AlreadyDecided):
        services.identity_document_reject(document=document, staff=staff_user, reason="late")
    document.refresh_from_db()
    assert document.status == IdentityDocument.Status.VERIFIED


def test_k8_bulk_verify_action(staff_client, document):
    response = staff_client.post(
        reverse("admin:customers_identitydocument_changelist"),
        {"action": "verify_selected", "_selected_action": [document.pk]},
    )
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.status == IdentityDocument.Status.VERIFIED


def test_k8_revalidation_request_needs_a_fresh_document(
    staff_client, staff_user, document, customer, django_capture_on_commit_callbacks
):
    services.identity_document_verify(document=document, staff=staff_user)
    assert identity_state(customer=customer).verified
    url = reverse("admin:customers_customer_changelist")
    action = {"action": "request_revalidation", "_selected_action": [customer.pk]}
    # First POST shows the reason form; the second applies it.
    assert staff_client.post(url, action).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(url, {**action, "apply": "1", "reason": "Name differs from NPWP."})
    customer.refresh_from_db()
    assert customer.revalidation_reason == "Name differs from NPWP."
    assert not identity_state(customer=customer).verified
    assert "Name differs from NPWP." in mail.outbox[-1].body
    assert customer.history.first().history_user == staff_user


def test_k8_staff_download_the_scan_but_customers_cannot_use_admin(
    staff_client, customer_client, document
):
    url = reverse("admin:customers_identitydocument_scan", args=[document.pk])
    response = staff_client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert customer_client.get(url).status_code == 302  # to the admin login


@pytest.mark.parametrize("rows", [1, 50])
def test_admin_document_list_costs_fixed_queries(
    staff_client, contact, rows, django_assert_max_num_queries
):
    for _ in range(rows):
        IdentityDocumentFactory(customer=contact.customer, uploaded_by=contact.user)
    with django_assert_max_num_queries(10):
        response = staff_client.get(reverse("admin:customers_identitydocument_changelist"))
    assert response.status_code == 200
