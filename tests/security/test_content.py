"""Free text is rendered escaped for customers and staff; SQL-ish input in searches and
filters is answered as plain text or a 4xx, never a server error."""

import pytest
from django.contrib import admin
from django.urls import reverse

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
    if world.ticket is not None:
        world.ticket.subject = payload[:200]
        world.ticket.save()
        world.ticket.messages.update(body=payload)


def _customer_pages(world):
    pages = [
        reverse("customers:account"), reverse("customers:dashboard"),
        reverse("invoices:detail", args=[world.invoice.pk]), reverse("projects:list"),
        reverse("projects:detail", args=[world.project.pk]),
        reverse("orders:service", args=[world.service.pk]),
    ]  # fmt: skip
    if world.ticket is not None:
        pages += [reverse("tickets:list"), reverse("tickets:detail", args=[world.ticket.number])]
    return pages


ADMIN_OBJECTS = {
    "customer": lambda w: w.contact.customer,
    "contact": lambda w: w.billing_contact,
    "confirmation": lambda w: w.confirmation,
    "technical change": lambda w: w.technical_change,
    "project": lambda w: w.project,
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


SQLISH = [
    "' OR '1'='1",
    "1; DROP TABLE customers_user; --",
    "%' UNION SELECT password FROM customers_user --",
    '") OR 1=1 --',
    "\\' OR 1=1#",
    "1' AND SLEEP(5)--",
    "%%%_\\",
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
    assert payload not in response.content.decode() or "<" not in payload
