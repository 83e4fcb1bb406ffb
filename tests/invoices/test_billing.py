"""K3 and H3: invoices, payment confirmation, approval exactly once, receipts."""

import io
import os
import re
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from pypdf import PdfReader

from customers.models import IdentityDocument
from customers.services import identity_document_verify
from invoices import services
from invoices.models import Invoice, Payment, PaymentConfirmation
from invoices.services import compute_totals, invoice_issue
from orders.cart import CartItem
from orders.models import Service
from orders.pricing import LineSpec
from tests.concurrency import at_once
from tests.factories import (
    ContactFactory,
    IdentityDocumentFactory,
    PlanFactory,
    jpeg_bytes,
    png_bytes,
    upload,
)


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def _confirm(invoice, user, amount=None, bank=None):
    from core.validators import detect_scan_kind

    proof = upload("bukti.png", png_bytes())
    return services.payment_confirmation_submit(
        invoice=invoice,
        submitted_by=user,
        bank_name="BCA",
        sender_account_name="Budi",
        amount=amount if amount is not None else invoice.amount_to_transfer,
        transfer_date=invoice.issue_date,
        to_account=bank or __import__("invoices.models").models.BankAccount.objects.first(),
        proof=proof,
        proof_kind=detect_scan_kind(proof),
    )


def test_ppn_is_11_percent_of_taxable_lines_rounded_to_the_rupiah():
    lines = [
        LineSpec("Hosting", Decimal("99999"), True),
        LineSpec("Setup", Decimal("50001"), True),
        LineSpec("Domain .id", Decimal("220000"), False),
        LineSpec("Extra IP", Decimal("12345.50"), True, quantity=2),
    ]
    totals = compute_totals(lines, ppn_rate=Decimal("0.11"))
    assert totals.subtotal == Decimal("394691.00")
    # taxable 174691.00 × 0.11 = 19216.01 → Rp 19.216
    assert totals.ppn_amount == Decimal("19216.00")
    assert totals.total == totals.subtotal + totals.ppn_amount


def test_ppn_rate_is_read_as_a_decimal(settings):
    """Money is Decimal: the rate from the environment is never a float on its way."""
    assert isinstance(settings.PPN_RATE, Decimal)
    assert str(settings.PPN_RATE) == "0.11"
    read = subprocess.run(
        [sys.executable, "-c", "from masternet.settings import base; print(repr(base.PPN_RATE))"],
        env={**os.environ, "PPN_RATE": "0.115"},
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert read.stdout.strip() == "Decimal('0.115')"


def test_invoice_numbers_are_sequential_per_year(customer):
    lines = [LineSpec("x", Decimal("1000"))]
    numbers = [
        invoice_issue(customer=customer, lines=lines, issue_date=date(2026, 12, 31)).number
        for _ in range(3)
    ]
    numbers.append(
        invoice_issue(customer=customer, lines=lines, issue_date=date(2027, 1, 1)).number
    )
    assert numbers == ["INV/2026/000001", "INV/2026/000002", "INV/2026/000003", "INV/2027/000001"]
    codes = list(Invoice.objects.order_by("pk").values_list("unique_code", flat=True))
    assert codes == [1, 2, 3, 4]  # K3: the smallest code that no unpaid invoice of the total has


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_invoices_never_share_or_skip_a_number():
    customer = ContactFactory().customer

    def issue():
        return invoice_issue(
            customer=customer, lines=[LineSpec("x", Decimal("1"))], issue_date=date(2026, 5, 1)
        )

    outcomes = at_once(*[issue] * 8)
    assert len(outcomes) == 8 and all(isinstance(o, Invoice) for o in outcomes), outcomes
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"INV/2026/{n:06d}" for n in range(1, 9)]


