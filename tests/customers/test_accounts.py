"""K7 and K8 from the customer's side: creating the account, the checklist,
identity uploads, roles, and other customers' data staying theirs."""

import pytest
from django.urls import reverse

from customers.models import Contact, Customer, IdentityDocument, Role
from customers.selectors import missing_steps
from tests.factories import (
    VALID_NIK,
    ContactFactory,
    IdentityDocumentFactory,
    UserFactory,
    pdf_bytes,
    png_bytes,
    upload,
)

SETUP = {
    "kind": "person",
    "name": "Siti Rahma",
    "address": "Jl. Braga 5",
    "city": "Bandung",
    "postal_code": "40111",
    "phone": "022 123 4567",
    "contact_name": "Siti Rahma",
    "contact_phone": "0813 2222 3333",
}


@pytest.fixture
def new_user_client(client, terms):
    user = UserFactory()
    user.terms_acceptances.create(terms=terms)
    client.force_login(user)
    return client, user


def test_k7_creating_the_account_makes_the_creator_responsible(new_user_client):
    client, user = new_user_client
    response = client.post(reverse("customers:setup"), SETUP)
    assert response.status_code == 302
    contact = Contact.objects.get(user=user)
    assert contact.role == Role.RESPONSIBLE
    assert contact.customer.name == "Siti Rahma"
    assert contact.history.first().history_user == user


def test_k7_company_without_npwp_is_refused_beside_the_field_keeping_input(new_user_client):
    client, _user = new_user_client
    response = client.post(reverse("customers:setup"), {**SETUP, "kind": "company"})
    assert response.status_code == 200
    assert "npwp" in response.context["form"].errors
    html = response.content.decode()
    assert 'value="Siti Rahma"' in html
    assert "Jl. Braga 5" in html
    assert not Customer.objects.exists()


def test_k7_bad_phone_is_explained(new_user_client):
    client, _user = new_user_client
    response = client.post(reverse("customers:setup"), {**SETUP, "contact_phone": "12"})
    assert "contact_phone" in response.context["form"].errors


def test_missing_steps_lead_to_ordering(new_user_client, terms):
    _client, user = new_user_client
    assert [s.code for s in missing_steps(user=user)] == ["account"]
    contact = ContactFactory(user=user, phone="")
    assert [s.code for s in missing_steps(user=user)] == ["responsible", "identity"]
    contact.phone = "0812 1111 2222"
    contact.save()
    doc = IdentityDocumentFactory(customer=contact.customer, uploaded_by=user)
    assert missing_steps(user=user) == []
    assert [s.code for s in missing_steps(user=user, require_verified_identity=True)] == [
        "identity_verified"
    ]
    doc.status = IdentityDocument.Status.VERIFIED
    doc.save()
    assert missing_steps(user=user, require_verified_identity=True) == []


def test_dashboard_checklist_links_each_step(customer_client, contact):
    response = customer_client.get(reverse("customers:dashboard"))
    html = response.content.decode()
    assert 'data-step="identity"' in html
    assert reverse("customers:identity") in html


@pytest.mark.parametrize("role", [Role.BILLING, Role.TECHNICAL])
def test_k7_limited_contacts_are_told_who_must_act_instead_of_a_link_to_a_403(
    client, contact, terms, role
):
    """K7, K8: only the responsible contact completes its details and uploads identity;
    the others' checklist names that person instead of linking to a page they get 403
    from."""
    contact.full_name, contact.phone = "Budi Santoso", ""
    contact.save()
    limited = ContactFactory(
        customer=contact.customer, role=role, accepted_terms=terms, user__language="en"
    )
    client.force_login(limited.user)
    html = client.get(reverse("customers:dashboard")).content.decode()
    assert 'data-step="responsible"' in html and 'data-step="identity"' in html
    assert reverse("customers:identity") not in html
    assert reverse("customers:contact-edit", args=[contact.pk]) not in html
    assert html.count("Your responsible contact must do this: Budi Santoso") == 2
    # The responsible contact still gets the links.
    steps = missing_steps(user=contact.user)
    assert {step.code: step.url for step in steps} == {
        "responsible": reverse("customers:contact-edit", args=[contact.pk]),
        "identity": reverse("customers:identity"),
    }


@pytest.mark.parametrize(
    ("kind", "npwp", "labels", "raw"),
    [
        ("foreigner", "", ["Paspor"], "PASSPORT"),
        ("company", "013000666091000", ["NPWP", "NIB (Nomor Induk Berusaha)"], "NIB:"),
    ],
)
def test_dashboard_names_documents_by_their_label(client, terms, kind, npwp, labels, raw):
    contact = ContactFactory(customer__kind=kind, customer__npwp=npwp, accepted_terms=terms)
    client.force_login(contact.user)
    html = client.get(reverse("customers:dashboard")).content.decode()
    for label in labels:
        assert f"{label}: belum diunggah" in html
    assert raw not in html


def test_company_needs_npwp_and_nib(terms):
    contact = ContactFactory(customer__kind="company", customer__npwp="013000666091000")
    steps = missing_steps(user=contact.user)
    assert "NPWP" in steps[-1].detail
    assert "NIB" in steps[-1].detail


def _upload_form(**overrides):
    return {
        "kind": "ktp",
        "number": "3273 0117 0885 0001",
        "holder_name": "Budi",
        "scan": upload("ktp.png", png_bytes()),
        **overrides,
    }


