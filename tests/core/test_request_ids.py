"""Request ids and structured logs: every request carries an id (a sane incoming
X-Request-ID, else a fresh one), returned in the response and stamped on every log
record of the request; production writes JSON lines; Celery task records carry the
task id."""

import json
import logging
import sys

import pytest
from celery import shared_task
from django.http import HttpResponse
from django.test import RequestFactory

from core.logs import ConsoleFormatter, ContextFilter, JsonFormatter
from core.request_id import RequestIdMiddleware, current_request_id

pytestmark = pytest.mark.django_db


def _record(message="hello", **extra) -> logging.LogRecord:
    record = logging.LogRecord("portal.test", logging.INFO, __file__, 1, message, (), None)
    record.__dict__.update(extra)
    ContextFilter().filter(record)
    return record


def test_a_response_carries_a_generated_id(client):
    first = client.get("/health/")["X-Request-ID"]
    second = client.get("/health/")["X-Request-ID"]

    assert len(first) == 32 and first != second


def test_a_sane_incoming_id_is_kept(client):
    response = client.get("/health/", HTTP_X_REQUEST_ID="lb-7f3a.42:9")

    assert response["X-Request-ID"] == "lb-7f3a.42:9"


@pytest.mark.parametrize(
    "incoming", ["bad id with spaces", "x" * 129, "evil\\nINFO forged", '"quoted"', "-leading"]
)
def test_an_insane_incoming_id_is_replaced(client, incoming):
    response = client.get("/health/", HTTP_X_REQUEST_ID=incoming)

    assert response["X-Request-ID"] != incoming
    assert len(response["X-Request-ID"]) == 32


def test_every_log_record_of_a_request_carries_its_id():
    seen = []

    def view(request):
        record = _record("inside the view")
        seen.append((record.request_id, request.request_id))
        return HttpResponse("ok")

    request = RequestFactory().get("/anything/", HTTP_X_REQUEST_ID="req-1234")
    response = RequestIdMiddleware(view)(request)

    assert seen == [("req-1234", "req-1234")]
    assert response["X-Request-ID"] == "req-1234"
    assert current_request_id.get() is None  # nothing leaks into the next request
    assert _record("after the request").request_id is None


def test_django_s_error_line_after_the_middleware_still_names_the_request(client, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get("/no-such-page/", HTTP_X_REQUEST_ID="req-404")

    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert response.status_code == 404
    assert ContextFilter().filter(record) and record.request_id == "req-404"


def test_the_access_line_names_the_route_not_the_object(customer_client, caplog):
    logging.getLogger("core.access").setLevel(logging.INFO)  # production's level
    try:
        with caplog.at_level(logging.INFO, logger="core.access"):
            response = customer_client.get("/health/?token=secret", HTTP_X_REQUEST_ID="r-1")
    finally:
        logging.getLogger("core.access").setLevel(logging.WARNING)

    (line,) = [r for r in caplog.records if r.name == "core.access"]
    assert response.status_code in (200, 503)
    assert line.getMessage() == f"GET /health/ {response.status_code}"
    assert (line.method, line.route, line.status) == ("GET", "/health/", response.status_code)
    assert line.duration_ms >= 0
    assert "secret" not in line.getMessage()


def test_json_lines_hold_the_id_and_plain_extras_but_not_objects():
    token = current_request_id.set("req-json-1")
    try:
        try:
            raise ValueError("boom")
        except ValueError:
            record = _record("paid %s", status=200, request=object(), route="/invoices/")
            record.args = ("INV-1",)
            record.exc_info = sys.exc_info()
    finally:
        current_request_id.reset(token)

    line = JsonFormatter().format(record)

    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "paid INV-1"
    assert entry["request_id"] == "req-json-1"
    assert entry["level"] == "INFO" and entry["logger"] == "portal.test"
    assert entry["status"] == 200 and entry["route"] == "/invoices/"
    assert "request" not in entry and "task_id" not in entry
    assert "ValueError: boom" in entry["exc_info"]
    assert entry["time"].endswith("+00:00")


def test_the_console_format_stays_readable():
    token = current_request_id.set("req-console-1")
    try:
        record = _record("hello")
    finally:
        current_request_id.reset(token)
    formatter = ConsoleFormatter("%(levelname)s %(name)s %(message)s")

    assert formatter.format(record) == "INFO portal.test hello [request req-console-1]"
    assert formatter.format(_record("quiet")) == "INFO portal.test quiet"


@shared_task(name="tests.log_something")
def log_something():
    record = _record("from a task")
    return record.task_id


def test_task_records_carry_the_task_id():
    result = log_something.apply(task_id="task-abc-123")

    assert result.get() == "task-abc-123"
    assert _record("outside any task").task_id is None
