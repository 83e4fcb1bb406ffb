"""GET /health/: database, cache, Celery broker and worker heartbeat, as JSON, for
anyone (a load balancer has no login); 200 only when all pass."""

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from core.tasks import HEARTBEAT_KEY, heartbeat
from masternet.celery import app as celery_app

pytestmark = pytest.mark.django_db


def test_all_checks_pass_once_a_worker_has_beaten(client):
    heartbeat.delay()  # eager in tests: what beat sends every minute

    response = client.get(reverse("health"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok", "worker_heartbeat": "ok"},
    }
    assert "no-cache" in response["Cache-Control"]


def test_no_heartbeat_yet_is_unavailable(client):
    response = client.get(reverse("health"))

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert "no heartbeat yet" in body["checks"]["worker_heartbeat"]


def test_a_heartbeat_older_than_three_minutes_is_stale(client):
    with time_machine.travel("2026-03-02 09:00 +07:00", tick=False):
        heartbeat()
        assert client.get(reverse("health")).status_code == 200
    with time_machine.travel("2026-03-02 09:02:50 +07:00", tick=False):
        assert client.get(reverse("health")).status_code == 200
    with time_machine.travel("2026-03-02 09:03:30 +07:00", tick=False):
        response = client.get(reverse("health"))

    assert response.status_code == 503
    assert response.json()["checks"]["worker_heartbeat"] == (
        "Unavailable: stale: last heartbeat 210 s ago"
    )


def test_an_unreadable_heartbeat_is_unavailable(client):
    cache.set(HEARTBEAT_KEY, "yesterday-ish")

    response = client.get(reverse("health"))

    assert response.status_code == 503
    assert "unreadable" in response.json()["checks"]["worker_heartbeat"]


def test_an_unreachable_broker_is_unavailable_without_saying_where(client, monkeypatch):
    heartbeat()
    unreachable = "redis://:hunter2@127.0.0.1:1/0"  # nothing listens on port 1
    connect = celery_app.connection_for_write
    monkeypatch.setattr(
        celery_app, "connection_for_write", lambda url=None, **kw: connect(unreachable, **kw)
    )

    response = client.get(reverse("health"))

    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["broker"] == "Unavailable: cannot connect to the Celery broker"
    assert body["checks"]["database"] == "ok"
    assert "127.0.0.1" not in response.content.decode()
    assert "hunter2" not in response.content.decode()


def test_the_answer_reveals_no_versions_or_settings(client, settings):
    heartbeat()

    text = client.get(reverse("health")).content.decode().lower()

    for leak in ("django", "celery", "redis", "postgres", "sqlite", settings.SECRET_KEY.lower()):
        assert leak not in text


def test_health_needs_no_login_and_is_never_cached(client):
    heartbeat()

    response = client.get(reverse("health"), HTTP_ACCEPT="text/html")

    assert response.status_code == 200  # no redirect to the login page, JSON regardless
    assert response.json()["status"] == "ok"
    assert response.has_header("X-Request-ID")