def test_k8_upload_stores_the_scan_privately(customer_client, customer, settings):
    response = customer_client.post(reverse("customers:identity"), _upload_form())
    assert response.status_code == 302
    document = IdentityDocument.objects.get(customer=customer)
    assert document.number == VALID_NIK
    assert document.status == IdentityDocument.Status.PENDING
    assert document.scan.path.startswith(str(settings.PRIVATE_MEDIA_ROOT))
    assert not document.scan.path.startswith(str(settings.MEDIA_ROOT))
    with pytest.raises(ValueError):
        document.scan.url  # noqa: B018 - private files have no URL


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"scan": upload("ktp.pdf", b"MZ\x90\x00" + b"\x00" * 300)}, "scan"),
        ({"scan": upload("ktp.png", png_bytes() + b"\x00" * (5 * 1024 * 1024 + 1))}, "scan"),
        ({"number": "3273013208850001"}, "number"),
    ],
)
def test_k8_bad_upload_is_refused_and_keeps_the_typed_fields(
    customer_client, customer, overrides, field
):
    response = customer_client.post(
        reverse("customers:identity"), _upload_form(holder_name="Budi Santoso", **overrides)
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert 'value="Budi Santoso"' in response.content.decode()
    assert not IdentityDocument.objects.exists()


def test_k8_owner_downloads_scan_as_attachment(customer_client, contact):
    document = IdentityDocumentFactory(
        customer=contact.customer,
        uploaded_by=contact.user,
        scan=upload("k.pdf", pdf_bytes()),
        scan_content_type="application/pdf",
        scan_extension=".pdf",
    )
    response = customer_client.get(reverse("customers:identity-file", args=[document.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_other_customers_objects_are_404(customer_client, terms):
    stranger = ContactFactory(accepted_terms=terms)
    other_doc = IdentityDocumentFactory(customer=stranger.customer, uploaded_by=stranger.user)
    assert (
        customer_client.get(reverse("customers:identity-file", args=[other_doc.pk])).status_code
        == 404
    )
    assert (
        customer_client.get(reverse("customers:contact-edit", args=[stranger.pk])).status_code
        == 404
    )
    response = customer_client.post(
        reverse("customers:contact-edit", args=[stranger.pk]),
        {"full_name": "Hacked", "phone": "0812 0000 0000"},
    )
    assert response.status_code == 404
    stranger.refresh_from_db()
    assert stranger.full_name != "Hacked"
    assert (
        customer_client.post(reverse("customers:contact-remove", args=[stranger.pk])).status_code
        == 404
    )


@pytest.mark.parametrize("role", [Role.BILLING, Role.TECHNICAL])
def test_k7_limited_roles_cannot_administer(client, customer, terms, role):
    limited = ContactFactory(customer=customer, role=role, accepted_terms=terms)
    client.force_login(limited.user)
    assert client.get(reverse("customers:account")).status_code == 200
    for name in ("customers:identity", "customers:invite", "customers:handover", "customers:edit"):
        assert client.get(reverse(name)).status_code == 403, name
    responsible = customer.contacts.get(role=Role.RESPONSIBLE)
    assert client.get(reverse("customers:contact-edit", args=[responsible.pk])).status_code == 403
    assert client.get(reverse("customers:contact-edit", args=[limited.pk])).status_code == 200


def test_k7_invitation_joins_with_the_invited_role(
    customer_client, customer, client, terms, django_capture_on_commit_callbacks
):
    from django.core import mail

    with django_capture_on_commit_callbacks(execute=True):
        response = customer_client.post(
            reverse("customers:invite"), {"email": "Tech@Example.co.id", "role": "technical"}
        )
    assert response.status_code == 302
    invitation = customer.invitations.get()
    assert invitation.email == "tech@example.co.id"
    assert invitation.token in mail.outbox[-1].body

    invited = UserFactory(email="tech@example.co.id")
    invited.terms_acceptances.create(terms=terms)
    client.force_login(invited)
    url = reverse("customers:invitation-accept", args=[invitation.token])
    assert client.post(url, {"full_name": "Teknisi"}).status_code == 302
    joined = Contact.objects.get(user=invited)
    assert (joined.customer, joined.role) == (customer, Role.TECHNICAL)


def test_k7_invitation_for_someone_else_is_refused(customer_client, customer, client, terms):
    customer_client.post(
        reverse("customers:invite"), {"email": "a@example.co.id", "role": "billing"}
    )
    invitation = customer.invitations.get()
    intruder = UserFactory()
    intruder.terms_acceptances.create(terms=terms)
    client.force_login(intruder)
    url = reverse("customers:invitation-accept", args=[invitation.token])
    response = client.post(url, {"full_name": "Intruder"})
    assert response.status_code == 200
    assert "a@example.co.id" in response.content.decode()
    assert not Contact.objects.filter(user=intruder).exists()


def test_k7_handover_moves_the_role_and_is_audited(customer_client, contact, customer, terms):
    other = ContactFactory(customer=customer, role=Role.BILLING, accepted_terms=terms)
    response = customer_client.post(
        reverse("customers:handover"),
        {"to_contact": other.pk, "previous_role": "technical", "confirm": "on"},
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    other.refresh_from_db()
    assert (contact.role, other.role) == (Role.TECHNICAL, Role.RESPONSIBLE)
    record = other.history.first()
    assert record.history_user == contact.user
    assert "handed" in record.history_change_reason


@pytest.mark.parametrize("rows", [1, 50])
def test_account_pages_cost_fixed_queries(
    customer_client, customer, contact, terms, rows, django_assert_max_num_queries
):
    for _ in range(rows - 1):
        ContactFactory(customer=customer, role=Role.BILLING)
    for _ in range(rows):
        IdentityDocumentFactory(customer=customer, uploaded_by=contact.user)
    for name in ("customers:dashboard", "customers:account", "customers:identity"):
        with django_assert_max_num_queries(12):
            assert customer_client.get(reverse(name)).status_code == 200
