"""Production: every secret from the environment, HTTPS only, PostgreSQL,
Redis as cache and Celery broker, mail over SMTP (EMAIL_URL)."""

from django.core.exceptions import ImproperlyConfigured

from core.cache import cache_config

from .base import *  # noqa: F403
from .base import LOGGING, env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
# A kept connection is checked before reuse, so a PostgreSQL restart costs no failed request.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
CACHES = {"default": cache_config(env.cache("CACHE_URL"))}
# Sessions are read from Redis and written through to PostgreSQL: a page costs no
# session query, and a Redis restart logs nobody out.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
EMAIL_CONFIG = env.email_url("EMAIL_URL")
vars().update(EMAIL_CONFIG)
CELERY_BROKER_URL = env("CELERY_BROKER_URL")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# A load balancer's probe may speak plain HTTP to the app server.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_REFERRER_POLICY = "same-origin"
# Cookies travel over HTTPS only. `make run-prod` turns this off for its plain-HTTP run
# on the loopback, and nowhere else may: a public host with insecure cookies is refused.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
if not SESSION_COOKIE_SECURE and not set(ALLOWED_HOSTS) <= {"127.0.0.1", "localhost", "[::1]"}:
    raise ImproperlyConfigured(
        "DJANGO_SECURE_COOKIES=false is only for a local run "
        "(DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost)"
    )
X_FRAME_OPTIONS = "DENY"
# Staff always need their second factor here, whatever the environment says.
STAFF_MFA_REQUIRED = True

# JSON lines on stderr with the request or task id, one access line per request;
# Celery keeps this configuration instead of installing its own handlers.
LOGGING["handlers"]["console"]["formatter"] = "json"
LOGGING["loggers"]["core.access"]["level"] = "INFO"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
