"""Every customer-reachable object: another customer's id is a 404, a POST without a
CSRF token is a 403, and fields a customer may not set are ignored."""

import pytest
from django.test import Client
from django.urls import reverse

from customers.models import Role
from projects.models import CustomProject
from tests.factories import ContactFactory
from tests.security.conftest import (
    OBJECT_KEYS,
    TICKETS,
    client_for,
    deferral_date,
    object_urls,
    open_period,
)


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
    kind = customer.kind
    assert kind != "company"  # else the forged kind would prove nothing
    response = client_for(contact.user).post(reverse("customers:edit"), data)
    tried()
    assert response.status_code == 302, response.context and response.context["form"].errors
    customer.refresh_from_db()
    contact.user.refresh_from_db()
    assert customer.name == "Budi Santoso"  # the field the customer may set was saved
    assert customer.kind == kind
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
    before = set(CustomProject.objects.values_list("pk", flat=True))
    client_for(contact.user).post(reverse("projects:create"), data)
    tried()
    project = CustomProject.objects.exclude(pk__in=before).get()  # exactly one new request
    assert project.customer_id == contact.customer_id
    assert project.status != "quoted"
    assert project.quoted_price is None


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
        "assignee": "1",
    }  # fmt: skip
    client_for(world.contact.user).post(reverse("tickets:create", args=["other"]), data)
    tried()
    ticket = Ticket.objects.exclude(pk__in=before).get()  # exactly one new ticket
    assert ticket.customer_id == world.contact.customer_id
    assert ticket.status != "closed" and ticket.priority != 9
    assert ticket.assignee_id is None


# --- the policy's requests (K4, K5, H4, H5), the service (H1) and attachments (K10) ----


def _new_row(model, before: set):
    """Exactly one row was created by the request under test."""
    return model.objects.exclude(pk__in=before).get()


def _pks(model) -> set:
    return set(model.objects.values_list("pk", flat=True))


def _posted_request(world, user, url_name: str, model, data: dict, tried):
    """POST a request about ``world.service`` as ``user``: exactly one row is created,
    owned by the service's customer and requested by ``user``, whatever was forged."""
    before = _pks(model)
    response = client_for(user).post(reverse(url_name, args=[world.service.pk]), data)
    tried()
    context = response.context
    assert response.status_code == 302, context and context["form"].errors
    row = _new_row(model, before)
    assert (row.customer_id, row.service_id, row.requested_by_id) == (
        world.contact.customer_id, world.service.pk, user.pk,
    )  # fmt: skip
    return row


STAFF_ONLY = {
    "status": "approved", "decided_at": "2026-01-01T00:00", "decision_reason": "forged",
    "override_reason": "forged", "effective_immediately": "on", "addon_price": "1",
    "work": "done", "done_at": "2026-01-01T00:00", "staff_note": "forged",
    "proven_by_identity": "on", "deadline": "2099-12-31", "issue_date": "2099-12-01",
    "from_staff": "on", "internal": "on",
}  # fmt: skip


def _forged_staff(other_customer, staff) -> dict:
    ids = {name: str(staff.pk) for name in ("decided_by", "done_by", "author", "requested_by")}
    return {**_forged(other_customer), **STAFF_ONLY, **ids}


def test_k4_forged_fields_on_a_deferral_request_are_ignored(world, terms, staff_user, tried):
    """K4: a customer's deferral request waits for staff, whatever else is posted."""
    from policy.models import Decision, PaymentDeferral

    other = ContactFactory(accepted_terms=terms).customer
    period = open_period(world.service, later=1)
    data = {
        "reason": "Our client pays us late this quarter.",
        "proposed_due_date": deferral_date(period).isoformat(),
        "period_start": period.start.isoformat(),
        **_forged_staff(other, staff_user), "applied_to": str(world.invoice.pk),
    }  # fmt: skip
    deferral = _posted_request(
        world, world.contact.user, "policy:deferral", PaymentDeferral, data, tried
    )
    assert (deferral.status, deferral.decided_by_id, deferral.applied_to_id) == (
        Decision.PENDING, None, None,
    )  # fmt: skip
    assert (deferral.override_reason, deferral.decision_reason) == ("", "")
    assert (deferral.deadline, deferral.issue_date) == (period.deadline, period.issue_date)


def test_k5_forged_fields_on_a_service_change_request_are_ignored(world, terms, staff_user, tried):
    """K5: an add-on request gets no price, no plan, no mid-period application and no
    decision from the customer's side."""
    from policy.models import Decision, ServiceChange
    from tests.factories import PlanFactory

    other = ContactFactory(accepted_terms=terms).customer
    dearer = PlanFactory(product=world.service.product, price="900000", name="10 GB")
    period = open_period(world.service, later=1)
    data = {
        **_forged_staff(other, staff_user), "new_plan": str(dearer.pk),
        "kind": "addon", "addon_description": "Extra 5 GB of e-mail storage",
        "note": "From this period on.", "period_start": period.start.isoformat(),
    }  # fmt: skip
    change = _posted_request(world, world.contact.user, "policy:change", ServiceChange, data, tried)
    assert (change.kind, change.new_plan_id, change.addon_price) == ("addon", None, None)
    assert (change.status, change.decided_by_id, change.effective_immediately) == (
        Decision.PENDING, None, False,
    )  # fmt: skip
    assert change.override_reason == "" and change.period_start == period.start


