"""The client's IP address behind 0 or 1 trusted proxies (TRUSTED_PROXY_COUNT): what
K1 and K9 record, what allauth's rate limits and django-axes' lockout count.

Only TRUSTED_PROXY_COUNT is set here, never allauth's ALLAUTH_TRUSTED_PROXY_COUNT: what
allauth counts by is then the portal's parser (its adapter), or these tests fail."""

import logging
from datetime import timedelta
from decimal import Decimal

import pytest
from allauth.account.adapter import get_adapter
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.urls import reverse

from core import client_ip as client_ip_module
from core import clock
from core.client_ip import client_ip
from customers.models import TermsAcceptance
from tests.factories import PASSWORD, TermsVersionFactory

PROXY = "10.0.0.2"  # the TLS proxy in front of gunicorn
CLIENT, OTHER_CLIENT = "203.0.113.7", "198.51.100.23"
SPOOFED = "192.0.2.66"  # what a client writes into X-Forwarded-For itself


def _through_proxy(client_address: str, spoofed: str = "") -> dict:
    """The request as gunicorn receives it from the proxy, which appends the peer."""
    forwarded = f"{spoofed}, {client_address}" if spoofed else client_address
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": forwarded}


@pytest.fixture
def one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    return settings


@pytest.fixture
def warned(monkeypatch):
    """A fresh process as far as the once-per-process warning goes."""
    monkeypatch.setattr(client_ip_module, "_warned_short_header", False)


