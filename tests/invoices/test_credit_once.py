"""K3: an invoice is credited once, and never after it was cancelled or refunded.

One payment confirmation waits per invoice (a partial unique constraint), approval
refuses an invoice that is no longer payable, and cancelling waits for the pending
confirmation to be decided."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from core.validators import detect_scan_kind
from invoices import services
from invoices.models import BankAccount, Invoice, Payment, PaymentConfirmation, Receipt
from orders.cart import CartItem
from tests.concurrency import at_once
from tests.factories import (
    BankAccountFactory,
    ContactFactory,
    IdentityDocumentFactory,
    PlanFactory,
    jpeg_bytes,
    png_bytes,
    upload,
)

pytestmark = pytest.mark.usefixtures("in_english")


def _confirm(invoice, user, amount=None):
    proof = upload("bukti.png", png_bytes())
    return services.payment_confirmation_submit(
        invoice=invoice, submitted_by=user, bank_name="BCA", sender_account_name="Budi",
        amount=amount if amount is not None else invoice.amount_to_transfer,
        transfer_date=invoice.issue_date, to_account=BankAccount.objects.first(),
        proof=proof, proof_kind=detect_scan_kind(proof),
    )  # fmt: skip


def test_k3_a_second_confirmation_while_one_waits_is_refused_with_what_to_do(place, verified):
    invoice = place()
    _confirm(invoice, verified.user)
    with pytest.raises(ValidationError) as refused:
        _confirm(invoice, verified.user)
    assert "already waiting" in " ".join(refused.value.messages)
    assert "new one" in " ".join(refused.value.messages)  # what the customer can do
    assert PaymentConfirmation.objects.filter(invoice=invoice).count() == 1


def test_k3_the_confirm_url_refuses_a_second_confirmation(place, verified, customer_client, bank):
    """The detail page hides the button; the URL itself must refuse too."""
    invoice = place()
    _confirm(invoice, verified.user)
    url = reverse("invoices:confirm", args=[invoice.pk])
    response = customer_client.get(url)
    assert response.status_code == 302  # back to the invoice, with the message
    data = {
        "bank_name": "BCA",
        "sender_account_name": "Budi Santoso",
        "amount": str(invoice.amount_to_transfer),
        "transfer_date": invoice.issue_date.isoformat(),
        "to_account": bank.pk,
        "proof": upload("bukti.jpg", jpeg_bytes()),
    }
    response = customer_client.post(url, data)
    assert response.status_code == 200
    assert "already waiting" in " ".join(response.context["form"].non_field_errors())
    assert PaymentConfirmation.objects.filter(invoice=invoice).count() == 1


def test_k3_the_database_holds_one_pending_confirmation_per_invoice(place, verified):
    first = _confirm(place(), verified.user)
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentConfirmation.objects.create(
            invoice=first.invoice, submitted_by=verified.user, bank_name="BCA",
            sender_account_name="Budi", amount=Decimal("1000"), transfer_date=first.transfer_date,
            to_account=first.to_account, proof=first.proof.name,
            proof_content_type="image/png", proof_extension=".png",
        )  # fmt: skip


def test_k3_after_a_decision_a_new_confirmation_may_follow(place, verified, staff_user):
    invoice = place()
    services.payment_reject(
        confirmation=_confirm(invoice, verified.user), staff=staff_user, reason="Unreadable"
    )
    assert _confirm(invoice, verified.user).status == PaymentConfirmation.Status.PENDING


@pytest.mark.parametrize("status", [Invoice.Status.CANCELLED, Invoice.Status.REFUNDED])
def test_k3_approval_refuses_an_invoice_that_is_no_longer_payable(
    place, verified, staff_user, status
):
    invoice = place()
    confirmation = _confirm(invoice, verified.user)
    Invoice.objects.filter(pk=invoice.pk).update(status=status)  # e.g. decided elsewhere
    with pytest.raises(ValidationError) as refused:
        services.payment_approve(confirmation=confirmation, staff=staff_user)
    assert invoice.number in " ".join(refused.value.messages)
    assert str(Invoice.Status(status).label).lower() in " ".join(refused.value.messages)
    assert "Reject" in " ".join(refused.value.messages)  # what staff can do instead
    invoice.refresh_from_db()
    confirmation.refresh_from_db()
    assert (invoice.status, invoice.amount_paid) == (status, 0)
    assert confirmation.status == PaymentConfirmation.Status.PENDING  # still to be decided
    assert not Payment.objects.exists() and not Receipt.objects.exists()


def test_k3_approval_refuses_an_invoice_already_paid_in_full(place, verified, staff_user):
    """The probe: two receipts and Rp 222.004 paid on a Rp 111.000 invoice."""
    invoice = place()
    first = _confirm(invoice, verified.user)
    services.payment_approve(confirmation=first, staff=staff_user)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    second = PaymentConfirmation.objects.create(  # one left over from before the constraint
        invoice=invoice, submitted_by=verified.user, bank_name="BCA",
        sender_account_name="Budi", amount=first.amount, transfer_date=first.transfer_date,
        to_account=first.to_account, proof=first.proof.name,
        proof_content_type="image/png", proof_extension=".png",
    )  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        services.payment_approve(confirmation=second, staff=staff_user)
    assert str(Invoice.Status.PAID.label).lower() in " ".join(refused.value.messages)
    invoice.refresh_from_db()
    assert invoice.amount_paid == first.amount
    assert Receipt.objects.count() == 1


def test_k3_cancelling_waits_for_the_pending_confirmation(place, verified, staff_user):
    invoice = place()
    confirmation = _confirm(invoice, verified.user)
    with pytest.raises(ValidationError, match="waiting"):
        services.invoice_cancel(invoice=invoice, staff=staff_user, reason="Ordered twice")
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.UNPAID
    services.payment_reject(confirmation=confirmation, staff=staff_user, reason="Not received")
    services.invoice_cancel(invoice=invoice, staff=staff_user, reason="Ordered twice")
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.CANCELLED


def test_k3_admin_approval_of_a_cancelled_invoice_tells_staff(place, verified, staff_client):
    invoice = place()
    confirmation = _confirm(invoice, verified.user)
    Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.CANCELLED)
    response = staff_client.post(
        reverse("admin:invoices_paymentconfirmation_changelist"),
        {"action": "approve_selected", "_selected_action": [confirmation.pk]},
        follow=True,
    )
    shown = [str(message) for message in response.context["messages"]]
    cancelled = str(Invoice.Status.CANCELLED.label).lower()  # in the portal's language
    assert any(invoice.number in text and cancelled in text for text in shown), shown
    assert not Payment.objects.exists()


# --- PostgreSQL: two requests at once ------------------------------------------------


def _order_invoice(terms):
    from orders.services import order_place

    contact = ContactFactory(accepted_terms=terms)
    IdentityDocumentFactory(customer=contact.customer, uploaded_by=contact.user, status="verified")
    BankAccountFactory()
    plan = PlanFactory()
    order = order_place(
        customer=contact.customer, placed_by=contact.user, aup_accepted=True, ip_address=None,
        items=[CartItem(product_id=plan.product_id, plan_id=plan.pk)],
    )  # fmt: skip
    return order.invoices.get(), contact


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_k3_two_confirmations_at_once_leave_one_waiting(terms):
    invoice, contact = _order_invoice(terms)
    outcomes = at_once(*[lambda: _confirm(invoice, contact.user)] * 2)
    assert sum(isinstance(o, PaymentConfirmation) for o in outcomes) == 1, outcomes
    assert sum(isinstance(o, ValidationError) for o in outcomes) == 1, outcomes
    assert PaymentConfirmation.objects.filter(invoice=invoice).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_k3_approval_and_cancellation_at_once_never_credit_a_cancelled_invoice(terms):
    from customers.models import User

    invoice, contact = _order_invoice(terms)
    confirmation = _confirm(invoice, contact.user)
    staff = [User.objects.create_superuser(f"s{i}@masternet.test", "x") for i in range(2)]
    outcomes = at_once(
        lambda: services.payment_approve(confirmation=confirmation, staff=staff[0]),
        lambda: services.invoice_cancel(invoice=invoice, staff=staff[1], reason="duplicate"),
    )
    invoice.refresh_from_db()
    assert sum(isinstance(o, ValidationError) for o in outcomes) == 1, outcomes
    assert invoice.status == Invoice.Status.PAID, outcomes  # cancelling waits for the decision
    assert invoice.amount_paid == confirmation.amount and Receipt.objects.count() == 1
