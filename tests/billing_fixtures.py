"""Fixtures for ordering and billing: a customer who may order, and a catalogue."""

import pytest

from customers.models import IdentityDocument
from orders.cart import CartItem
from orders.services import order_place
from tests.factories import (
    BankAccountFactory,
    IdentityDocumentFactory,
    PlanFactory,
    ProductGroupFactory,
    TldPriceFactory,
)


@pytest.fixture
def verified(contact):
    """The customer's KTP is uploaded and verified: nothing blocks ordering."""
    IdentityDocumentFactory(
        customer=contact.customer,
        uploaded_by=contact.user,
        status=IdentityDocument.Status.VERIFIED,
    )
    return contact


@pytest.fixture
def plan(db):
    return PlanFactory(product__needs_domain=True)


@pytest.fixture
def bank(db):
    return BankAccountFactory()


@pytest.fixture
def domain_product(db):
    from tests.factories import ProductFactory

    TldPriceFactory(tld=".com")
    TldPriceFactory(tld=".co.id", register_price="300000", requires_company_documents=True)
    return ProductFactory(group=ProductGroupFactory(kind="domain"), slug="domain", name_id="Domain")


@pytest.fixture
def place(verified, plan, bank):
    """Place an order for the verified customer: returns its invoice."""

    def _place(*items, contact=verified):
        items = items or (
            CartItem(product_id=plan.product_id, plan_id=plan.pk, domain_name="toko.com"),
        )
        order = order_place(
            customer=contact.customer,
            placed_by=contact.user,
            items=list(items),
            aup_accepted=True,
            ip_address="198.51.100.4",
        )
        return order.invoices.get()

    return _place
