"""K1: terms accepted at sign-up, re-accepted when a new version is published."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.models import TermsAcceptance, TermsVersion, User
from customers.selectors import current_terms
from tests.factories import TermsVersionFactory

SIGNUP = {
    "email": "new@example.co.id",
    "password1": "a-Strong-pass-2026",
    "password2": "a-Strong-pass-2026",
    "language": "id",
}


def test_k1_signup_without_accepting_terms_is_refused_and_keeps_what_was_typed(client, terms):
    response = client.post(reverse("account_signup"), SIGNUP)
    assert response.status_code == 200
    assert not User.objects.filter(email=SIGNUP["email"]).exists()
    assert "accept_terms" in response.context["form"].errors
    assert 'value="new@example.co.id"' in response.content.decode()


def test_k1_signup_records_version_time_and_ip(client, terms):
    response = client.post(
        reverse("account_signup"),
        {**SIGNUP, "accept_terms": "on", "language": "en"},
        REMOTE_ADDR="203.0.113.7",
    )
    assert response.status_code == 302
    user = User.objects.get(email=SIGNUP["email"])
    acceptance = TermsAcceptance.objects.get(user=user)
    assert acceptance.terms == terms
    assert acceptance.ip_address == "203.0.113.7"
    assert acceptance.accepted_at is not None
    assert user.language == "en"
    # allauth sends the verification link: the account is not usable before it.
    assert len(mail.outbox) == 1
    assert "/accounts/confirm-email/" in mail.outbox[0].body


def test_k1_new_version_locks_the_client_area_until_accepted(customer_client, contact, terms):
    assert customer_client.get(reverse("customers:account")).status_code == 200
    newer = TermsVersionFactory(summary_en="Deferral rules now in section 4.")
    response = customer_client.get(reverse("customers:account"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("customers:terms-accept"))

    page = customer_client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert newer.summary_id in page.content.decode() or newer.summary_en in page.content.decode()

    response = customer_client.post(response["Location"], {"accept": "on"})
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:account")
    assert TermsAcceptance.objects.filter(user=contact.user, terms=newer).exists()
    assert customer_client.get(reverse("customers:account")).status_code == 200


def test_k1_refusing_to_tick_keeps_the_lock(customer_client, terms):
    TermsVersionFactory()
    response = customer_client.post(reverse("customers:terms-accept"), {})
    assert response.status_code == 200
    assert response.context["form"].errors["accept"]
    assert customer_client.get(reverse("customers:account")).status_code == 302


def test_k1_unpublished_draft_does_not_lock(customer_client, terms):
    TermsVersionFactory(published_at=None)
    assert customer_client.get(reverse("customers:account")).status_code == 200


def test_k1_accept_page_never_redirects_off_site(customer_client, terms):
    TermsVersionFactory()
    url = reverse("customers:terms-accept") + "?next=https://evil.example/"
    response = customer_client.post(url, {"accept": "on"})
    assert response["Location"] == reverse("customers:dashboard")


@pytest.mark.django_db
def test_k1_terms_page_is_public(client, terms):
    response = client.get(reverse("customers:terms"))
    assert response.status_code == 200
    assert terms.text_id in response.content.decode()


def test_k1_a_version_scheduled_for_later_locks_at_that_moment(customer_client, terms):
    """The current version is cached; a version published for a later moment still
    applies at that moment, not when the cache happens to expire."""
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        TermsVersionFactory(published_at=start + timedelta(seconds=90))
        assert customer_client.get(reverse("customers:account")).status_code == 200
        assert current_terms() == terms
    with time_machine.travel(start + timedelta(seconds=91), tick=False):
        response = customer_client.get(reverse("customers:account"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("customers:terms-accept"))


def test_k1_a_page_asks_the_database_for_the_terms_once_per_cache_lifetime(customer_client, terms):
    customer_client.get(reverse("customers:dashboard"))  # caches the current version
    with CaptureQueriesContext(connection) as queries:
        assert customer_client.get(reverse("customers:dashboard")).status_code == 200
    terms_table = TermsVersion._meta.db_table
    assert not [q for q in queries.captured_queries if f'FROM "{terms_table}"' in q["sql"]]
    TermsVersionFactory()  # saving a version drops the cached one
    assert current_terms() != terms
