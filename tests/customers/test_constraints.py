"""K7: exactly one responsible contact per customer, held by the database."""

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone, translation

from customers import services
from customers.models import Contact, Customer, Invitation, Role
from tests.concurrency import at_once, until_another_waits_on_a_lock
from tests.factories import ContactFactory, UserFactory


def test_k7_database_refuses_a_second_responsible_contact(contact):
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(
            customer=contact.customer,
            user=UserFactory(),
            role=Role.RESPONSIBLE,
            full_name="Second",
        )


def test_k7_other_roles_are_unlimited(contact):
    for _ in range(3):
        ContactFactory(customer=contact.customer, role=Role.BILLING)
    assert contact.customer.contacts.count() == 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_k7_two_racing_inserts_leave_one_responsible_contact():
    customer = ContactFactory(role=Role.BILLING).customer
    users = [UserFactory(), UserFactory()]

    def insert(user):
        def work():
            with transaction.atomic():
                return Contact.objects.create(
                    customer=customer, user=user, role=Role.RESPONSIBLE, full_name=user.email
                )

        return work

    outcomes = at_once(*[insert(user) for user in users])
    assert sum(isinstance(o, Contact) for o in outcomes) == 1
    assert sum(isinstance(o, IntegrityError) for o in outcomes) == 1
    assert customer.contacts.filter(role=Role.RESPONSIBLE).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_k7_two_racing_handovers_leave_one_responsible_contact():
    responsible = ContactFactory()
    customer = responsible.customer
    candidates = [ContactFactory(customer=customer, role=Role.BILLING) for _ in range(2)]

    def handover(target):
        return lambda: services.responsible_handover(
            customer=customer,
            to_contact=target,
            previous_role=Role.BILLING,
            actor=responsible.user,
        )

    outcomes = at_once(*[handover(target) for target in candidates])
    assert customer.contacts.filter(role=Role.RESPONSIBLE).count() == 1
    # The first handover wins; the second finds its actor no longer responsible.
    assert sum(isinstance(o, Contact) for o in outcomes) == 1


def test_k7_removing_a_contact_that_became_responsible_meanwhile_is_refused(contact):
    """K7: the removal reads the role in the database, under the customer's lock, not
    from the page's (stale) object: a contact handed the role meanwhile stays."""
    customer = contact.customer
    billing = ContactFactory(customer=customer, role=Role.BILLING)
    stale = Contact.objects.get(pk=billing.pk)  # what the remove button was drawn from
    services.responsible_handover(
        customer=customer, to_contact=billing, previous_role=Role.BILLING, actor=contact.user
    )
    with pytest.raises(ValidationError):
        services.contact_remove(contact=stale, actor=billing.user)
    assert Contact.objects.filter(pk=billing.pk, role=Role.RESPONSIBLE).exists()
    assert customer.contacts.filter(role=Role.RESPONSIBLE).count() == 1


def test_k7_only_the_current_responsible_contact_removes(contact):
    """K7: a former responsible contact (the role handed over meanwhile) cannot remove."""
    customer = contact.customer
    successor = ContactFactory(customer=customer, role=Role.BILLING)
    other = ContactFactory(customer=customer, role=Role.TECHNICAL)
    services.responsible_handover(
        customer=customer, to_contact=successor, previous_role=Role.BILLING, actor=contact.user
    )
    with pytest.raises(PermissionDenied):
        services.contact_remove(contact=other, actor=contact.user)
    assert Contact.objects.filter(pk=other.pk).exists()
    services.contact_remove(contact=other, actor=successor.user)
    assert not Contact.objects.filter(pk=other.pk).exists()
    record = other.history.latest()
    assert (record.history_type, record.history_user) == ("-", successor.user)


