"""K1: terms accepted at sign-up, re-accepted when a new version is published."""

import pytest
from django.core import mail
from django.urls import reverse

from customers.models import TermsAcceptance, User
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
