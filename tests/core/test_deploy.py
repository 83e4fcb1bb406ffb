"""Production settings pass Django's deployment checks with the README's variables."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_check_deploy_passes_with_the_documented_environment():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "masternet.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "portal.masternet.co.id",
        "DATABASE_URL": "postgres://portal@127.0.0.1:5432/portal",
        "CACHE_URL": "rediscache://127.0.0.1:6379/1",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/2",
        "EMAIL_URL": "smtp+tls://user:secret@mail.example:587",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the browser tests only
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
