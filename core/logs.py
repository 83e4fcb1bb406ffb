"""Logging helpers: a filter that stamps each record with the request id or the
Celery task id it belongs to, a JSON-lines formatter for production and a readable
console formatter for a developer's terminal."""

import json
import logging
from datetime import UTC, datetime

from celery import current_task

from core.request_id import current_request_id

# Attributes every LogRecord has; anything else on a record came in through `extra`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
_CONTEXT = ("request_id", "task_id")


class ContextFilter(logging.Filter):
    """Attach ``request_id`` (core.request_id) and ``task_id`` (the Celery task being
    run, in a worker or eagerly) to every record passing the handler. Django logs a
    4xx/5xx answer after the middleware has finished, passing the request along: its
    id is taken from there."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id.get() or getattr(
                getattr(record, "request", None), "request_id", None
            )
        if getattr(record, "task_id", None) is None:
            record.task_id = current_task.request.id if current_task else None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, the request or
    task id, plain-valued extras (``extra={"status": 200}``) and the traceback.
    Objects passed as extras (Django's ``request``) are left out: their text may
    hold query strings or personal data."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key in _STANDARD or key.startswith("_") or value is None:
                continue
            if isinstance(value, str | int | float | bool):
                entry[key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class ConsoleFormatter(logging.Formatter):
    """The plain local format, with ``[request …]`` or ``[task …]`` appended when the
    record belongs to one."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        line = super().formatMessage(record)
        for key in _CONTEXT:
            value = getattr(record, key, None)
            if value:
                line += f" [{key.removesuffix('_id')} {value}]"
        return line
