"""Shared fixtures, and the switch that makes CI fail on a skipped service test.

Tests marked ``postgres``, ``redis`` or ``browser`` are skipped where that service
is missing (a laptop with nothing running); with ``REQUIRE_SERVICES=1`` (CI) any
skip is a failure instead.
"""

import os
import shutil
import socket
from urllib.parse import urlparse

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.utils import translation

from tests.factories import ContactFactory, TermsVersionFactory

pytest_plugins = ["tests.billing_fixtures"]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def redis_url() -> str | None:
    url = os.environ.get("REDIS_URL")
    if not url:
        return None
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 6379), timeout=1):
            return url
    except OSError:
        return None


def pytest_runtest_setup(item):
    missing = []
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        missing.append("PostgreSQL (set DATABASE_URL)")
    if item.get_closest_marker("redis") and redis_url() is None:
        missing.append("Redis (set REDIS_URL)")
    if item.get_closest_marker("browser") and not os.path.exists(CHROMIUM):
        missing.append("Chromium (apt-get install chromium)")
    if missing:
        message = "needs " + ", ".join(missing)
        if REQUIRE_SERVICES:
            pytest.fail(f"{message}, and REQUIRE_SERVICES=1 forbids skipping it")
        pytest.skip(message)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if REQUIRE_SERVICES and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped, but REQUIRE_SERVICES=1 forbids skips: {report.longrepr}"
    return report


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    """Each test gets its own private upload folder and an empty cache (rate limits)."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def terms(db):
    return TermsVersionFactory()


@pytest.fixture
def contact(terms):
    """A responsible contact whose account has accepted the current terms."""
    return ContactFactory(accepted_terms=terms)


@pytest.fixture
def customer(contact):
    return contact.customer


@pytest.fixture
def customer_client(contact):
    """Logged in as the responsible contact (its own Client, so it can sit beside staff)."""
    client = Client()
    client.force_login(contact.user)
    return client


@pytest.fixture
def in_english(request):
    """Messages checked in English (the source language): the users the test asks for
    read English, and so does the test itself."""
    for name in ("verified", "staff_user", "contact"):
        if name in request.fixturenames:
            user = request.getfixturevalue(name)
            user = getattr(user, "user", user)
            user.language = "en"
            user.save(update_fields=["language"])
    with translation.override("en"):
        yield


@pytest.fixture
def staff_user(db):
    from customers.models import User

    return User.objects.create_superuser("admin@masternet.test", "admin-pass-123")


@pytest.fixture
def staff_client(staff_user):
    client = Client()
    client.force_login(staff_user)
    return client


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Playwright drives Debian's Chromium; no browser is ever downloaded."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


# --- the security suite's count (tests/security) ---------------------------------------
# Kept here, in the conftest every process loads, so the count adds up under pytest-xdist
# too (the controller never imports tests/security/conftest.py).
SECURITY_CASES = {"tried": 0}


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    SECURITY_CASES["tried"] += getattr(node, "workeroutput", {}).get("security_cases", 0)


def pytest_sessionfinish(session):
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["security_cases"] = SECURITY_CASES["tried"]


def pytest_terminal_summary(terminalreporter):
    if SECURITY_CASES["tried"]:
        terminalreporter.write_line(f"security cases tried: {SECURITY_CASES['tried']}")
