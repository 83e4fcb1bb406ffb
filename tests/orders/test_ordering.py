"""K2 and K9: catalogue → cart → checkout, the gate when something is missing, and
staff orders through the same service."""

from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from customers.models import Role
from invoices.models import Invoice
from orders.cart import CartItem
from orders.models import Order, Service
from orders.services import OrderBlocked, order_place
from tests.factories import ContactFactory


def _add_plan(client, plan, **extra):
    return client.post(
        reverse("orders:product", args=[plan.product.slug]),
        {"plan": plan.pk, "domain_name": "TokoSaya.com", **extra},
    )


def test_catalogue_is_public_with_prices(client, plan):
    response = client.get(reverse("orders:catalogue"))
    assert response.status_code == 200
    assert "Rp 100.000" in response.content.decode()


def test_adding_to_cart_needs_a_login(client, plan):
    response = _add_plan(client, plan)
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_k2_order_end_to_end_creates_order_services_and_invoice(
    verified, plan, bank, django_capture_on_commit_callbacks
):
    from django.test import Client

    client = Client()
    client.force_login(verified.user)
    assert _add_plan(client, plan, price="1").status_code == 302  # a forged price is ignored
    page = client.get(reverse("orders:checkout"))
    assert 'name="accept_aup"' in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("orders:checkout"), {"accept_aup": "on"})
    invoice = Invoice.objects.get()
    assert response["Location"] == reverse("invoices:detail", args=[invoice.pk])
    order = Order.objects.get()
    assert (order.placed_by, order.aup_version) == (verified.user, "2026.1")
    assert order.aup_accepted_at is not None
    service = Service.objects.get()
    assert (service.status, service.domain_name) == (Service.Status.PENDING, "tokosaya.com")
    assert service.recurring_price == Decimal("100000")
    assert invoice.subtotal == Decimal("100000.00")
    assert invoice.ppn_amount == Decimal("11000.00")
    assert invoice.total == Decimal("111000.00")
    assert invoice.lines.get().service == service
    # K7: the responsible contact receives the invoice with its PDF.
    message = mail.outbox[-1]
    assert message.to == [verified.user.email]
    assert invoice.number in message.subject
    assert message.attachments[0][2] == "application/pdf"
    assert message.attachments[0][1].startswith(b"%PDF")
    assert client.get(reverse("orders:cart")).context["items"] == []


def test_k9_checkout_without_the_acknowledgement_is_refused(verified, plan, bank):
    from django.test import Client

    client = Client()
    client.force_login(verified.user)
    _add_plan(client, plan)
    response = client.post(reverse("orders:checkout"), {})
    assert response.status_code == 200
    assert "accept_aup" in response.context["form"].errors
    assert not Order.objects.exists()


def test_k2_checkout_shows_missing_steps_instead_of_the_button(customer_client, plan):
    _add_plan(customer_client, plan)
    response = customer_client.get(reverse("orders:checkout"))
    html = response.content.decode()
    assert 'data-testid="order-blocked"' in html
    assert 'data-step="identity"' in html
    assert reverse("customers:identity") in html
    assert 'name="accept_aup"' not in html
    customer_client.post(reverse("orders:checkout"), {"accept_aup": "on"})
    assert not Order.objects.exists()


def test_k2_the_service_refuses_a_blocked_customer_too(contact, plan):
    with pytest.raises(OrderBlocked) as blocked:
        order_place(
            customer=contact.customer,
            placed_by=contact.user,
            items=[CartItem(product_id=plan.product_id, plan_id=plan.pk, domain_name="a.com")],
            aup_accepted=True,
            ip_address=None,
        )
    assert [step.code for step in blocked.value.steps] == ["identity"]


@pytest.mark.parametrize("role", [Role.BILLING, Role.TECHNICAL])
def test_k7_only_the_responsible_contact_orders(client, verified, terms, plan, role):
    limited = ContactFactory(customer=verified.customer, role=role, accepted_terms=terms)
    client.force_login(limited.user)
    assert client.get(reverse("orders:cart")).status_code == 403
    assert client.post(reverse("orders:checkout"), {"accept_aup": "on"}).status_code == 403


@pytest.mark.parametrize(
    ("domain", "error"),
    [("toko", "extension"), ("-toko.com", "not allowed"), ("toko.xyz", "do not sell")],
)
def test_domain_order_needs_a_well_formed_sold_name(customer_client, domain_product, domain, error):
    customer_client.cookies["django_language"] = "en"  # the language switcher's choice
    response = customer_client.post(
        reverse("orders:product", args=["domain"]),
        {"domain_name": domain, "domain_action": "register"},
    )
    assert response.status_code == 200
    assert error in str(response.context["form"].errors["domain_name"])
    assert f'value="{domain}"' in response.content.decode()


def test_co_id_needs_company_documents(verified, domain_product):
    items = [CartItem(product_id=domain_product.pk, domain_name="toko.co.id")]
    with pytest.raises(OrderBlocked) as blocked:
        order_place(
            customer=verified.customer,
            placed_by=verified.user,
            items=items,
            aup_accepted=True,
            ip_address=None,
        )
    assert [step.code for step in blocked.value.steps] == ["company_documents"]


def test_domain_price_comes_from_the_tld_list(place, domain_product):
    invoice = place(CartItem(product_id=domain_product.pk, domain_name="toko.com"))
    assert invoice.subtotal == Decimal("165000.00")
    assert invoice.lines.get().service.recurring_price == Decimal("175000")


def test_k2_staff_order_in_admin_goes_through_the_same_rules(
    staff_client, contact, verified, plan, bank
):
    url = reverse("admin:orders_order_add")
    form = {
        "customer": contact.customer.pk,
        "product": plan.product_id,
        "plan": plan.pk,
        "domain_name": "kantor.com",
        "aup_confirmed": "on",
        "staff_note": "Ordered by phone",
    }
    response = staff_client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    order = Order.objects.get()
    assert order.placed_by.is_staff and order.staff_note == "Ordered by phone"
    assert order.invoices.get().total == Decimal("111000.00")


def test_k2_staff_order_for_a_blocked_customer_is_refused(staff_client, contact, plan):
    response = staff_client.post(
        reverse("admin:orders_order_add"),
        {
            "customer": contact.customer.pk,
            "product": plan.product_id,
            "plan": plan.pk,
            "domain_name": "kantor.com",
            "aup_confirmed": "on",
        },
    )
    assert response.status_code == 200
    assert (
        "cannot order yet" in response.content.decode()
        or "belum dapat" in response.content.decode()
    )
    assert not Order.objects.exists()
