"""The audit of accounts (README, "Audit"): who logs in (users) and who was invited
(invitations, K7) have a history with the acting user and a reason, like customers and
contacts; it keeps no password hash and no invitation key, and anonymisation (UU PDP)
blanks the person in it as well."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from customers import personal_data, services
from customers.models import Invitation, Role, User
from tests.factories import PASSWORD, ContactFactory, UserFactory


def test_staff_changes_to_a_user_are_audited_with_the_staff_member(staff_client, staff_user):
    user = UserFactory(email="sari@example.co.id")
    url = reverse("admin:customers_user_change", args=[user.pk])
    response = staff_client.post(url, {
        "email": "sari.baru@example.co.id", "language": "id", "first_name": "", "last_name": "",
        "is_active": "on", "is_staff": "on", "last_login_0": "", "last_login_1": "",
        "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00",
    })  # fmt: skip
    assert response.status_code == 302, response.context["adminform"].form.errors
    record = User.objects.get(pk=user.pk).history.latest()
    assert record.history_user == staff_user
    assert (record.email, record.is_staff, record.is_active) == (
        "sari.baru@example.co.id",
        True,
        True,
    )
    previous = record.prev_record
    changed = {change.field for change in record.diff_against(previous).changes}
    assert {"email", "is_staff"} <= changed
    assert not hasattr(record, "password")  # never a copy of the hash


def test_a_login_adds_no_history_row(contact):
    rows = contact.user.history.count()
    client = Client()
    client.post(reverse("account_login"), {"login": contact.user.email, "password": PASSWORD})
    assert "_auth_user_id" in client.session
    assert contact.user.history.count() == rows


def test_k7_an_invitation_and_its_acceptance_are_audited(contact):
    invitation = services.contact_invite(
        customer=contact.customer, email="Tek@example.co.id", role=Role.TECHNICAL,
        invited_by=contact.user,
    )  # fmt: skip
    invited = UserFactory(email="tek@example.co.id")
    services.invitation_accept(invitation=invitation, user=invited, full_name="Teknisi")
    created, accepted = invitation.history.order_by("history_id")
    assert (created.history_type, created.history_user) == ("+", contact.user)
    assert (accepted.history_user, accepted.history_change_reason) == (
        invited,
        "invitation accepted",
    )
    assert accepted.accepted_at is not None
    assert not hasattr(created, "token")  # the e-mailed key stays out of the history


def test_anonymisation_blanks_the_person_in_the_user_and_invitation_history(contact, staff_user):
    old_email = contact.user.email
    contact.user.first_name = "Budi"
    contact.user.save()
    other = ContactFactory()
    Invitation.objects.create(
        customer=other.customer, email=old_email, role=Role.BILLING, invited_by=other.user,
        expires_at=timezone.now() + timedelta(days=1),
    )  # fmt: skip
    request = personal_data.deletion_request_create(user=contact.user)
    personal_data.deletion_request_complete(request=request, staff=staff_user, reason="UU PDP")
    user = User.objects.get(pk=contact.user.pk)
    assert not user.history.filter(email__iexact=old_email).exists()
    assert not user.history.exclude(first_name="").exists()
    latest = user.history.latest()
    assert (latest.history_user, latest.history_change_reason, latest.is_active) == (
        staff_user,
        "UU PDP",
        False,
    )
    assert not Invitation.history.filter(email__iexact=old_email).exists()


def test_k7_a_handover_is_audited_by_contact_not_by_e_mail_address(contact):
    """K7: the reason of a handover names the two contacts by id: nothing in it has to be
    found and rewritten when a person's data is erased."""
    other = ContactFactory(customer=contact.customer, role=Role.BILLING)
    services.responsible_handover(
        customer=contact.customer, to_contact=other, previous_role=Role.BILLING,
        actor=contact.user,
    )  # fmt: skip
    reason = other.history.latest().history_change_reason
    assert reason == f"responsible role handed from contact {contact.pk} to contact {other.pk}"
    assert "@" not in reason


