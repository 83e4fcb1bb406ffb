"""The client's IP address, the same answer for every part of the portal.

Behind the TLS proxy (README, "Deploying") every request comes from the proxy, so
``REMOTE_ADDR`` is the proxy's address. ``TRUSTED_PROXY_COUNT`` (settings, from the
environment) says how many proxies of ours stand in front of gunicorn; each appends
the address it received the request from to ``X-Forwarded-For``. The client is then
the entry that many places from the right: anything further left was written by the
client itself and is not trusted.

One helper for everything that records or counts by IP: the K1 terms acceptance and
the K9 acceptable-use acknowledgement (sign-up, checkout, a project's quote, a staff
order), allauth's rate limits (``AccountAdapter.get_client_ip``) and django-axes'
lockout (``AXES_CLIENT_IP_CALLABLE``).

Why not allauth's parser: it lives in ``allauth.core.internal.httpkit`` (internal, no
stability promise across allauth releases), it answers a header shorter than the
proxy count with ``ImproperlyConfigured`` (a server error on every such request) and
axes could not use it through allauth's settings. allauth's public hook is the
adapter's ``get_client_ip``, which the portal overrides with this helper, so allauth's
own ``ALLAUTH_TRUSTED_PROXY_COUNT`` is never read and is not set.
"""

import ipaddress
import logging

from django.conf import settings

logger = logging.getLogger(__name__)

# A short header is logged once per process: it means the count is set too high (or a
# proxy does not append), and every request would repeat the same line.
_warned_short_header = False


def _clean(value: str) -> str | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.7:443"
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def _warn_short_header(count: int, entries: int) -> None:
    global _warned_short_header
    if _warned_short_header:
        return
    _warned_short_header = True
    logger.warning(
        "TRUSTED_PROXY_COUNT is %d but X-Forwarded-For has only %d entries: the client "
        "IP falls back to REMOTE_ADDR. Check the setting against the proxies in front of "
        "gunicorn (each must append to X-Forwarded-For). Logged once per process.",
        count,
        entries,
    )


def client_ip(request) -> str | None:
    """The address the request came from, ``TRUSTED_PROXY_COUNT`` proxies in.

    With 0 (the default) it is ``REMOTE_ADDR``. With N, it is the N-th entry from the
    right of ``X-Forwarded-For``. A request without the header did not pass our proxies
    (a health check on gunicorn itself): ``REMOTE_ADDR`` is then the real peer. A header
    with fewer entries than N means the count is wrong: ``REMOTE_ADDR`` again, and a
    warning in the log (once per process). None when no valid address is known.
    """
    remote = _clean(request.META.get("REMOTE_ADDR", "") or "")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if not header.strip():
        return remote
    forwarded = header.split(",")
    if len(forwarded) < count:
        _warn_short_header(count, len(forwarded))
        return remote
    return _clean(forwarded[-count]) or remote