def test_invoice_pdf_contains_number_lines_totals_and_bank(place, customer_client):
    invoice = place()
    response = customer_client.get(reverse("invoices:pdf", args=[invoice.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    text = _pdf_text(response.content)
    assert invoice.number in text
    assert "toko.com" in text
    assert "Rp 111.000" in text
    assert "437 0123 456" in text
    assert "TAGIHAN" in text or "INVOICE" in text


def test_k3_confirmation_marks_the_invoice_waiting(place, customer_client, bank):
    invoice = place()
    response = customer_client.post(
        reverse("invoices:confirm", args=[invoice.pk]),
        {
            "bank_name": "BCA",
            "sender_account_name": "Budi Santoso",
            "amount": str(invoice.amount_to_transfer),
            "transfer_date": invoice.issue_date.isoformat(),
            "to_account": bank.pk,
            "proof": upload("bukti.jpg", jpeg_bytes()),
            "status": "approved",  # forged: ignored
        },
    )
    assert response.status_code == 302
    confirmation = PaymentConfirmation.objects.get()
    assert confirmation.status == PaymentConfirmation.Status.PENDING
    listing = customer_client.get(reverse("invoices:list"))
    with translation.override(listing.wsgi_request.LANGUAGE_CODE):
        waiting = gettext("Waiting for verification")
    badges = re.findall(r'data-testid="invoice-status">([^<]*)<', listing.content.decode())
    assert badges == [waiting]  # not "unpaid": the customer sees their confirmation waits
    detail = customer_client.get(reverse("invoices:detail", args=[invoice.pk]))
    assert detail.context["awaiting_verification"] is True
    assert f'data-testid="invoice-status">{waiting}<' in detail.content.decode()


def test_k3_bad_proof_is_refused_and_keeps_what_was_typed(place, customer_client, bank):
    invoice = place()
    response = customer_client.post(
        reverse("invoices:confirm", args=[invoice.pk]),
        {
            "bank_name": "Bank Jago",
            "sender_account_name": "Budi Santoso",
            "amount": "111123",
            "transfer_date": invoice.issue_date.isoformat(),
            "to_account": bank.pk,
            "proof": upload("bukti.jpg", b"MZ\x90\x00" + b"\x00" * 500),
        },
    )
    assert response.status_code == 200
    assert "proof" in response.context["form"].errors
    html = response.content.decode()
    assert 'value="Bank Jago"' in html and 'value="111123"' in html
    assert not PaymentConfirmation.objects.exists()


def test_k3_future_transfer_date_is_explained(place, customer_client, bank):
    invoice = place()
    response = customer_client.post(
        reverse("invoices:confirm", args=[invoice.pk]),
        {
            "bank_name": "BCA",
            "sender_account_name": "Budi",
            "amount": "111000",
            "transfer_date": (invoice.issue_date + timedelta(days=5)).isoformat(),
            "to_account": bank.pk,
            "proof": upload("b.png", png_bytes()),
        },
    )
    assert "transfer_date" in response.context["form"].errors


@time_machine.travel("2026-11-10 10:00 +07:00", tick=False)
def test_k3_approval_pays_activates_and_issues_a_receipt(
    place, verified, staff_user, customer_client, django_capture_on_commit_callbacks
):
    invoice = place()
    confirmation = _confirm(invoice, verified.user)
    with django_capture_on_commit_callbacks(execute=True):
        payment = services.payment_approve(confirmation=confirmation, staff=staff_user)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID and invoice.paid_at
    assert payment.amount == invoice.amount_paid
    service = Service.objects.get()
    assert service.status == Service.Status.ACTIVE
    # H1: a monthly period from the day of activation to the day before the same date.
    assert (service.period_start, service.period_end) == (date(2026, 11, 10), date(2026, 12, 9))
    assert service.next_due_date == date(2026, 12, 10)
    assert service.warranty_end == date(2026, 12, 10)  # H7: 30 days of warranty
    receipt = payment.receipt
    assert receipt.number.startswith("KW/")
    message = mail.outbox[-1]
    assert receipt.number in message.subject
    assert _pdf_text(message.attachments[0][1]).count(invoice.number) >= 1
    response = customer_client.get(reverse("invoices:receipt", args=[receipt.pk]))
    assert receipt.number in _pdf_text(response.content)
    history = confirmation.history.first()
    assert (history.status, history.history_user) == ("approved", staff_user)


def test_k3_approval_happens_once(place, verified, staff_user):
    confirmation = _confirm(place(), verified.user)
    services.payment_approve(confirmation=confirmation, staff=staff_user)
    with pytest.raises(services.AlreadyDecided):
        services.payment_approve(confirmation=confirmation, staff=staff_user)
    assert Payment.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_k3_two_staff_approving_at_once_credit_it_once(terms):
    from customers.models import User
    from tests.factories import BankAccountFactory

    contact = ContactFactory(accepted_terms=terms)
    IdentityDocumentFactory(customer=contact.customer, uploaded_by=contact.user, status="verified")
    BankAccountFactory()
    plan = PlanFactory()
    from orders.services import order_place

    order = order_place(
        customer=contact.customer,
        placed_by=contact.user,
        items=[CartItem(product_id=plan.product_id, plan_id=plan.pk)],
        aup_accepted=True,
        ip_address=None,
    )
    confirmation = _confirm(order.invoices.get(), contact.user)
    staff = [User.objects.create_superuser(f"s{i}@masternet.test", "x") for i in range(2)]
    outcomes = at_once(
        *[lambda user=user: services.payment_approve(confirmation=confirmation, staff=user)
          for user in staff]
    )  # fmt: skip
    assert sum(isinstance(o, Payment) for o in outcomes) == 1
    assert sum(isinstance(o, services.AlreadyDecided) for o in outcomes) == 1
    invoice = Invoice.objects.get()
    assert invoice.amount_paid == confirmation.amount
    assert Payment.objects.count() == 1


def test_k3_partial_payment_leaves_the_invoice_partly_paid(place, verified, staff_user):
    invoice = place()
    first = _confirm(invoice, verified.user, amount=Decimal("50000"))
    assert first.amount_differs
    services.payment_approve(confirmation=first, staff=staff_user)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.UNPAID and invoice.is_partly_paid
    assert invoice.balance == Decimal("61000.00")
    assert Service.objects.get().status == Service.Status.PENDING
    second = _confirm(invoice, verified.user, amount=Decimal("61000"))
    assert not second.amount_differs
    services.payment_approve(confirmation=second, staff=staff_user)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert Service.objects.get().status == Service.Status.ACTIVE


def test_k8_identity_gated_service_waits_then_activates(contact, bank, staff_user):
    document = IdentityDocumentFactory(customer=contact.customer, uploaded_by=contact.user)
    plan = PlanFactory(product__requires_verified_identity=True)
    from orders.services import order_place

    order = order_place(
        customer=contact.customer,
        placed_by=contact.user,
        items=[CartItem(product_id=plan.product_id, plan_id=plan.pk)],
        aup_accepted=True,
        ip_address=None,
    )
    confirmation = _confirm(order.invoices.get(), contact.user)
    services.payment_approve(confirmation=confirmation, staff=staff_user)
    service = Service.objects.get()
    assert service.status == Service.Status.PENDING
    assert "(K8)" in service.status_reason  # written in the portal's language, Indonesian
    identity_document_verify(document=document, staff=staff_user)
    service.refresh_from_db()
    assert service.status == Service.Status.ACTIVE
    assert document.status == IdentityDocument.Status.PENDING  # the stale copy


def test_k3_confirming_a_paid_or_cancelled_invoice_is_refused(
    place, verified, staff_user, customer_client
):
    invoice = place()
    services.invoice_cancel(invoice=invoice, staff=staff_user, reason="Ordered twice")
    response = customer_client.get(reverse("invoices:confirm", args=[invoice.pk]))
    assert response.status_code == 302
    with pytest.raises(Exception, match="nothing left to pay|tidak ada"):
        _confirm(invoice, verified.user)
    assert Invoice.objects.filter(pk=invoice.pk).exists()  # cancelled, never deleted


def test_k3_reject_tells_the_customer_why(
    place, verified, staff_user, django_capture_on_commit_callbacks
):
    confirmation = _confirm(place(), verified.user)
    with django_capture_on_commit_callbacks(execute=True):
        services.payment_reject(
            confirmation=confirmation, staff=staff_user, reason="Proof unreadable"
        )
    assert "Proof unreadable" in mail.outbox[-1].body


def test_404_matrix_for_invoices_proofs_and_receipts(place, verified, staff_user, terms):
    invoice = place()
    confirmation = _confirm(invoice, verified.user)
    payment = services.payment_approve(confirmation=confirmation, staff=staff_user)
    stranger = ContactFactory(accepted_terms=terms)
    client = Client()
    client.force_login(stranger.user)
    urls = [
        reverse("invoices:detail", args=[invoice.pk]),
        reverse("invoices:pdf", args=[invoice.pk]),
        reverse("invoices:confirm", args=[invoice.pk]),
        reverse("invoices:proof", args=[confirmation.pk]),
        reverse("invoices:receipt", args=[payment.receipt.pk]),
        reverse("orders:service", args=[Service.objects.get().pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("invoices:confirm", args=[invoice.pk]), {}).status_code == 404


def test_technical_contact_sees_no_invoices(place, verified, terms):
    invoice = place()
    technical = ContactFactory(customer=verified.customer, role="technical", accepted_terms=terms)
    client = Client()
    client.force_login(technical.user)
    assert client.get(reverse("invoices:list")).status_code == 403
    assert client.get(reverse("invoices:detail", args=[invoice.pk])).status_code == 403
    assert client.get(reverse("orders:services")).status_code == 200


@pytest.mark.parametrize("rows", [1, 50])
def test_lists_cost_fixed_queries(place, verified, rows, django_assert_max_num_queries):
    from orders.models import Product

    client = Client()
    client.force_login(verified.user)
    plan = Product.objects.get().plans.get()
    for _ in range(rows):
        place(CartItem(product_id=plan.product_id, plan_id=plan.pk, domain_name="a.com"))
    for name in ("invoices:list", "orders:services", "customers:dashboard"):
        with django_assert_max_num_queries(12):
            assert client.get(reverse(name)).status_code == 200


@time_machine.travel("2026-03-31 10:00 +07:00", tick=False)
def test_monthly_period_from_the_31st_ends_on_the_last_day_before_the_same_date(
    place, verified, staff_user
):
    confirmation = _confirm(place(), verified.user)
    services.payment_approve(confirmation=confirmation, staff=staff_user)
    service = Service.objects.get()
    assert (service.period_start, service.period_end) == (date(2026, 3, 31), date(2026, 4, 29))
    assert service.next_due_date == date(2026, 4, 30)


def test_admin_finds_an_invoice_by_its_number_or_customer(place, staff_client):
    invoice = place()
    url = reverse("admin:invoices_invoice_changelist")
    for term in (invoice.number, invoice.number.lower(), invoice.customer.name[:5]):
        response = staff_client.get(url, {"q": term})
        assert list(response.context["cl"].result_list) == [invoice], term
    assert not staff_client.get(url, {"q": "INV/1999/000001"}).context["cl"].result_list