def _history_reasons() -> list[str]:
    """Every change reason of every audited model."""
    from django.apps import apps
    from simple_history.utils import get_history_model_for_model

    reasons = []
    for model in apps.get_models():
        if hasattr(model._meta, "simple_history_manager_attribute"):
            history = get_history_model_for_model(model)
            reasons += history.objects.exclude(history_change_reason=None).values_list(
                "history_change_reason", flat=True
            )
    return reasons


def test_anonymising_an_account_leaves_no_e_mail_address_in_its_history(contact, staff_user):
    """UU PDP: an older handover reason named both contacts by e-mail, and a contact who
    joined by invitation was removed since: after the account's erasure no e-mail address
    of theirs is left, neither in a change reason nor in the accepted invitation."""
    customer = contact.customer
    invitation = services.contact_invite(
        customer=customer, email="sari@example.co.id", role=Role.BILLING,
        invited_by=contact.user,
    )  # fmt: skip
    sari = UserFactory(email="sari@example.co.id")
    joined = services.invitation_accept(invitation=invitation, user=sari, full_name="Sari Dewi")
    services.responsible_handover(
        customer=customer, to_contact=joined, previous_role=Role.BILLING, actor=contact.user
    )
    services.responsible_handover(
        customer=customer, to_contact=contact, previous_role=Role.BILLING, actor=sari
    )
    # As the portal wrote them before: the two people's e-mail addresses.
    legacy = f"responsible role handed from {contact.user.email} to Sari@Example.co.id"
    joined.history.filter(history_change_reason__startswith="responsible role").update(
        history_change_reason=legacy
    )
    services.contact_remove(contact=joined, actor=contact.user)
    emails = [contact.user.email, "sari@example.co.id"]

    request = personal_data.deletion_request_create(user=contact.user)
    personal_data.deletion_request_complete(request=request, staff=staff_user, reason="UU PDP")

    leaks = [r for r in _history_reasons() if any(e in r.lower() for e in emails)]
    assert not leaks
    assert joined.history.filter(history_change_reason__contains="(anonymised)").exists()
    assert not Invitation.objects.filter(email__in=emails).exists()
    kept = Invitation.objects.get(pk=invitation.pk)  # who joined, as what, and when
    assert (kept.email, kept.role, kept.accepted_at is not None) == ("", Role.BILLING, True)
    assert not Invitation.history.filter(email__in=emails).exists()
    # The removed contact's name and phone are gone from the account's history too.
    assert not joined.history.filter(full_name="Sari Dewi").exists()


def test_anonymising_a_person_rewrites_their_addresses_in_any_change_reason(contact, staff_user):
    """UU PDP, one person: every address they had (the audit kept an earlier one) is
    replaced wherever a change reason names it, whatever its case; other people's stay."""
    billing = ContactFactory(customer=contact.customer, role=Role.BILLING)
    earlier = billing.user.email
    billing.user.email = "sari.baru@example.co.id"
    billing.user.save()
    contact.history.update(
        history_change_reason=f"asked by {earlier.upper()} for {contact.user.email}"
    )
    request = personal_data.deletion_request_create(user=billing.user)
    assert request.scope == "user"
    personal_data.deletion_request_complete(request=request, staff=staff_user, reason="x")
    assert set(contact.history.values_list("history_change_reason", flat=True)) == {
        f"asked by (anonymised) for {contact.user.email}"
    }
    leaks = [r for r in _history_reasons() if earlier in r.lower() or "sari.baru" in r]
    assert not leaks


def test_staff_changing_a_users_groups_and_permissions_is_audited(staff_client, staff_user):
    """What a user may do is part of the audit: the groups and permissions staff give
    in the admin show in the user's history, with the staff member."""
    from django.contrib.auth.models import Group, Permission

    user = UserFactory(email="sari@example.co.id")
    group = Group.objects.create(name="Billing staff")
    permission = Permission.objects.get(codename="view_invoice")
    before = user.history.latest()
    response = staff_client.post(
        reverse("admin:customers_user_change", args=[user.pk]),
        {
            "email": user.email, "language": "id", "first_name": "", "last_name": "",
            "is_active": "on", "is_staff": "on", "groups": [group.pk],
            "user_permissions": [permission.pk], "last_login_0": "", "last_login_1": "",
            "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00",
        },
    )  # fmt: skip
    assert response.status_code == 302, response.context["adminform"].form.errors
    latest = user.history.latest()
    assert latest.history_user == staff_user
    assert [row.group for row in latest.groups.all()] == [group]
    assert [row.permission for row in latest.user_permissions.all()] == [permission]
    changed = {change.field for change in latest.diff_against(before).changes}
    assert {"groups", "user_permissions", "is_staff"} <= changed


