"""Fixtures for custom projects: a request, its quote, its acceptance.

The tests read English (the source language; the Indonesian catalogue for these
strings comes later): the people involved chose English, and so did their browsers.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from core import clock
from projects import services

REQUIREMENTS = "An online shop with a catalogue of about 200 batik products and a cart."
TECHNOLOGY = "WordPress with WooCommerce, hosted on a Masternet business hosting plan."
WORKFLOW = "A visitor browses products, adds them to the cart, pays by bank transfer."


def english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def client_for(contact) -> Client:
    client = english(Client())
    client.force_login(contact.user)
    return client


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def contact(contact):
    contact.user.language = "en"
    contact.user.save(update_fields=["language"])
    return contact


@pytest.fixture
def customer_client(customer_client):
    return english(customer_client)


@pytest.fixture
def staff_client(staff_client):
    return english(staff_client)


def request_data(**overrides) -> dict:
    return {
        "title": "Toko Batik Sari",
        "design_reference_url": "https://example.com/inspiration",
        "requirements": REQUIREMENTS,
        "technology": TECHNOLOGY,
        "workflow": WORKFLOW,
        **overrides,
    }


@pytest.fixture
def project(contact):
    data = request_data()
    return services.project_submit(customer=contact.customer, requested_by=contact.user, **data)


@pytest.fixture
def quoted(project, staff_user):
    return services.project_quote(
        project=project,
        staff=staff_user,
        price=Decimal("10000000"),
        delivery_date=clock.today() + timedelta(days=30),
        note="Includes 3 revisions of the design.",
    )


@pytest.fixture
def accepted(quoted, verified, bank):
    return services.project_accept_quote(
        project=quoted,
        accepted_by=verified.user,
        revision=quoted.quote_revision,
        aup_accepted=True,
        ip_address="198.51.100.7",
    )


@pytest.fixture
def started(accepted, staff_user):
    return services.project_start(project=accepted, staff=staff_user)