@pytest.mark.parametrize(
    ("count", "meta", "expected"),
    [
        (0, {"REMOTE_ADDR": CLIENT}, CLIENT),
        (0, _through_proxy(CLIENT, SPOOFED), PROXY),  # no proxy trusted: header ignored
        (1, _through_proxy(CLIENT), CLIENT),
        (1, _through_proxy(CLIENT, SPOOFED), CLIENT),  # the client's own entry ignored
        (1, {"REMOTE_ADDR": CLIENT}, CLIENT),  # not through the proxy: the peer itself
        (1, {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "not-an-ip"}, PROXY),
        (1, {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "[2001:db8::7]:443"}, "2001:db8::7"),
        (
            2,
            {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": f"{SPOOFED}, {CLIENT}, 10.0.0.1"},
            CLIENT,
        ),
        (2, _through_proxy(CLIENT), PROXY),  # fewer entries than proxies: not trusted
    ],
)
def test_the_client_is_the_entry_the_trusted_proxies_wrote(
    settings, count, meta, expected, tried, warned
):
    settings.TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", **meta)
    tried()
    assert client_ip(request) == expected
    # allauth's rate limits: the same parser (allauth's own would have ignored the header,
    # or refused the short one with ImproperlyConfigured).
    assert get_adapter(request).get_client_ip(request) == expected
    assert not hasattr(settings, "ALLAUTH_TRUSTED_PROXY_COUNT")


def test_a_header_shorter_than_the_proxy_count_is_logged_once(settings, caplog, warned, tried):
    """Fewer X-Forwarded-For entries than TRUSTED_PROXY_COUNT: the count is wrong (or a
    proxy does not append). REMOTE_ADDR is used, and the log says so, once per process."""
    settings.TRUSTED_PROXY_COUNT = 2
    short = RequestFactory().get("/", **_through_proxy(CLIENT))
    tried()
    with caplog.at_level(logging.WARNING, logger="core.client_ip"):
        assert client_ip(short) == PROXY
        assert client_ip(short) == PROXY
    warnings = [r for r in caplog.records if r.name == "core.client_ip"]
    assert len(warnings) == 1
    assert "TRUSTED_PROXY_COUNT is 2" in warnings[0].getMessage()
    assert "only 1 entries" in warnings[0].getMessage()


@pytest.mark.parametrize(
    "meta",
    [
        {"REMOTE_ADDR": CLIENT},  # not through the proxy (a health check): no header
        _through_proxy(CLIENT, SPOOFED),  # as many entries as proxies, or more
    ],
)
def test_a_request_without_the_header_or_with_enough_entries_logs_nothing(
    one_proxy, caplog, warned, meta, tried
):
    tried()
    with caplog.at_level(logging.WARNING, logger="core.client_ip"):
        client_ip(RequestFactory().get("/", **meta))
    assert not [r for r in caplog.records if r.name == "core.client_ip"]


def test_k1_acceptance_records_the_proxys_address_with_no_proxy_trusted(contact, terms, tried):
    """K1 with TRUSTED_PROXY_COUNT=0: REMOTE_ADDR, whatever the client writes."""
    newer = TermsVersionFactory()
    client = Client()
    client.force_login(contact.user)
    client.post(
        reverse("customers:terms-accept"),
        {"accept": "on", "terms_version": newer.pk},
        **_through_proxy(CLIENT, SPOOFED),
    )
    tried()
    assert TermsAcceptance.objects.get(user=contact.user, terms=newer).ip_address == PROXY


def test_k1_acceptance_records_the_client_behind_one_proxy(one_proxy, contact, terms, tried):
    newer = TermsVersionFactory()
    client = Client()
    client.force_login(contact.user)
    client.post(
        reverse("customers:terms-accept"),
        {"accept": "on", "terms_version": newer.pk},
        **_through_proxy(CLIENT, SPOOFED),
    )
    tried()
    assert TermsAcceptance.objects.get(user=contact.user, terms=newer).ip_address == CLIENT


def test_k1_signup_records_the_client_behind_one_proxy(one_proxy, db, terms, tried):
    data = {
        "email": "baru@example.co.id", "password1": "a-Strong-pass-2026",
        "password2": "a-Strong-pass-2026", "language": "id", "accept_terms": "on",
        "terms_version": terms.pk,
    }  # fmt: skip
    response = Client().post(reverse("account_signup"), data, **_through_proxy(CLIENT, SPOOFED))
    tried()
    assert response.status_code == 302
    assert TermsAcceptance.objects.get(user__email="baru@example.co.id").ip_address == CLIENT


def _fail_logins(email: str, meta: dict, times: int = 5):
    client = Client()
    for _ in range(times):
        client.post(reverse("account_login"), {"login": email, "password": "wrong"}, **meta)


def _logs_in(email: str, meta: dict) -> bool:
    client = Client()
    client.post(reverse("account_login"), {"login": email, "password": PASSWORD}, **meta)
    return "_auth_user_id" in client.session


def test_behind_one_proxy_a_lockout_is_the_attackers_not_everyones(one_proxy, contact, tried):
    """Axes locks e-mail + IP: with the proxy trusted, an attacker who fails five times
    locks only their own address out, not the customer logging in from elsewhere."""
    email = contact.user.email
    _fail_logins(email, _through_proxy(OTHER_CLIENT))
    cache.clear()  # allauth's own per-address limit (5 per 5 minutes), not axes'
    tried(2)
    assert not _logs_in(email, _through_proxy(OTHER_CLIENT))  # the attacker: locked
    assert _logs_in(email, _through_proxy(CLIENT))  # the customer: not locked


def test_with_no_proxy_trusted_a_forged_header_does_not_escape_the_lockout(contact, tried):
    """TRUSTED_PROXY_COUNT=0: the lockout counts REMOTE_ADDR; a client that writes a new
    X-Forwarded-For on every attempt is still the same address."""
    email = contact.user.email
    client = Client()
    for n in range(5):
        client.post(
            reverse("account_login"),
            {"login": email, "password": "wrong"},
            REMOTE_ADDR=OTHER_CLIENT,
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        )
    cache.clear()  # allauth's own per-address limit (5 per 5 minutes), not axes'
    tried()
    assert not _logs_in(email, {"REMOTE_ADDR": OTHER_CLIENT, "HTTP_X_FORWARDED_FOR": CLIENT})
    assert _logs_in(email, {"REMOTE_ADDR": CLIENT})


def test_behind_one_proxy_the_per_ip_rate_limit_is_per_client(one_proxy, db, tried):
    """allauth's "signup": "20/m/ip" counts each client behind the proxy on its own."""
    data = {"email": "x@example.co.id", "password1": "a", "password2": "b"}
    url = reverse("account_signup")
    statuses = [
        Client().post(url, data, **_through_proxy(OTHER_CLIENT)).status_code for _ in range(21)
    ]
    tried(2)
    assert 429 in statuses
    assert Client().post(url, data, **_through_proxy(CLIENT)).status_code != 429


def test_k9_a_staff_order_records_the_staff_members_address_behind_one_proxy(
    one_proxy, staff_client, verified, plan, bank, tried
):
    """K9: the acknowledgement of an order staff enter in the admin names the address
    they entered it from, not the proxy's."""
    from orders.models import Order

    response = staff_client.post(
        reverse("admin:orders_order_add"),
        {
            "customer": verified.customer.pk, "product": plan.product_id, "plan": plan.pk,
            "domain_name": "kantor.com", "aup_confirmed": "on", "staff_note": "By phone",
        },
        **_through_proxy(CLIENT, SPOOFED),
    )  # fmt: skip
    tried()
    assert response.status_code == 302
    assert Order.objects.get().aup_ip_address == CLIENT


NO_ADDRESS = {"REMOTE_ADDR": ""}  # e.g. gunicorn on a unix socket, with no proxy trusted


def test_k9_checkout_records_the_client_behind_one_proxy(one_proxy, verified, plan, bank, tried):
    """K9: the acknowledgement at checkout names the client's address, not the proxy's."""
    from orders.models import Order

    client = Client()
    client.force_login(verified.user)
    client.post(
        reverse("orders:product", args=[plan.product.slug]),
        {"plan": plan.pk, "domain_name": "tokosaya.com"},
    )
    response = client.post(
        reverse("orders:checkout"), {"accept_aup": "on"}, **_through_proxy(CLIENT, SPOOFED)
    )
    tried()
    assert response.status_code == 302
    assert Order.objects.get().aup_ip_address == CLIENT


def test_k9_checkout_without_a_known_address_orders_and_records_none(verified, plan, bank, tried):
    """K9: no usable address is recorded as none; the order is not refused with a 403
    (allauth's adapter refuses a request without an address: it is for rate limits)."""
    from orders.models import Order

    client = Client()
    client.force_login(verified.user)
    client.post(
        reverse("orders:product", args=[plan.product.slug]),
        {"plan": plan.pk, "domain_name": "tokosaya.com"},
    )
    response = client.post(reverse("orders:checkout"), {"accept_aup": "on"}, **NO_ADDRESS)
    tried()
    assert response.status_code == 302
    order = Order.objects.get()
    assert order.aup_accepted_at is not None
    assert order.aup_ip_address is None


def _quoted_project(contact, staff_user):
    from projects import services as projects

    project = projects.project_submit(
        customer=contact.customer, requested_by=contact.user, title="Toko Batik",
        design_reference_url="https://example.com/inspiration",
        requirements="An online shop with a catalogue of about 200 batik products.",
        technology="WordPress with WooCommerce on a Masternet hosting plan.",
        workflow="A visitor browses products, adds them to the cart and pays.",
    )  # fmt: skip
    return projects.project_quote(
        project=project, staff=staff_user, price=Decimal("10000000"),
        delivery_date=clock.today() + timedelta(days=30), note="Three design revisions.",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("proxies", "meta", "expected"),
    [(1, _through_proxy(CLIENT, SPOOFED), CLIENT), (0, NO_ADDRESS, None)],
)
def test_k9_accepting_a_project_quote_records_the_clients_address(
    settings, verified, bank, staff_user, proxies, meta, expected, tried
):
    """K9: accepting a quote orders; its acknowledgement names the client behind the
    proxy, and no usable address is recorded as none instead of refusing with a 403."""
    settings.TRUSTED_PROXY_COUNT = proxies
    quoted = _quoted_project(verified, staff_user)
    client = Client()
    client.force_login(verified.user)
    response = client.post(
        reverse("projects:accept", args=[quoted.pk]),
        {"accept_aup": "on", "revision": quoted.quote_revision},
        **meta,
    )
    tried()
    assert response.status_code == 302
    quoted.refresh_from_db()
    assert quoted.order is not None
    assert quoted.order.aup_ip_address == expected
