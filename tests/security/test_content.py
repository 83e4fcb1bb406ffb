"""Free text is rendered escaped for customers and staff; SQL-ish input in searches and
filters is answered as plain text or a 4xx, never a server error."""

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from customers.models import DataDeletionRequest
from tests.factories import TermsVersionFactory
from tests.security.conftest import TICKETS, XSS, client_for

PAYLOADS = [
    XSS,
    '"><svg onload=alert(1)>',
    "javascript:alert(document.cookie)",
    "{{ request.user.password }}{% debug %}",
]


def _poison(world, payload):
    """Every free-text field a customer can fill, set to the payload."""
    customer = world.contact.customer
    customer.name = customer.address = payload[:200]
    customer.save()
    world.billing_contact.full_name = payload[:200]
    world.billing_contact.save()
    world.confirmation.sender_account_name = payload[:100]
    world.confirmation.note = payload
    world.confirmation.save()
    world.technical_change.details = payload
    world.technical_change.save()
    project = world.project
    project.title = payload[:200]
    project.requirements = project.technology = project.workflow = payload
    project.save()
    document = world.document  # K8: what the customer typed about the document
    document.holder_name = payload[:200]
    document.number = payload[:20]
    document.save()
    world.deferral.reason = payload  # K4
    world.deferral.save()
    world.service_change.note = payload  # K5
    world.service_change.addon_description = payload[:200]
    world.service_change.save()
    DataDeletionRequest.objects.create(  # UU PDP: the message to staff
        requested_by=world.contact.user, customer=customer, message=payload,
        scope=DataDeletionRequest.Scope.ACCOUNT,
    )  # fmt: skip
    if world.ticket is not None:
        world.ticket.subject = payload[:200]
        world.ticket.save()
        # The opening message, both sides' replies and the internal note.
        assert world.ticket.messages.count() >= 4
        world.ticket.messages.update(body=payload)


def _customer_pages(world):
    pages = [
        reverse("customers:account"), reverse("customers:dashboard"),
        reverse("invoices:detail", args=[world.invoice.pk]), reverse("projects:list"),
        reverse("projects:detail", args=[world.project.pk]),
        reverse("orders:service", args=[world.service.pk]),
        reverse("customers:identity"), reverse("customers:personal-data"),
        reverse("customers:personal-data-delete"),
    ]  # fmt: skip
    if world.ticket is not None:
        pages += [reverse("tickets:list"), reverse("tickets:detail", args=[world.ticket.number])]
    return pages


ADMIN_OBJECTS = {
    "customer": lambda w: w.contact.customer,
    "contact": lambda w: w.billing_contact,
    "identity document": lambda w: w.document,
    "confirmation": lambda w: w.confirmation,
    "deferral": lambda w: w.deferral,
    "service change": lambda w: w.service_change,
    "technical change": lambda w: w.technical_change,
    "project": lambda w: w.project,
    "deletion request": lambda w: DataDeletionRequest.objects.get(requested_by=w.contact.user),
}
if TICKETS:
    ADMIN_OBJECTS["ticket"] = lambda w: w.ticket


def _admin_pages(obj):
    opts = obj._meta
    return [
        reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]),
        reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
    ]


def _assert_inert(html: str, payload: str) -> None:
    if "<" in payload:
        assert payload not in html
        for raw in ("<script>alert(", "<svg onload", "<img src=x"):
            assert raw not in html


@pytest.mark.parametrize("payload", PAYLOADS)
def test_free_text_is_escaped_on_customer_pages(world, payload, tried):
    _poison(world, payload)
    client = client_for(world.contact.user)
    for url in _customer_pages(world):
        response = client.get(url)
        tried()
        assert response.status_code == 200, url
        _assert_inert(response.content.decode(), payload)
        if payload.startswith("{{"):
            assert world.contact.user.password not in response.content.decode()


