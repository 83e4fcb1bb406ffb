"""UU PDP 27/2022: a person downloads their data and asks for its deletion; staff
anonymise it and keep the invoices and receipts tax law requires."""

import json

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse

from core.validators import detect_scan_kind
from customers import personal_data
from customers.models import (
    Contact,
    Customer,
    DataDeletionRequest,
    IdentityDocument,
    Role,
    TermsAcceptance,
)
from invoices import services as billing
from invoices.models import BankAccount, Invoice, Receipt
from tests.factories import PASSWORD, ContactFactory, IdentityDocumentFactory, png_bytes, upload


def _paid(invoice, user, staff):
    proof = upload("bukti.png", png_bytes())
    confirmation = billing.payment_confirmation_submit(
        invoice=invoice,
        submitted_by=user,
        bank_name="BCA",
        sender_account_name="Budi",
        amount=invoice.amount_to_transfer,
        transfer_date=invoice.issue_date,
        to_account=BankAccount.objects.first(),
        proof=proof,
        proof_kind=detect_scan_kind(proof),
    )
    return billing.payment_approve(confirmation=confirmation, staff=staff)


def test_export_holds_the_account_and_nothing_of_another_customer(place, verified, terms):
    invoice = place()
    other = ContactFactory(accepted_terms=terms, full_name="Orang Lain Sekali")
    IdentityDocumentFactory(
        customer=other.customer, uploaded_by=other.user, number="3171014101900099"
    )
    client = Client()
    client.force_login(verified.user)

    response = client.get(reverse("customers:personal-data-export"))

    data = json.loads(response.content)
    assert data["user"]["email"] == verified.user.email
    assert data["account"]["name"] == verified.customer.name
    assert [c["full_name"] for c in data["contacts"]] == [verified.full_name]
    assert [i["number"] for i in data["invoices"]] == [invoice.number]
    assert data["identity_documents"][0]["scan_file"].endswith(".png")
    assert "password" not in data["user"]
    body = response.content.decode()
    for foreign in (other.user.email, other.full_name, other.customer.name, "3171014101900099"):
        assert foreign not in body


def test_json_download_is_a_private_attachment(customer_client):
    response = customer_client.get(reverse("customers:personal-data-export"))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="masternet-')
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]


