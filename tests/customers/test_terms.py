"""K1: terms accepted at sign-up, re-accepted when a new version is published."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client
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
        {**SIGNUP, "accept_terms": "on", "terms_version": terms.pk, "language": "en"},
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

    response = customer_client.post(
        response["Location"], {"accept": "on", "terms_version": newer.pk}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:account")
    assert TermsAcceptance.objects.filter(user=contact.user, terms=newer).exists()
    assert customer_client.get(reverse("customers:account")).status_code == 200


def test_k1_refusing_to_tick_keeps_the_lock(customer_client, terms):
    newer = TermsVersionFactory()
    response = customer_client.post(reverse("customers:terms-accept"), {"terms_version": newer.pk})
    assert response.status_code == 200
    assert response.context["form"].errors["accept"]
    assert customer_client.get(reverse("customers:account")).status_code == 302


def test_k1_unpublished_draft_does_not_lock(customer_client, terms):
    TermsVersionFactory(published_at=None)
    assert customer_client.get(reverse("customers:account")).status_code == 200


def test_k1_accept_page_never_redirects_off_site(customer_client, terms):
    newer = TermsVersionFactory()
    url = reverse("customers:terms-accept") + "?next=https://evil.example/"
    response = customer_client.post(url, {"accept": "on", "terms_version": newer.pk})
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


def _hidden_version(html: str) -> str:
    match = re.search(r'name="terms_version" value="(\d+)"', html)
    assert match, "the form carries the version it shows"
    return match.group(1)


def _box(html: str) -> str:
    """The acceptance checkbox's tag (accept page: ``accept``, sign-up: ``accept_terms``)."""
    match = re.search(r'<input[^>]*name="accept(_terms)?"[^>]*>', html)
    assert match, "the page has the box to tick"
    return match.group(0)


def _ticked(html: str) -> bool:
    return bool(re.search(r'name="accept(_terms)?"[^>]*\bchecked', _box(html)))


def test_the_ticked_box_is_recognised(customer_client, contact, terms):
    """The check above can fail: a re-shown form keeps a box that was ticked."""
    newer = TermsVersionFactory()
    html = customer_client.post(
        reverse("customers:terms-accept"), {"accept": "on", "terms_version": "x"}
    ).content.decode()
    assert not _ticked(html)  # a replaced version: a fresh form
    signup = (
        Client()
        .post(
            reverse("account_signup"),
            {**SIGNUP, "password2": "different", "accept_terms": "on", "terms_version": newer.pk},
        )
        .content.decode()
    )
    assert _ticked(signup)  # another field's error: the box stays as it was


def test_k1_accepting_a_version_replaced_meanwhile_accepts_nothing_and_shows_the_new_one(
    customer_client, contact, terms
):
    """K1: the page showed 2026.3; staff published 2026.4 before the customer ticked.
    Nothing is recorded; the page now shows 2026.4, what changed, and says why."""
    shown = TermsVersionFactory(version="2026.30")
    page = customer_client.get(reverse("customers:terms-accept")).content.decode()
    assert _hidden_version(page) == str(shown.pk)
    newest = TermsVersionFactory(
        version="2026.40", text_id="Syarat versi empat.", summary_id="Penundaan: bagian 4."
    )
    response = customer_client.post(
        reverse("customers:terms-accept"), {"accept": "on", "terms_version": shown.pk}
    )
    assert response.status_code == 200
    assert not TermsAcceptance.objects.filter(user=contact.user).exclude(terms=terms).exists()
    html = response.content.decode()
    assert "Syarat versi empat." in html and "Penundaan: bagian 4." in html
    assert "2026.40" in html and "2026.30" in html  # the message names both
    assert _hidden_version(html) == str(newest.pk)
    assert not _ticked(html)  # ticked in the POST; to be ticked again, for the new text

    response = customer_client.post(
        reverse("customers:terms-accept"), {"accept": "on", "terms_version": newest.pk}
    )
    assert response.status_code == 302
    assert TermsAcceptance.objects.filter(user=contact.user, terms=newest).exists()
    assert not TermsAcceptance.objects.filter(user=contact.user, terms=shown).exists()


