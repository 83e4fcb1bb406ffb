"""The test suite: fast hashing, mail kept in memory, Celery tasks run inline
unless a test starts a real worker."""

import atexit
import shutil
import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = "test-only-key"  # noqa: S105  # nosec B105  # the test settings only
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Each test gets its own folder (tests/conftest.py, `_isolated`). Whatever runs with these
# settings outside a test (a subprocess, a wider fixture, a probe script) gets a temporary
# folder of its process, removed at exit: identity scans never land in the repository.
if env("PRIVATE_MEDIA_ROOT", default=""):
    PRIVATE_MEDIA_ROOT = Path(env("PRIVATE_MEDIA_ROOT"))
else:
    PRIVATE_MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="masternet-test-private-"))
    atexit.register(shutil.rmtree, PRIVATE_MEDIA_ROOT, ignore_errors=True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Tests log staff in with force_login, which no second factor can follow; tests/security
# switch this back on to check the requirement itself. Never off outside tests.
STAFF_MFA_REQUIRED = False