def test_a_group_change_made_from_the_groups_side_is_audited_on_the_user(staff_user):
    """Adding a user to a group from the group (``group.user_set``) records the user's
    new groups as well; simple-history alone would fail on that side."""
    from django.contrib.auth.models import Group, Permission

    user, other = UserFactory(), UserFactory()
    group = Group.objects.create(name="Support staff")
    group._history_user = staff_user
    group.user_set.add(user, other)
    for person in (user, other):
        latest = person.history.latest()
        assert [row.group_id for row in latest.groups.all()] == [group.pk]
        assert latest.history_user == staff_user
    group.user_set.clear()
    assert not user.history.latest().groups.exists()
    permission = Permission.objects.get(codename="view_invoice")
    permission.user_set.add(user)
    assert [row.permission_id for row in user.history.latest().user_permissions.all()] == [
        permission.pk
    ]
    permission.user_set.remove(user)
    assert not user.history.latest().user_permissions.exists()


INITIAL = ("customers", "0006_initial_user_and_invitation_history")
BEFORE_INITIAL = ("customers", "0005_invitation_replaced_and_user_m2m_history")


def _migrate(target):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([target])


@pytest.mark.django_db(transaction=True)
def test_users_and_invitations_from_before_their_audit_get_a_first_history_row():
    """Users and invitations that existed when 0004 created their (empty) history get a
    first row, with each user's groups and permissions; one with history already gets
    none; run on an empty database it does nothing."""
    from django.apps import apps
    from django.contrib.auth.models import Group, Permission

    initial_reason = "history started: the record as it was when its audit began"
    _migrate(BEFORE_INITIAL)
    _migrate(INITIAL)  # no user, no invitation: nothing to write
    assert not User.history.exists() and not Invitation.history.exists()

    _migrate(BEFORE_INITIAL)
    group = Group.objects.create(name="Billing staff")
    permission = Permission.objects.get(codename="view_invoice")
    old = UserFactory(email="lama@example.co.id", first_name="Lama", is_staff=True)
    old.groups.add(group)
    old.user_permissions.add(permission)
    contact = ContactFactory()
    invitation = Invitation.objects.create(
        customer=contact.customer, email="tek@example.co.id", role=Role.TECHNICAL,
        invited_by=contact.user,
    )  # fmt: skip
    for model in (User, Invitation):  # as before 0004: no history at all
        model.history.all().delete()
    for name in ("HistoricalUser_groups", "HistoricalUser_user_permissions"):
        apps.get_model("customers", name).objects.all().delete()
    audited = UserFactory(email="baru@example.co.id")  # its audit already began
    audited_rows = list(audited.history.values_list("history_id", flat=True))

    _migrate(INITIAL)

    first = old.history.get()
    assert (first.history_type, first.history_user, first.history_change_reason) == (
        "+",
        None,
        initial_reason,
    )
    assert (first.email, first.first_name, first.is_staff) == ("lama@example.co.id", "Lama", True)
    assert [row.group_id for row in first.groups.all()] == [group.pk]
    assert [row.permission_id for row in first.user_permissions.all()] == [permission.pk]
    assert not contact.user.history.get().groups.exists()
    created = invitation.history.get()
    assert (created.history_type, created.email, created.role) == (
        "+",
        "tek@example.co.id",
        Role.TECHNICAL,
    )
    assert list(audited.history.values_list("history_id", flat=True)) == audited_rows

    # Again (as after a rollback and a second deploy): nothing more.
    _migrate(BEFORE_INITIAL)
    assert not User.history.filter(history_change_reason=initial_reason).exists()
    _migrate(INITIAL)
    _migrate(INITIAL)
    assert old.history.count() == 1 and invitation.history.count() == 1