def test_readable_page_shows_the_data(customer_client, contact):
    response = customer_client.get(reverse("customers:personal-data"))

    assert response.status_code == 200
    assert contact.full_name in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_pages_need_login(client):
    response = client.get(reverse("customers:personal-data-export"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_other_contact_gets_only_their_own_data(contact, terms):
    billing_contact = ContactFactory(
        customer=contact.customer, role=Role.BILLING, accepted_terms=terms
    )
    data = personal_data.personal_data_export(user=billing_contact.user)

    assert data["user"]["email"] == billing_contact.user.email
    assert data["account"] == {"id": contact.customer_id, "name": contact.customer.name}
    assert "invoices" not in data and "contacts" not in data


def test_second_open_request_is_refused(customer_client, contact):
    url = reverse("customers:personal-data-delete")
    customer_client.post(url, {"message": "Tolong hapus"})
    response = customer_client.post(url, {"message": "Lagi"})

    assert DataDeletionRequest.objects.filter(requested_by=contact.user).count() == 1
    assert response.status_code == 200 and response.context["form"].non_field_errors()


def test_deletion_anonymises_the_account_and_keeps_invoices_and_receipts(
    place, verified, staff_user, staff_client, django_capture_on_commit_callbacks
):
    """Request -> staff anonymise in admin -> personal fields gone, tax records kept."""
    with django_capture_on_commit_callbacks(execute=True):
        invoice = place()
        payment = _paid(invoice, verified.user, staff_user)
    receipt = Receipt.objects.get(payment=payment)
    invoice.refresh_from_db()
    number, total, receipt_number = invoice.number, invoice.total, receipt.number
    document = IdentityDocument.objects.get(customer=verified.customer)
    scan_name = document.scan.name
    assert document.scan.storage.exists(scan_name)
    customer = verified.customer
    legal_name, email = customer.name, verified.user.email
    owner = Client()
    owner.force_login(verified.user)
    owner.post(reverse("customers:personal-data-delete"), {"message": "Hapus data saya"})
    request = DataDeletionRequest.objects.get()
    assert request.scope == DataDeletionRequest.Scope.ACCOUNT and request.customer == customer

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            reverse("admin:customers_datadeletionrequest_changelist"),
            {
                "action": "anonymise",
                "_selected_action": [request.pk],
                "apply": "1",
                "reason": "Permintaan UU PDP pelanggan",
            },
        )

    request.refresh_from_db()
    assert request.status == DataDeletionRequest.Status.COMPLETED
    assert request.decided_by == staff_user
    customer.refresh_from_db()
    assert (customer.address, customer.phone, customer.city, customer.postal_code) == ("",) * 4
    assert customer.name == legal_name  # the invoices' buyer
    contact = Contact.objects.get(pk=verified.pk)
    assert contact.full_name == personal_data.ANONYMISED_NAME and contact.phone == ""
    user = contact.user
    assert user.email != email and not user.is_active and not user.has_usable_password()
    assert not EmailAddress.objects.filter(user=user).exists()
    assert not EmailAddress.objects.filter(email__iexact=email).exists()
    assert TermsAcceptance.objects.get(user=user).ip_address is None
    document.refresh_from_db()
    assert document.number == "" and not document.scan
    assert not document.scan.storage.exists(scan_name)
    invoice = Invoice.objects.get(pk=invoice.pk)
    assert (invoice.number, invoice.total, invoice.customer_id) == (number, total, customer.pk)
    assert Receipt.objects.get(pk=receipt.pk).number == receipt_number
    # The audit: the anonymisation is recorded with its actor and reason; the past
    # rows no longer hold what the current ones lost.
    latest = customer.history.first()
    assert latest.history_user == staff_user
    assert latest.history_change_reason == "Permintaan UU PDP pelanggan"
    assert not customer.history.exclude(address="").exists()
    assert contact.history.first().history_user == staff_user
    assert not contact.history.exclude(full_name=personal_data.ANONYMISED_NAME).exists()
    assert request.history.first().history_user == staff_user


def test_deleted_user_can_no_longer_log_in(contact, staff_user, client):
    request = personal_data.deletion_request_create(user=contact.user)
    email = contact.user.email
    session = Client()
    session.force_login(contact.user)

    personal_data.deletion_request_complete(request=request, staff=staff_user, reason="UU PDP")

    response = client.post(reverse("account_login"), {"login": email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert response.status_code == 200
    assert session.get(reverse("customers:dashboard")).status_code == 302  # old session ended


def test_user_scope_leaves_the_account_alone(contact, terms, staff_user):
    technical = ContactFactory(customer=contact.customer, role=Role.TECHNICAL, accepted_terms=terms)
    request = personal_data.deletion_request_create(user=technical.user)
    assert request.scope == DataDeletionRequest.Scope.USER

    personal_data.deletion_request_complete(request=request, staff=staff_user, reason="UU PDP")

    technical.refresh_from_db()
    contact.refresh_from_db()
    customer = Customer.objects.get(pk=contact.customer_id)
    assert technical.full_name == personal_data.ANONYMISED_NAME
    assert contact.full_name != personal_data.ANONYMISED_NAME and customer.address


def test_a_request_is_decided_once(contact, staff_user):
    request = personal_data.deletion_request_create(user=contact.user)
    personal_data.deletion_request_reject(request=request, staff=staff_user, reason="Masih aktif")

    with pytest.raises(personal_data.DeletionAlreadyDecided):
        personal_data.deletion_request_complete(request=request, staff=staff_user, reason="x")
    contact.refresh_from_db()
    assert contact.full_name != personal_data.ANONYMISED_NAME
