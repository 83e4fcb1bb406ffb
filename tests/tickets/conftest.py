"""Fixtures for tickets: services with and without warranty, and a helper that opens
a ticket through the service, as the customer would."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import ProductGroupFactory, ServiceFactory
from tickets import services

GOOD = {
    "subject": "Website shows error 500 since this morning",
    "description": (
        "Since 08:00 every page of tokosaya.co.id shows 'Internal Server Error'. "
        "Nothing was changed on our side yesterday."
    ),
    "error_message": "500 Internal Server Error",
    "steps_taken": "Cleared the browser cache and tried from another network.",
}


@pytest.fixture
def hosting(contact):
    """An active hosting service of the customer, inside its 30-day warranty."""
    return ServiceFactory(
        customer=contact.customer,
        product__name_id="Hosting Personal",
        product__name_en="Personal Hosting",
        product__warranty_days=30,
    )


@pytest.fixture
def expired_hosting(contact):
    """An active hosting service whose warranty ended five days ago (H7)."""
    return ServiceFactory(
        customer=contact.customer,
        product__name_id="Hosting Lama",
        product__name_en="Old Hosting",
        product__warranty_days=30,
        warranty_end=timezone.localdate() - timedelta(days=5),
    )


@pytest.fixture
def domain_service(contact):
    return ServiceFactory(
        customer=contact.customer,
        product__group=ProductGroupFactory(kind="domain"),
        product__name_id="Domain",
        product__support_department="domains",
        product__warranty_days=0,
        domain_name="tokosaya.id",
    )


@pytest.fixture
def open_ticket(contact):
    """Open a technical ticket through ``ticket_open`` with complete details."""

    def _open(service, *, by=None, category="technical", **overrides):
        fields = {**GOOD, "started_on": timezone.localdate(), **overrides}
        return services.ticket_open(
            customer=service.customer if service else contact.customer,
            opened_by=by or contact.user,
            category=category,
            service=service,
            **fields,
        )

    return _open
