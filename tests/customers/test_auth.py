"""Accounts: login rotates the session, failed logins and resets are rate limited,
and a reset never tells whether an address has an account."""

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory


@pytest.mark.django_db
def test_login_rotates_the_session_key(client):
    user = UserFactory()
    client.get(reverse("account_login"))
    before = client.session.session_key
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert client.session.session_key
    assert client.session.session_key != before


@pytest.mark.django_db
def test_unverified_email_cannot_log_in(client):
    from allauth.account.models import EmailAddress

    user = UserFactory()
    EmailAddress.objects.filter(user=user).update(verified=False)
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert response.status_code == 302
    assert "confirm-email" in response["Location"]


@pytest.mark.django_db
def test_repeated_failed_logins_are_blocked(client):
    user = UserFactory()
    for _attempt in range(5):
        client.post(reverse("account_login"), {"login": user.email, "password": "wrong"})
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 429)


@pytest.mark.django_db
def test_password_reset_does_not_reveal_which_addresses_exist(client):
    known = UserFactory()
    first = client.post(reverse("account_reset_password"), {"email": known.email})
    second = client.post(reverse("account_reset_password"), {"email": "nobody@example.co.id"})
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    reset_links = [m for m in mail.outbox if "/accounts/password/reset/key/" in m.body]
    assert [m.to for m in reset_links] == [[known.email]]


@pytest.mark.django_db
def test_password_reset_is_rate_limited(client):
    user = UserFactory()
    statuses = [
        client.post(reverse("account_reset_password"), {"email": user.email}).status_code
        for _ in range(7)
    ]
    assert 429 in statuses
