"""The Celery wiring end to end: a real worker process takes a task from a real
broker and returns its result. Once on the embedded filesystem broker (any
machine), once on Redis (CI)."""

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from tests.conftest import redis_url

ROOT = Path(__file__).resolve().parents[2]


def _environment(broker: str, backend: str, tmp_path: Path) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "masternet.settings.local",
        "CELERY_BROKER_URL": broker,
        "CELERY_RESULT_BACKEND": backend,
        "CELERY_BROKER_DIR": str(tmp_path / "broker"),
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    env.pop("CACHE_URL", None)
    return env


def _round_trip(env: dict) -> tuple[str, str]:
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "masternet", "worker", "--pool=solo",
         "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        call = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c",
             "from core.tasks import heartbeat; print(heartbeat.delay().get(timeout=60))"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=90,
        )  # fmt: skip
    finally:
        worker.terminate()
        log, _ = worker.communicate(timeout=30)
    assert call.returncode == 0, call.stderr
    return call.stdout.strip().splitlines()[-1], log


def test_heartbeat_runs_on_a_real_worker_with_the_filesystem_broker(tmp_path):
    env = _environment("filesystem://localhost/", f"file://{tmp_path / 'results'}", tmp_path)
    (tmp_path / "results").mkdir()
    output, log = _round_trip(env)
    assert datetime.fromisoformat(output), output  # the timestamp the worker wrote
    assert "core.heartbeat" in log and "succeeded" in log, log


@pytest.mark.redis
def test_heartbeat_runs_on_a_real_worker_with_redis(tmp_path):
    url = redis_url()  # the database the run was given, never a fixed one of its own
    output, log = _round_trip(_environment(url, url, tmp_path))
    assert datetime.fromisoformat(output), output
    assert "core.heartbeat" in log and "succeeded" in log, log
