"""Sessions, password reset, rate limits and lockout, two-factor authentication."""

import re

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth import SESSION_KEY
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from customers.models import User
from tests.factories import PASSWORD
from tests.security.conftest import client_for


def _login(client, email, password=PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_session_is_rotated_at_login(contact, tried):
    client = Client()
    client.get(reverse("account_login"))
    client.session.save()
    before = client.session.session_key
    _login(client, contact.user.email)
    tried()
    assert client.session.get(SESSION_KEY) == str(contact.user.pk)
    assert client.session.session_key != before


def test_session_is_invalidated_at_logout(contact, tried):
    client = Client()
    _login(client, contact.user.email)
    assert client.session.get(SESSION_KEY) == str(contact.user.pk)
    stolen = client.cookies["sessionid"].value
    client.post(reverse("account_logout"))
    assert SESSION_KEY not in client.session
    thief = Client()
    thief.cookies["sessionid"] = stolen
    tried()
    response = thief.get(reverse("customers:dashboard"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_password_change_ends_the_other_sessions(contact, tried):
    mine, other = Client(), Client()
    _login(mine, contact.user.email)
    _login(other, contact.user.email)
    new = "another-horse-battery-7"
    mine.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": new, "password2": new},
    )
    tried(2)
    assert mine.get(reverse("customers:dashboard")).status_code == 200
    response = other.get(reverse("customers:dashboard"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert SESSION_KEY not in other.session
    assert mine.session.get(SESSION_KEY) == str(contact.user.pk)


def test_password_reset_does_not_reveal_which_addresses_exist(contact, tried):
    url = reverse("account_reset_password")
    known = Client().post(url, {"email": contact.user.email})
    unknown = Client().post(url, {"email": "nobody-here@example.co.id"})
    tried(2)
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    token = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')
    pages = [token.sub(b"", Client().get(r["Location"]).content) for r in (known, unknown)]
    assert pages[0] == pages[1]


@pytest.mark.parametrize(
    ("name", "data", "attempts"),
    [
        ("account_reset_password", {"email": "someone@example.co.id"}, 8),
        ("account_signup", {"email": "x@example.co.id", "password1": "a", "password2": "b"}, 25),
    ],
)
def test_reset_and_signup_are_rate_limited(db, name, data, attempts, tried):
    client = Client()
    statuses = [client.post(reverse(name), data).status_code for _ in range(attempts)]
    tried(attempts)
    assert 429 in statuses


def test_repeated_failed_logins_lock_the_address_and_staff_can_unlock(contact, tried):
    from axes.models import AccessAttempt

    client = Client()
    statuses = [_login(client, contact.user.email, "wrong").status_code for _ in range(6)]
    tried(6)
    assert 429 in statuses or AccessAttempt.objects.filter(failures_since_start__gte=5).exists()
    # Locked: even the right password is refused now.
    tried()
    locked_out = Client()
    response = _login(locked_out, contact.user.email)
    assert response.status_code in (200, 429)
    assert SESSION_KEY not in locked_out.session
    assert "sessionid" not in response.cookies or response.status_code == 429
    # Staff unlock the address; the right password works again.
    call_command("axes_reset_username", contact.user.email.lower())
    from django.core.cache import cache

    cache.clear()  # allauth's own per-address rate limit
    response = _login(Client(), contact.user.email)
    tried()
    assert response.status_code == 302


# --- two-factor authentication ------------------------------------------------------


@pytest.fixture
def strict(settings):
    settings.STAFF_MFA_REQUIRED = True
    return settings


def test_admin_login_goes_through_allauth(db, tried):
    response = Client().get("/admin/login/?next=/admin/customers/customer/")
    tried()
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "next=%2Fadmin%2Fcustomers%2Fcustomer%2F" in response["Location"]


def test_admin_login_refuses_an_outside_next(db, tried):
    response = Client().get("/admin/login/?next=https://evil.example/")
    tried()
    assert "evil.example" not in response["Location"]


def test_staff_without_totp_are_sent_to_set_it_up(strict, staff_client, tried):
    response = staff_client.get("/admin/")
    tried()
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))


def _totp(user):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    return TOTP.activate(user, generate_totp_secret()).instance


def test_staff_with_totp_must_use_it_in_this_session(strict, staff_user, tried):
    _totp(staff_user)
    client = client_for(staff_user)  # a session that never saw the second factor
    response = client.get("/admin/")
    tried()
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_reauthenticate"))


def test_staff_password_alone_does_not_open_the_admin(strict, staff_user, tried):
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=staff_user, email=staff_user.email, verified=True)
    _totp(staff_user)
    client = Client()
    response = client.post(
        reverse("account_login") + "?next=/admin/",
        {"login": staff_user.email, "password": "admin-pass-123"},
    )
    tried()
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_authenticate"))
    assert client.get("/admin/").status_code == 302


def test_staff_with_totp_used_reach_the_admin(strict, staff_user, tried):
    from allauth.account.models import EmailAddress
    from allauth.mfa.totp.internal.auth import (
        TOTP,
        format_hotp_value,
        generate_totp_secret,
        hotp_value,
        yield_hotp_counters_from_time,
    )

    EmailAddress.objects.create(user=staff_user, email=staff_user.email, verified=True)
    secret = generate_totp_secret()
    TOTP.activate(staff_user, secret)
    client = Client()
    client.post(reverse("account_login"), {"login": staff_user.email, "password": "admin-pass-123"})
    counter = next(iter(yield_hotp_counters_from_time()))
    code = format_hotp_value(hotp_value(secret, counter))
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    tried()
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_a_customer_may_turn_on_two_factor(contact, tried):
    client = client_for(contact.user)
    tried(2)
    assert reverse("mfa_index") in client.get(reverse("customers:account")).content.decode()
    assert client.get(reverse("mfa_index")).status_code == 200
    assert not Authenticator.objects.filter(user=contact.user).exists()


def test_non_staff_cannot_reach_the_admin(contact, tried):
    client = client_for(contact.user)
    tried()
    assert client.get("/admin/").status_code in (302, 403)
    assert client.get("/admin/login/").status_code == 403
    assert not User.objects.filter(pk=contact.user.pk, is_staff=True).exists()