def _insert_contact_racing(user, work):
    """Another request inserts ``user``'s contact and commits only once ``work`` (run
    meanwhile in its own connection) waits on the unique index: ``work``'s own check
    saw nothing, so only the database can stop it."""
    inserted, outcome = threading.Event(), []

    def other_request():
        try:
            with transaction.atomic():
                ContactFactory(user=user, role=Role.RESPONSIBLE)
                inserted.set()
                until_another_waits_on_a_lock()
        finally:
            inserted.set()
            connection.close()

    def racer():
        try:
            inserted.wait(10)
            with translation.override("en"):
                outcome.append(work())
        except Exception as exc:  # noqa: BLE001 - the outcome is what we assert on
            outcome.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=other_request), threading.Thread(target=racer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcome[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_k7_a_racing_second_account_for_one_user_is_a_form_error_not_a_500():
    """K7: two account set-ups of one user at once: the loser gets the form's message."""
    user = UserFactory()
    outcome = _insert_contact_racing(
        user,
        lambda: services.customer_create(
            user=user,
            kind="person",
            name="Siti Rahma",
            address="Jl. Braga 5",
            city="Bandung",
            postal_code="40111",
            phone="022 123 4567",
            contact_name="Siti Rahma",
            contact_phone="0813 2222 3333",
        ),  # fmt: skip
    )
    assert isinstance(outcome, ValidationError), outcome
    assert "already belong" in " ".join(outcome.messages)
    assert Contact.objects.filter(user=user).count() == 1
    assert not Customer.objects.filter(name="Siti Rahma").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_k7_a_racing_invitation_acceptance_is_a_form_error_not_a_500():
    """K7: accepting an invitation while the same user joins elsewhere: a message."""
    inviter = ContactFactory()
    user = UserFactory()
    invitation = Invitation.objects.create(
        customer=inviter.customer, email=user.email, role=Role.BILLING, invited_by=inviter.user
    )
    outcome = _insert_contact_racing(
        user,
        lambda: services.invitation_accept(invitation=invitation, user=user, full_name="Sari"),
    )
    assert isinstance(outcome, ValidationError), outcome
    assert "already belong" in " ".join(outcome.messages)
    assert Contact.objects.filter(user=user).count() == 1
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_k7_an_expired_invitation_is_not_offered(client, terms):
    """K7: the dashboard and the set-up page offer only invitations still open."""
    inviter = ContactFactory()
    user = UserFactory()
    user.terms_acceptances.create(terms=terms)
    expired = Invitation.objects.create(
        customer=inviter.customer, email=user.email, role=Role.BILLING, invited_by=inviter.user,
        expires_at=timezone.now() - timedelta(minutes=1),
    )  # fmt: skip
    client.force_login(user)
    for name in ("customers:dashboard", "customers:setup"):
        html = client.get(reverse(name)).content.decode()
        assert expired.token not in html, name
    expired.expires_at = timezone.now() + timedelta(days=1)
    expired.save()
    assert expired.token in client.get(reverse("customers:dashboard")).content.decode()


def test_k7_an_expired_invitation_can_be_sent_again(customer_client, contact):
    """K7: an expired invitation no longer blocks the address (nor shows as open)."""
    customer = contact.customer
    expired = Invitation.objects.create(
        customer=customer, email="sari@example.co.id", role=Role.BILLING,
        invited_by=contact.user, expires_at=timezone.now() - timedelta(minutes=1),
    )  # fmt: skip
    assert (
        "sari@example.co.id"
        not in customer_client.get(reverse("customers:account")).content.decode()
    )
    response = customer_client.post(
        reverse("customers:invite"), {"email": "sari@example.co.id", "role": "technical"}
    )
    assert response.status_code == 302
    invitation = customer.invitations.get(replaced_at__isnull=True)
    assert invitation.pk != expired.pk and invitation.is_open()
    assert invitation.role == Role.TECHNICAL
    assert (
        "sari@example.co.id" in customer_client.get(reverse("customers:account")).content.decode()
    )


def test_k7_editing_a_contact_made_responsible_meanwhile_keeps_the_role(contact):
    """K7: the edit form was drawn before a handover made this contact responsible;
    saving it writes the edited details only, so the account keeps its responsible
    contact, and the history row of the edit shows the role the contact really has."""
    customer = contact.customer
    billing = ContactFactory(customer=customer, role=Role.BILLING)
    stale = Contact.objects.get(pk=billing.pk)  # what the edit form was drawn from
    services.responsible_handover(
        customer=customer, to_contact=billing, previous_role=Role.BILLING, actor=contact.user
    )
    services.contact_update(
        contact=stale, actor=billing.user, full_name="Sari Dewi", phone="0812 1111 2222",
        position="Finance",
    )  # fmt: skip
    billing.refresh_from_db()
    assert (billing.role, billing.full_name, billing.phone) == (
        Role.RESPONSIBLE,
        "Sari Dewi",
        "0812 1111 2222",
    )
    assert customer.contacts.filter(role=Role.RESPONSIBLE).get() == billing
    record = billing.history.latest()
    assert (record.history_change_reason, record.role) == (
        "contact details updated",
        Role.RESPONSIBLE,
    )


def test_k7_a_former_responsible_contact_no_longer_edits_others(contact):
    """K7: who may edit is decided under the lock too: the role was handed over since
    the page was drawn, so editing another contact is refused."""
    customer = contact.customer
    successor = ContactFactory(customer=customer, role=Role.BILLING)
    other = ContactFactory(customer=customer, role=Role.TECHNICAL, full_name="Budi")
    services.responsible_handover(
        customer=customer, to_contact=successor, previous_role=Role.BILLING, actor=contact.user
    )
    with pytest.raises(PermissionDenied):
        services.contact_update(contact=other, actor=contact.user, full_name="Renamed")
    other.refresh_from_db()
    assert other.full_name == "Budi"
    services.contact_update(contact=other, actor=successor.user, full_name="Budi Santoso")
    other.refresh_from_db()
    assert other.full_name == "Budi Santoso"


def test_k7_the_role_is_not_a_detail_to_edit(contact):
    with pytest.raises(TypeError):
        services.contact_update(contact=contact, actor=contact.user, role=Role.BILLING)
    contact.refresh_from_db()
    assert contact.role == Role.RESPONSIBLE


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_k7_an_edit_racing_a_handover_leaves_one_responsible_contact():
    """K7: a handover to a billing contact is committing while that contact saves their
    details from a form drawn before it: the edit waits for the handover (the customer's
    lock), then writes only the details. The account still has its responsible contact."""
    responsible = ContactFactory()
    customer = responsible.customer
    billing = ContactFactory(customer=customer, role=Role.BILLING)
    stale = Contact.objects.get(pk=billing.pk)
    handed, outcome = threading.Event(), []

    def handover():
        try:
            with transaction.atomic():
                services.responsible_handover(
                    customer=customer, to_contact=billing, previous_role=Role.TECHNICAL,
                    actor=responsible.user,
                )  # fmt: skip
                handed.set()
                # Commit only once the edit waits on a lock this transaction holds.
                until_another_waits_on_a_lock()
        finally:
            handed.set()
            connection.close()

    def edit():
        try:
            handed.wait(10)
            outcome.append(
                services.contact_update(
                    contact=stale, actor=billing.user, full_name="Sari", phone="0812 3333 4444"
                )
            )
        except Exception as exc:  # noqa: BLE001 - the outcome is what we assert on
            outcome.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=handover), threading.Thread(target=edit)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert isinstance(outcome[0], Contact), outcome
    assert customer.contacts.filter(role=Role.RESPONSIBLE).count() == 1
    billing.refresh_from_db()
    assert (billing.role, billing.phone) == (Role.RESPONSIBLE, "0812 3333 4444")


def test_k7_a_second_responsible_contact_is_told_as_such_not_as_already_belonging(contact):
    """K7: the insert is refused by the one-responsible-contact constraint, not by the
    user's one-to-one column: the message says which."""
    second = Contact(
        customer=contact.customer, user=UserFactory(), role=Role.RESPONSIBLE, full_name="Dua"
    )
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services._save_contact(second)
    assert refused.value.messages == ["This customer already has a responsible contact."]


def test_k7_another_integrity_error_is_not_reported_as_already_belonging(contact, monkeypatch):
    """K7: only the constraints the services know are answered with a message; anything
    else stays an error instead of telling a person something untrue."""

    def broken_save(self, *args, **kwargs):
        raise IntegrityError("null value in column violates not-null constraint")

    monkeypatch.setattr(Contact, "save", broken_save)
    invitation = Invitation.objects.create(
        customer=contact.customer, email="sari@example.co.id", role=Role.BILLING,
        invited_by=contact.user,
    )  # fmt: skip
    user = UserFactory(email="sari@example.co.id")
    with pytest.raises(IntegrityError):
        services.invitation_accept(invitation=invitation, user=user, full_name="Sari")


def test_k7_the_link_of_a_replaced_invitation_says_it_was_replaced(
    customer_client, contact, client, terms
):
    """K7: sending an expired invitation again keeps the old one, marked as replaced,
    so its link (still in the person's mailbox) explains instead of a 404."""
    expired = Invitation.objects.create(
        customer=contact.customer, email="sari@example.co.id", role=Role.BILLING,
        invited_by=contact.user, expires_at=timezone.now() - timedelta(minutes=1),
    )  # fmt: skip
    old_link = reverse("customers:invitation-accept", args=[expired.token])
    response = client.get(old_link, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 410
    assert "This invitation has expired." in response.content.decode()

    response = customer_client.post(
        reverse("customers:invite"), {"email": "sari@example.co.id", "role": "billing"}
    )
    assert response.status_code == 302
    expired.refresh_from_db()
    assert expired.replaced_at is not None
    record = expired.history.latest()
    assert (record.history_change_reason, record.history_user) == (
        "expired, invited again",
        contact.user,
    )
    sari = UserFactory(email="sari@example.co.id", language="en")
    sari.terms_acceptances.create(terms=terms)
    client.force_login(sari)
    response = client.get(old_link, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 410
    html = response.content.decode()
    assert "replaced by a newer one" in html
    assert contact.customer.name not in html
    with pytest.raises(ValidationError, match="replaced"), translation.override("en"):
        services.invitation_accept(invitation=expired, user=sari, full_name="Sari")

    newer = Invitation.objects.get(customer=contact.customer, replaced_at__isnull=True)
    new_link = reverse("customers:invitation-accept", args=[newer.token])
    assert client.get(new_link).status_code == 200
    services.invitation_accept(invitation=newer, user=sari, full_name="Sari")
    response = client.get(new_link, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 410
    assert "already used" in response.content.decode()


def test_k7_staff_cannot_delete_the_responsible_contact_in_the_admin(
    staff_client, staff_user, contact
):
    """K7: the responsible contact cannot be deleted in the admin, one by one or in bulk;
    a further contact is removed through contact_remove, audited with the staff member."""
    billing = ContactFactory(customer=contact.customer, role=Role.BILLING)
    url = reverse("admin:customers_contact_delete", args=[contact.pk])
    assert staff_client.post(url, {"post": "yes"}).status_code == 403
    changelist = reverse("admin:customers_contact_changelist")
    both = {"action": "delete_selected", "_selected_action": [contact.pk, billing.pk]}
    assert staff_client.post(changelist, {**both, "post": "yes"}).status_code == 403
    assert contact.customer.contacts.count() == 2
    response = staff_client.post(
        changelist,
        {"action": "delete_selected", "_selected_action": [billing.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert list(contact.customer.contacts.all()) == [contact]
    record = billing.history.latest()
    assert (record.history_type, record.history_user, record.history_change_reason) == (
        "-",
        staff_user,
        "contact removed",
    )