def test_h4_forged_fields_on_a_technical_change_request_are_ignored(
    world, terms, staff_user, tried
):
    """H4: a technical contact's request with a letter waits for staff to check the
    letter: not approved, not done, not "proven by identity", its letter's type the one
    its content shows, whatever else is posted."""
    from policy.models import Decision, TechnicalChange
    from tests.factories import pdf_bytes, upload

    technical = ContactFactory(
        customer=world.contact.customer, role=Role.TECHNICAL, accepted_terms=terms
    )
    other = ContactFactory(accepted_terms=terms).customer
    data = {
        **_forged_staff(other, staff_user), "letter_content_type": "text/html",
        "letter_extension": ".html", "kind": "dns", "details": "A record shop to 203.0.113.20",
        "letter": upload("kuasa.pdf", pdf_bytes()),
    }  # fmt: skip
    change = _posted_request(
        world, technical.user, "policy:technical", TechnicalChange, data, tried
    )
    assert (change.status, change.work, change.decided_by_id, change.done_by_id) == (
        Decision.PENDING, TechnicalChange.Work.OPEN, None, None,
    )  # fmt: skip
    assert (change.proven_by_identity, change.decision_reason) == (False, "")
    assert (change.letter_content_type, change.letter_extension) == ("application/pdf", ".pdf")


def test_h4_a_forged_proof_of_identity_does_not_replace_the_letter(world, terms, tried):
    """H4: a technical contact (no verified identity of their own) cannot post
    ``proven_by_identity``: without a letter nothing is requested."""
    from policy.models import TechnicalChange

    technical = ContactFactory(
        customer=world.contact.customer, role=Role.TECHNICAL, accepted_terms=terms
    )
    before = _pks(TechnicalChange)
    response = client_for(technical.user).post(
        reverse("policy:technical", args=[world.service.pk]),
        {"kind": "dns", "details": "A record shop to 203.0.113.20", "proven_by_identity": "on"},
    )
    tried()
    assert response.status_code == 200
    assert _pks(TechnicalChange) == before


def test_h5_forged_fields_on_a_migration_request_are_ignored(world, terms, staff_user, tried):
    """H5: the request starts as requested, without a staff note, for this service."""
    from policy.models import Migration

    product = world.service.product
    product.free_migration = True
    product.save()
    other = ContactFactory(accepted_terms=terms).customer
    data = {
        "source_host": "Hosting Lama", "control_panel": "cpanel", "domains": "toko.com",
        "move_files": "on", "preferred_window": "Weekend nights",
        **_forged_staff(other, staff_user), "status": "done",
    }  # fmt: skip
    migration = _posted_request(
        world, world.contact.user, "policy:migration", Migration, data, tried
    )
    assert (migration.status, migration.staff_note) == (Migration.Status.REQUESTED, "")


def test_h1_a_service_takes_no_posted_fields(world, terms, staff_user, tried):
    """H1: the service page only shows; a POST of its fields is refused, nothing moves."""
    from django.forms.models import model_to_dict

    from orders.models import Service

    other = ContactFactory(accepted_terms=terms).customer
    service = world.service
    before = model_to_dict(Service.objects.get(pk=service.pk))
    response = client_for(world.contact.user).post(
        reverse("orders:service", args=[service.pk]),
        {
            **_forged_staff(other, staff_user), "status": "active", "recurring_price": "1",
            "plan": "", "warranty_end": "2099-12-31", "period_end": "2099-12-31",
            "next_due_date": "2099-12-31", "suspended_for": "",
        },
    )  # fmt: skip
    tried()
    assert response.status_code == 405
    assert model_to_dict(Service.objects.get(pk=service.pk)) == before


@pytest.mark.skipif(not TICKETS, reason="the tickets app is not installed")
def test_k10_forged_fields_on_a_reply_and_its_attachment_are_ignored(
    world, terms, staff_user, tried
):
    """K10: a customer's reply is never an internal or staff message, lands on its own
    ticket, and its attachment's type is the one its content shows."""
    from tests.factories import png_bytes, upload
    from tickets.models import Attachment, Message

    other_contact = ContactFactory(accepted_terms=terms)
    before_messages, before_files = _pks(Message), _pks(Attachment)
    data = {
        "body": "Here is a second screenshot of the error page.",
        "attachments": upload("layar-2.png", png_bytes()),
        **_forged_staff(other_contact.customer, staff_user),
        "ticket": str(world.ticket.pk + 1000), "message": str(world.ticket.messages.first().pk),
        "content_type": "text/html", "extension": ".html", "original_name": "x.html",
        "size": "1",
    }  # fmt: skip
    response = client_for(world.contact.user).post(
        reverse("tickets:detail", args=[world.ticket.number]), data
    )
    tried()
    assert response.status_code == 302
    message = _new_row(Message, before_messages)
    assert (message.ticket_id, message.author_id) == (world.ticket.pk, world.contact.user_id)
    assert (message.internal, message.from_staff) == (False, False)
    attachment = _new_row(Attachment, before_files)
    assert attachment.message_id == message.pk
    assert (attachment.content_type, attachment.extension) == ("image/png", ".png")
    assert attachment.original_name == "layar-2.png" and attachment.size == len(png_bytes())
