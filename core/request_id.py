"""Every request gets an id: taken from a sane incoming X-Request-ID (a proxy or load
balancer may set one), otherwise generated. It is returned in the response header,
kept in a context variable so that every log record of the request carries it
(core.logs.ContextFilter), and ends the request with one access log line."""

import logging
import re
import time
import uuid
from contextvars import ContextVar

HEADER = "X-Request-ID"
# Letters, digits and a few separators, as proxies and tracing systems produce them;
# nothing that could break a log line (spaces, quotes, newlines).
SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+=/-]{0,127}")

current_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
access_log = logging.getLogger("core.access")


def request_id_from(header_value: str | None) -> str:
    """The incoming id when it is sane, else a fresh one."""
    if header_value and SANE.fullmatch(header_value):
        return header_value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """First in MIDDLEWARE, so that even a redirect to HTTPS carries its id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request.headers.get(HEADER))
        request.request_id = request_id
        token = current_request_id.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[HEADER] = request_id
            route = _route(request)
            access_log.info(
                "%s %s %s",
                request.method,
                route,
                response.status_code,
                extra={
                    "method": request.method,
                    "route": route,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            return response
        finally:
            current_request_id.reset(token)


def _route(request) -> str:
    """The URL pattern when the path resolved ("invoices/<int:pk>/"), so that the log
    holds neither the ids of a customer's objects nor the keys of e-mailed links;
    the bare path (without query string) when it did not."""
    match = getattr(request, "resolver_match", None)
    if match is not None and match.route:
        return "/" + match.route
    return request.path[:200]
