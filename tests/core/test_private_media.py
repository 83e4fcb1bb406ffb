"""Test runs never leave identity scans or transfer proofs in the repository.

Every test gets its own PRIVATE_MEDIA_ROOT (tests/conftest.py, ``_isolated``); whatever
runs outside a test but with the test settings (a subprocess a test starts, a fixture
of a wider scope, a script run with ``--settings=masternet.settings.test``) stores them
in a temporary folder of its process, removed when it ends, not in ``var/``.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = (
    "import django; django.setup(); from django.core.files.base import ContentFile; "
    "from core.storage import private_storage; storage = private_storage(); "
    "name = storage.save('identity/1/probe.png', ContentFile(b'x')); print(storage.path(name))"
)


def test_outside_a_test_the_test_settings_store_private_files_in_a_temporary_folder():
    env = {k: v for k, v in os.environ.items() if k != "PRIVATE_MEDIA_ROOT"}
    env["DJANGO_SETTINGS_MODULE"] = "masternet.settings.test"
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    stored = Path(result.stdout.strip().splitlines()[-1])
    assert not stored.is_relative_to(ROOT), stored
    assert not stored.exists()  # the folder went with its process


def test_an_explicit_private_media_root_is_kept(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "masternet.settings.test"}
    env["PRIVATE_MEDIA_ROOT"] = str(tmp_path / "private")
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    stored = Path(result.stdout.strip().splitlines()[-1])
    assert stored.is_relative_to(tmp_path / "private") and stored.exists()
