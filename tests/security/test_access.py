"""Every customer-reachable object: another customer's id is a 404, a POST without a
CSRF token is a 403, and fields a customer may not set are ignored."""

import pytest
from django.test import Client
from django.urls import reverse

from customers.models import Customer, Role
from projects.models import CustomProject
from tests.factories import ContactFactory
from tests.security.conftest import OBJECT_KEYS, TICKETS, client_for, object_urls


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("key", OBJECT_KEYS)
def test_another_customers_object_is_404(world, stranger, tried, key, method):
    url = object_urls(world)[key]
    response = getattr(stranger, method)(url, {"reason": "x", "rating": 5}, follow=True)
    tried()
    # 405: the view does not take this method at all, whoever owns the id: no oracle.
    assert response.status_code in (404, 405), (key, method, response.status_code)
    if response.status_code == 405:
        assert client_for(world.contact.user).generic(method.upper(), url).status_code == 405


@pytest.mark.parametrize("key", OBJECT_KEYS)
def test_another_customers_id_is_404_for_every_role(world, terms, tried, key):
    url = object_urls(world)[key]
    for role in (Role.BILLING, Role.TECHNICAL):
        other = ContactFactory(role=role, accepted_terms=terms)
        tried()
        assert client_for(other.user).get(url).status_code in (403, 404, 405), (key, role)


POST_URLS = [
    ("customers:edit", None), ("customers:identity", None), ("customers:invite", None),
    ("customers:handover", None), ("projects:create", None), ("orders:checkout", None),
    ("account_change_password", None), ("account_logout", None), ("set_language", None),
]  # fmt: skip
if TICKETS:
    POST_URLS.append(("tickets:create", ["other"]))


@pytest.mark.parametrize(("name", "args"), POST_URLS)
def test_a_post_without_csrf_token_is_refused(contact, tried, name, args):
    client = Client(enforce_csrf_checks=True)
    client.force_login(contact.user)
    tried()
    assert client.post(reverse(name, args=args), {"x": "1"}).status_code == 403


@pytest.mark.parametrize("key", OBJECT_KEYS)
def test_a_post_on_an_own_object_without_csrf_token_is_refused(world, tried, key):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.contact.user)
    tried()
    assert client.post(object_urls(world)[key], {"reason": "x"}).status_code == 403


FORGED = {
    "is_staff": "on", "is_superuser": "on", "status": "verified", "customer": "",
    "role": Role.RESPONSIBLE, "kind": "company", "price": "1", "user": "", "id": "999",
}  # fmt: skip


def _forged(other_customer):
    return {**FORGED, "customer": str(other_customer.pk), "user": str(other_customer.pk)}


def test_forged_fields_on_the_account_are_ignored(contact, terms, tried):
    other = ContactFactory(accepted_terms=terms).customer
    customer = contact.customer
    data = {
        "name": "Budi Santoso", "address": customer.address, "city": customer.city,
        "postal_code": customer.postal_code, "phone": customer.phone, "npwp": customer.npwp,
        **_forged(other),
    }  # fmt: skip
    client_for(contact.user).post(reverse("customers:edit"), data)
    tried()
    customer.refresh_from_db()
    contact.user.refresh_from_db()
    assert customer.kind != "company" or Customer.objects.get(pk=customer.pk).kind == "company"
    assert not contact.user.is_staff and not contact.user.is_superuser
    assert customer.contacts.filter(user=contact.user).exists()
    other.refresh_from_db()
    assert other.name != "Budi Santoso"


def test_forged_fields_on_a_contact_are_ignored(world, terms, tried):
    other = ContactFactory(accepted_terms=terms).customer
    target = world.billing_contact
    data = {"full_name": "Sari", "phone": "081234567890", "position": "Finance", **_forged(other)}
    client_for(world.contact.user).post(reverse("customers:contact-edit", args=[target.pk]), data)
    tried()
    target.refresh_from_db()
    assert (target.customer_id, target.role) == (world.contact.customer_id, Role.BILLING)
    assert not target.user.is_staff


def test_forged_fields_on_a_project_request_are_ignored(contact, terms, tried):
    other = ContactFactory(accepted_terms=terms).customer
    data = {
        "title": "Toko Batik", "design_reference_url": "https://example.com/inspiration",
        "requirements": "An online shop with a catalogue of about 200 batik products.",
        "technology": "WordPress with WooCommerce on a Masternet hosting plan.",
        "workflow": "A visitor browses products, adds them to the cart and pays.",
        **_forged(other), "status": "quoted", "quoted_price": "1",
    }  # fmt: skip
    client_for(contact.user).post(reverse("projects:create"), data)
    tried()
    for project in CustomProject.objects.all():
        assert project.customer_id == contact.customer_id
        assert project.status != "quoted"


def test_forged_status_on_an_identity_upload_is_ignored(contact, tried):
    from customers.models import IdentityDocument
    from tests.factories import VALID_NIK, png_bytes, upload

    data = {
        "kind": "ktp", "number": VALID_NIK, "holder_name": "Budi Santoso",
        "scan": upload("ktp.png", png_bytes()), **FORGED, "status": "verified",
    }  # fmt: skip
    client_for(contact.user).post(reverse("customers:identity"), data)
    tried()
    assert not IdentityDocument.objects.filter(status=IdentityDocument.Status.VERIFIED).exists()


@pytest.mark.skipif(not TICKETS, reason="the tickets app is not installed")
def test_forged_fields_on_a_ticket_are_ignored(world, terms, tried):
    from tickets.models import Ticket

    other = ContactFactory(accepted_terms=terms).customer
    before = set(Ticket.objects.values_list("pk", flat=True))
    data = {
        "service": world.service.pk, "subject": "Website shows error 500 since this morning",
        "description": "Every page of the shop shows error 500 since eight this morning.",
        "error_message": "500", "steps_taken": "Cleared the browser cache.",
        "started_on": world.invoice.issue_date.isoformat(),
        **_forged(other), "status": "closed", "priority": "9", "assigned_to": "1",
    }  # fmt: skip
    client_for(world.contact.user).post(reverse("tickets:create", args=["other"]), data)
    tried()
    for ticket in Ticket.objects.exclude(pk__in=before):
        assert ticket.customer_id == world.contact.customer_id
        assert ticket.status != "closed" and ticket.priority != 9
