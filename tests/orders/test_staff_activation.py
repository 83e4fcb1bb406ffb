"""H1, K3, K8: staff activate pending services from admin only with a reason, and only a
paid one whose identity requirement is met, unless they override, with the reason in
the service's history."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.validators import detect_scan_kind
from customers.models import IdentityDocument
from invoices import services as billing
from invoices.models import BankAccount
from orders.cart import CartItem
from orders.models import Service
from orders.services import service_activate_by_staff
from tests.concurrency import at_once
from tests.factories import IdentityDocumentFactory, PlanFactory, png_bytes, upload

CHANGELIST = reverse("admin:orders_service_changelist")


pytestmark = pytest.mark.usefixtures("in_english")


def _pay(invoice, user, staff):
    proof = upload("p.png", png_bytes())
    confirmation = billing.payment_confirmation_submit(
        invoice=invoice, submitted_by=user, bank_name="BCA", sender_account_name="Budi",
        amount=invoice.amount_to_transfer, transfer_date=invoice.issue_date,
        to_account=BankAccount.objects.get(), proof=proof, proof_kind=detect_scan_kind(proof),
    )  # fmt: skip
    billing.payment_approve(confirmation=confirmation, staff=staff)


def _activate(staff_client, service, action="activate", reason="Customer paid in cash"):
    return staff_client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [service.pk], "apply": "1", "reason": reason},
        follow=True,
    )


def _shown(response) -> str:
    return " ".join(str(message) for message in response.context["messages"])


@pytest.fixture
def gated(contact, bank, staff_user):
    """A paid service whose product needs a verified identity (K8); the customer's
    document is uploaded, not verified yet."""
    from orders.services import order_place

    IdentityDocumentFactory(customer=contact.customer, uploaded_by=contact.user)
    plan = PlanFactory(product__requires_verified_identity=True)
    order = order_place(
        customer=contact.customer, placed_by=contact.user, aup_accepted=True, ip_address=None,
        items=[CartItem(product_id=plan.product_id, plan_id=plan.pk)],
    )  # fmt: skip
    _pay(order.invoices.get(), contact.user, staff_user)
    return Service.objects.get()


def test_the_action_asks_for_a_reason_first(place, staff_client):
    place()
    service = Service.objects.get()
    response = staff_client.post(
        CHANGELIST, {"action": "activate", "_selected_action": [service.pk]}
    )
    assert 'name="reason"' in response.content.decode()
    service.refresh_from_db()
    assert service.status == Service.Status.PENDING


def test_k3_an_unpaid_service_is_not_activated(place, staff_client):
    invoice = place()
    response = _activate(staff_client, Service.objects.get())
    service = Service.objects.get()
    assert service.status == Service.Status.PENDING
    assert invoice.number in _shown(response) and "override" in _shown(response)


def test_k8_a_service_waiting_for_identity_is_not_activated(gated, staff_client):
    assert gated.status == Service.Status.PENDING
    response = _activate(staff_client, gated)
    gated.refresh_from_db()
    assert gated.status == Service.Status.PENDING
    assert "K8" in _shown(response)


def test_a_paid_service_is_activated_with_the_reason_in_its_history(
    place, verified, staff_user, staff_client
):
    _pay(place(), verified.user, staff_user)
    service = Service.objects.get()
    # Paid, but left pending (an activation that failed): staff start it by hand.
    Service.objects.filter(pk=service.pk).update(status=Service.Status.PENDING)
    _activate(staff_client, service, reason="Provisioned by hand")
    service.refresh_from_db()
    assert service.status == Service.Status.ACTIVE and service.period_end is not None
    latest = service.history.first()
    assert latest.history_user == staff_user
    assert "Provisioned by hand" in latest.history_change_reason


def test_an_override_activates_and_records_why(gated, staff_user, staff_client):
    _activate(staff_client, gated, action="activate_override", reason="Director vouched by phone")
    gated.refresh_from_db()
    assert gated.status == Service.Status.ACTIVE
    latest = gated.history.first()
    assert latest.history_user == staff_user
    assert "override" in latest.history_change_reason
    assert "Director vouched by phone" in latest.history_change_reason


def test_an_active_service_is_not_activated_again(gated, staff_user):
    service_activate_by_staff(service=gated, staff=staff_user, reason="first", override=True)
    with pytest.raises(ValidationError, match="nothing to activate"):
        service_activate_by_staff(service=gated, staff=staff_user, reason="again", override=True)
    assert not gated.history.filter(history_change_reason__contains="again").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_staff_activating_at_once_activate_it_once(terms):
    from customers.models import User
    from orders.services import order_place
    from tests.factories import BankAccountFactory, ContactFactory

    contact = ContactFactory(accepted_terms=terms)
    IdentityDocumentFactory(
        customer=contact.customer, uploaded_by=contact.user, status=IdentityDocument.Status.VERIFIED
    )
    BankAccountFactory()
    plan = PlanFactory()
    order_place(
        customer=contact.customer, placed_by=contact.user, aup_accepted=True, ip_address=None,
        items=[CartItem(product_id=plan.product_id, plan_id=plan.pk)],
    )  # fmt: skip
    service = Service.objects.get()
    staff = [User.objects.create_superuser(f"s{i}@masternet.test", "x") for i in range(2)]

    def activate(user):
        service_activate_by_staff(service=service, staff=user, reason="now", override=True)
        return "activated"

    outcomes = at_once(*[lambda user=user: activate(user) for user in staff])
    assert outcomes.count("activated") == 1, outcomes
    assert service.history.filter(history_change_reason__contains="override").count() == 1


def test_a_service_without_an_invoice_is_refused_in_words(staff_user):
    """No invoice to name: the refusal says so, instead of "Invoice — is not paid"."""
    from tests.factories import ServiceFactory

    service = ServiceFactory(status=Service.Status.PENDING)
    with pytest.raises(ValidationError) as refusal:
        service_activate_by_staff(service=service, staff=staff_user, reason="Paid in cash")
    message = " ".join(refusal.value.messages)
    assert "This service has no invoice, so nothing has been paid for it" in message
    assert "—" not in message and "Invoice" not in message
    service.refresh_from_db()
    assert service.status == Service.Status.PENDING


def test_k8_activation_after_verification_leaves_a_service_staff_activated_meanwhile(
    contact, bank, staff_user
):
    """K8: two paid services wait for the identity. While the verification activates the
    first, staff activate the second (the post_save hook stands in for their request,
    committed in between): the verification does not start it a second time."""
    from django.db.models.signals import post_save

    from orders.services import order_place, services_activate_waiting

    document = IdentityDocumentFactory(customer=contact.customer, uploaded_by=contact.user)
    for _ in range(2):
        plan = PlanFactory(product__requires_verified_identity=True)
        order = order_place(
            customer=contact.customer, placed_by=contact.user, aup_accepted=True,
            ip_address=None, items=[CartItem(product_id=plan.product_id, plan_id=plan.pk)],
        )  # fmt: skip
        _pay(order.invoices.get(), contact.user, staff_user)
    assert Service.objects.filter(status=Service.Status.PENDING).count() == 2
    IdentityDocument.objects.filter(pk=document.pk).update(status=IdentityDocument.Status.VERIFIED)
    by_staff = []

    def staff_activate_the_other(sender, instance, **kwargs):
        if by_staff or instance.status != Service.Status.ACTIVE:
            return
        other = Service.objects.exclude(pk=instance.pk).get()
        by_staff.append(other)
        service_activate_by_staff(service=other, staff=staff_user, reason="Asked by phone")

    post_save.connect(staff_activate_the_other, sender=Service)
    try:
        activated = services_activate_waiting(customer=contact.customer, actor=None)
    finally:
        post_save.disconnect(staff_activate_the_other, sender=Service)
    assert activated == 1
    [other] = by_staff
    reasons = list(other.history.values_list("history_change_reason", flat=True))
    assert reasons[0] == "activated: Asked by phone"
    assert "identity verified" not in reasons
