"""Every admin list and change page opens for staff, with data in it."""

import pytest
from django.contrib import admin
from django.urls import reverse

from customers.models import IdentityDocument
from tests.factories import IdentityDocumentFactory


@pytest.fixture
def some_data(place, verified, staff_user):
    from core.validators import detect_scan_kind
    from invoices import services
    from invoices.models import BankAccount
    from tests.factories import png_bytes, upload

    invoice = place()
    proof = upload("p.png", png_bytes())
    confirmation = services.payment_confirmation_submit(
        invoice=invoice, submitted_by=verified.user, bank_name="BCA", sender_account_name="B",
        amount=invoice.amount_to_transfer, transfer_date=invoice.issue_date,
        to_account=BankAccount.objects.get(), proof=proof, proof_kind=detect_scan_kind(proof),
    )  # fmt: skip
    services.payment_approve(confirmation=confirmation, staff=staff_user)
    IdentityDocumentFactory(customer=verified.customer, uploaded_by=verified.user)
    assert IdentityDocument.objects.exists()


def test_every_admin_changelist_and_first_change_page_opens(staff_client, some_data):
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        response = staff_client.get(url)
        assert response.status_code == 200, url
        first = model_admin.get_queryset(response.wsgi_request).first()
        if first is not None:
            change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk])
            assert staff_client.get(change).status_code == 200, change