@pytest.mark.parametrize(
    "kind",
    ADMIN_OBJECTS,
)
@pytest.mark.parametrize("payload", PAYLOADS)
def test_free_text_is_escaped_on_admin_pages(world, staff_client, payload, kind, tried):
    _poison(world, payload)
    for url in _admin_pages(ADMIN_OBJECTS[kind](world)):
        response = staff_client.get(url)
        tried()
        assert response.status_code == 200, url
        _assert_inert(response.content.decode(), payload)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_k1_terms_text_is_escaped_for_customers_and_staff(
    world, staff_client, terms, payload, tried
):
    """K1: the terms page, the acceptance page of a new version (text and what changed),
    the sign-up page, and the terms admin (a published version shows read-only)."""
    newer = TermsVersionFactory(
        text_id=payload, text_en=payload, summary_id=payload, summary_en=payload
    )
    customer = client_for(world.contact.user)
    pages = [
        (customer, reverse("customers:terms")),
        (customer, reverse("customers:terms-accept")),
        (Client(), reverse("account_signup")),
        (staff_client, reverse("admin:customers_termsversion_change", args=[newer.pk])),
        (staff_client, reverse("admin:customers_termsversion_changelist")),
    ]
    for client, url in pages:
        response = client.get(url)
        tried()
        assert response.status_code == 200, url
        _assert_inert(response.content.decode(), payload)


@pytest.mark.skipif(not TICKETS, reason="the tickets app is not installed")
@pytest.mark.parametrize("payload", PAYLOADS)
def test_k6_a_reply_typed_with_markup_is_escaped_for_both_sides(
    world, staff_client, payload, tried
):
    """K6: a reply posted through the customer's form, then read by both sides."""
    customer = client_for(world.contact.user)
    number = world.ticket.number
    response = customer.post(reverse("tickets:detail", args=[number]), {"body": payload * 3})
    assert response.status_code == 302
    assert world.ticket.messages.filter(body__startswith=payload).exists()
    for client, url in [
        (customer, reverse("tickets:detail", args=[number])),
        (staff_client, reverse("admin:tickets_ticket_change", args=[world.ticket.pk])),
    ]:
        response = client.get(url)
        tried()
        assert response.status_code == 200, url
        _assert_inert(response.content.decode(), payload)


SQLISH = [
    "' OR '1'='1",
    "1; DROP TABLE customers_user; --",
    "%' UNION SELECT password FROM customers_user --",
    '") OR 1=1 --',
    "\\' OR 1=1#",
    "1' AND SLEEP(5)--",
    "%%%_\\",
    "<script>alert(1)</script>' OR '1'='1",
    '"><img src=x onerror=alert(1)> UNION SELECT email FROM customers_user --',
]


def _searchable_changelists():
    for model, model_admin in admin.site._registry.items():
        if model_admin.search_fields:
            opts = model._meta
            yield reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")


@pytest.mark.parametrize("payload", SQLISH)
def test_sqlish_admin_search_is_plain_text(staff_client, payload, tried):
    urls = list(_searchable_changelists())
    assert urls
    for url in urls:
        response = staff_client.get(url, {"q": payload})
        tried()
        assert response.status_code in (200, 302, 400), (url, response.status_code)


CUSTOMER_LISTS = ["invoices:list", "orders:services", "projects:list", "orders:catalogue"]
if TICKETS:
    CUSTOMER_LISTS.append("tickets:list")


@pytest.mark.parametrize("payload", SQLISH)
@pytest.mark.parametrize("name", CUSTOMER_LISTS)
def test_sqlish_filters_on_customer_lists_are_answered_calmly(world, payload, name, tried):
    client = client_for(world.contact.user)
    response = client.get(
        reverse(name), {"q": payload, "status": payload, "page": payload, "o": payload}
    )
    tried()
    assert response.status_code in (200, 400, 404), (name, response.status_code)
    # Echoed back (a search box) it is escaped: markup and quotes never come back raw.
    if any(char in payload for char in "<>\"'"):
        assert payload not in response.content.decode()
