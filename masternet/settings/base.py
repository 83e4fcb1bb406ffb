"""Settings shared by every environment; each value comes from the environment
(django-environ) with a default that works on a fresh machine."""

from decimal import Decimal
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from core.cache import cache_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-local-only-key")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "masternet.admin.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sites",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "csp",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_celery_beat",
    "simple_history",
    "core",
    "customers",
    "orders",
    "invoices",
    "tickets",
    "projects",
    "policy",
    "help",
]

MIDDLEWARE = [
    "core.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "customers.middleware.TermsAcceptanceMiddleware",
    "customers.middleware.StaffMFAMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "masternet.urls"
WSGI_APPLICATION = "masternet.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "customers.context_processors.membership",
            ],
        },
    },
    {
        # Plain-text e-mail: the same templates, without HTML escaping.
        "NAME": "text",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"autoescape": False},
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis URLs get core.cache.RedisCache: Django's, keeping one client per connection pool.
CACHES = {"default": cache_config(env.cache("CACHE_URL", default="locmemcache://"))}

SITE_ID = 1
AUTH_USER_MODEL = "customers.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses every login attempt of a locked-out e-mail + IP before the others run.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "customers:dashboard"

# django-allauth: e-mail is the login; sign-up needs a verified address.
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SIGNUP_FORM_CLASS = "customers.forms.SignupTermsForm"
ACCOUNT_ADAPTER = "customers.adapters.AccountAdapter"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Masternet] "
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/300s/key",
    "reset_password": "20/m/ip,5/m/key",  # nosec B105  # a rate, not a password
    "signup": "20/m/ip",
}

# --- Security (README, "Security") ----------------------------------------------------
# The client's IP address (core.client_ip): how many proxies of ours (the TLS proxy of
# "Deploying") append to X-Forwarded-For in front of gunicorn. 0: REMOTE_ADDR is the
# client. The K1/K9 records, allauth's per-IP rate limits (its adapter) and the axes
# lockout all ask core.client_ip.client_ip, so they agree. Axes is given the helper
# itself (AXES_CLIENT_IP_CALLABLE, which it prefers over django-ipware), so it needs no
# second parser of the header and no AXES_IPWARE_* settings. allauth's own
# ALLAUTH_TRUSTED_PROXY_COUNT is deliberately not set: customers.adapters overrides the
# only place allauth would read it (core/client_ip.py says why).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "core.client_ip.client_ip"

# Two-factor authentication: TOTP and recovery codes. Staff must have TOTP and have used
# it in this session before /admin/ opens (customers.middleware.StaffMFAMiddleware);
# customers may turn it on from their account page. The test settings switch the staff
# requirement off (tests log staff in with force_login); production.py forces it on.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Masternet Indonesia"
STAFF_MFA_REQUIRED = env.bool("STAFF_MFA_REQUIRED", default=True)

# django-axes: five failed logins from one IP address for one e-mail lock that pair out
# for an hour (allauth's ACCOUNT_RATE_LIMITS above also slow every address and IP).
# Staff unlock in the admin ("Access attempts") or with
# `manage.py axes_reset_username <e-mail>` / `axes_reset_ip <ip>`.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "customers.security.login_identifier"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "customers/lockout.html"
AXES_VERBOSE = False

# Content-Security-Policy (django-csp 4): scripts and styles only from our own origin, no
# inline script and no inline style attribute; data: images for allauth's TOTP QR code
# and Bootstrap's icons. The Django admin (5.2) works under it unchanged.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Indonesian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Jakarta"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # whitenoise's CompressedManifestStaticFilesStorage, tolerant of missing source maps.
    "staticfiles": {"BACKEND": "core.staticfiles.StaticFilesStorage"},
}
# Public media (none today) and private uploads (identity scans, proofs) live apart:
# PRIVATE_MEDIA_ROOT has no URL and is only served by views that check ownership.
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "media/"
PRIVATE_MEDIA_ROOT = Path(env("PRIVATE_MEDIA_ROOT", default=str(VAR_DIR / "private")))
UPLOAD_MAX_BYTES = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES + 1024 * 1024

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env(
    "DEFAULT_FROM_EMAIL", default="Masternet Indonesia <noreply@masternet.co.id>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
PORTAL_BASE_URL = env("PORTAL_BASE_URL", default="http://127.0.0.1:8000")

# Celery: the embedded default is kombu's filesystem transport, which needs no server.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://localhost/")
CELERY_BROKER_DIR = Path(env("CELERY_BROKER_DIR", default=str(VAR_DIR / "broker")))
if CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's filesystem transport wants its folders to exist.
    (CELERY_BROKER_DIR / "processed").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR),
        "data_folder_out": str(CELERY_BROKER_DIR),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),  # else ./control
        "store_processed": False,
    }
else:
    # Redis (or SQS) gives a message that a worker took but never acknowledged (acks_late:
    # the worker died) to another worker after this many seconds. Keep it longer than any
    # task runs or waits for its retry countdown (up to 600 s), or a task that is still
    # running is delivered twice. The real-worker tests set a few seconds.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
    }
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# The schedule lives in django-celery-beat's tables, edited by staff in admin; the data
# migration invoices/0012_beat_schedule creates it. No CELERY_BEAT_SCHEDULE here: beat
# would write it over the staff's edits at every start.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
# History is read-only in the admin: a "revert" would bypass the services (the POST is
# refused by masternet.admin.HistoryIsReadOnly; this hides the button).
SIMPLE_HISTORY_REVERT_DISABLED = True

# Every record names the request (core.request_id) or Celery task it belongs to;
# production.py switches the console handler to JSON lines.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "core.logs.ContextFilter"}},
    "formatters": {
        "plain": {
            "()": "core.logs.ConsoleFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
        "json": {"()": "core.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["context"]}
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # One line per request; runserver prints its own, so only production turns it on.
        "core.access": {"level": "WARNING"},
    },
}

# Billing
PPN_RATE = Decimal(env.str("PPN_RATE", default="0.11"))  # money is Decimal, never float
INVOICE_DUE_DAYS = env.int("INVOICE_DUE_DAYS", default=7)
# Recurring invoices are issued this many days before their period starts.
INVOICE_LEAD_DAYS = env.int("INVOICE_LEAD_DAYS", default=14)
# Unpaid this many days after the due date: services are suspended; after the
# second limit staff may terminate them.
BILLING_SUSPEND_AFTER_DAYS = env.int("BILLING_SUSPEND_AFTER_DAYS", default=7)
BILLING_TERMINATE_AFTER_DAYS = env.int("BILLING_TERMINATE_AFTER_DAYS", default=30)
# A reminder claimed by a task that has not finished after this long may be retaken.
REMINDER_CLAIM_TIMEOUT = env.int("REMINDER_CLAIM_TIMEOUT", default=900)
PROVIDER = {
    "name": "Masternet Indonesia",
    "address": env("PROVIDER_ADDRESS", default="Jl. Soekarno-Hatta No. 1, Bandung 40286"),
    "npwp": env("PROVIDER_NPWP", default="01.300.066.6-091.000"),
    "email": env("PROVIDER_EMAIL", default="billing@masternet.co.id"),
}
TICKET_REOPEN_DAYS = env.int("TICKET_REOPEN_DAYS", default=14)
