"""The production settings' switches for `make run-prod`, and their logs as JSON."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args: str, **variables: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "masternet.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": "postgres://portal@127.0.0.1:5432/portal",
        "CACHE_URL": "rediscache://127.0.0.1:6379/1",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/2",
        "EMAIL_URL": "consolemail://",
        **variables,
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_insecure_cookies_are_allowed_for_the_local_run_only():
    local = _manage(
        "check",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_COOKIES="false",
        DJANGO_SECURE_SSL_REDIRECT="false",
    )
    public = _manage(
        "check", DJANGO_ALLOWED_HOSTS="portal.masternet.co.id", DJANGO_SECURE_COOKIES="false"
    )

    assert local.returncode == 0, local.stderr
    assert public.returncode != 0
    assert "DJANGO_SECURE_COOKIES=false is only for a local run" in public.stderr


def test_production_logs_are_json_lines_with_the_request_id():
    script = (
        "import logging; from core.request_id import current_request_id; "
        "current_request_id.set('req-prod-1'); "
        "logging.getLogger('invoices.jobs').warning('issued %s', 3)"
    )
    result = _manage("shell", "-c", script, DJANGO_ALLOWED_HOSTS="portal.masternet.co.id")

    assert result.returncode == 0, result.stderr
    entry = json.loads(result.stderr.strip().splitlines()[-1])
    assert entry["message"] == "issued 3"
    assert entry["logger"] == "invoices.jobs"
    assert entry["level"] == "WARNING"
    assert entry["request_id"] == "req-prod-1"