def test_k1_a_post_without_the_shown_version_accepts_nothing(customer_client, contact, terms):
    """K1: an acceptance names the version it was given for; without it, none."""
    newer = TermsVersionFactory()
    response = customer_client.post(reverse("customers:terms-accept"), {"accept": "on"})
    assert response.status_code == 200
    assert not TermsAcceptance.objects.filter(user=contact.user, terms=newer).exists()


def test_k1_signup_links_the_terms_and_names_the_shown_version(client, terms):
    html = client.get(reverse("account_signup")).content.decode()
    assert f'href="{reverse("customers:terms")}"' in html
    assert _hidden_version(html) == str(terms.pk)


def test_k1_signup_across_a_new_version_asks_again_and_keeps_what_was_typed(client, terms):
    """K1: the sign-up page showed one version; another was published before the
    form was sent. No account yet: the form comes back with the typed address, the new
    version, what changed, and the box to tick again."""
    newer = TermsVersionFactory(version="2026.41", summary_en="Deferrals: section 4.")
    response = client.post(
        reverse("account_signup"),
        {**SIGNUP, "accept_terms": "on", "terms_version": terms.pk},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert not User.objects.filter(email=SIGNUP["email"]).exists()
    html = response.content.decode()
    assert "accept_terms" in response.context["form"].errors
    assert "2026.41" in html and "Deferrals: section 4." in html
    assert 'value="new@example.co.id"' in html
    assert _hidden_version(html) == str(newer.pk)
    assert not _ticked(html)  # ticked in the POST; to be ticked again, for the new text

    response = client.post(
        reverse("account_signup"), {**SIGNUP, "accept_terms": "on", "terms_version": newer.pk}
    )
    assert response.status_code == 302
    acceptance = TermsAcceptance.objects.get(user__email=SIGNUP["email"])
    assert acceptance.terms == newer


def test_k1_published_terms_are_read_only_in_admin(staff_client, terms):
    """K1: a version customers may have accepted cannot be rewritten; a draft can."""
    url = reverse("admin:customers_termsversion_change", args=[terms.pk])
    page = staff_client.get(url).content.decode()
    for name in ("text_id", "text_en", "summary_id", "summary_en", "version", "published_at"):
        assert f'name="{name}"' not in page, name
    staff_client.post(url, {
        "version": "9.9", "published_at_0": "2026-01-01", "published_at_1": "00:00",
        "summary_id": "x", "summary_en": "x", "text_id": "rewritten", "text_en": "rewritten",
    })  # fmt: skip
    terms.refresh_from_db()
    assert (terms.version, terms.text_en, terms.text_id) != ("9.9", "rewritten", "rewritten")
    assert terms.text_en == "Masternet terms of service."

    draft = TermsVersionFactory(published_at=None)
    page = staff_client.get(
        reverse("admin:customers_termsversion_change", args=[draft.pk])
    ).content.decode()
    assert 'name="text_en"' in page and 'name="published_at_0"' in page


@pytest.mark.parametrize("published_at", [None, timedelta(days=3)], ids=["draft", "scheduled"])
def test_k1_posting_an_unpublished_versions_id_does_not_reveal_its_name(
    customer_client, client, contact, terms, published_at
):
    """K1: the message names the version the person read only when it is one in force;
    a draft's or a scheduled version's id, posted by hand, is not looked up."""
    secret = TermsVersionFactory(
        version="2027.9-rahasia",
        published_at=published_at and timezone.now() + published_at,
    )
    newest = TermsVersionFactory(version="2026.42")
    response = customer_client.post(
        reverse("customers:terms-accept"), {"accept": "on", "terms_version": secret.pk}
    )
    html = response.content.decode()
    assert "2026.42" in html
    assert "2027.9-rahasia" not in html
    response = client.post(
        reverse("account_signup"),
        {**SIGNUP, "accept_terms": "on", "terms_version": secret.pk},
    )
    html = response.content.decode()
    assert newest.version in html
    assert "2027.9-rahasia" not in html
    assert not TermsAcceptance.objects.filter(terms__in=[secret, newest]).exists()
