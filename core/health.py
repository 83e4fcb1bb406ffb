"""GET /health/ for load balancers and monitoring: database, cache, Celery broker and
the worker heartbeat, as JSON; 200 when every check passes, 503 otherwise.

Built on django-health-check (its check runner, timeouts and database and cache
checks). The answer names no host, URL or version: an error says what failed, not
where.
"""

import asyncio
import dataclasses
from datetime import datetime, timedelta

from celery import current_app
from django.core.cache import cache
from django.http import JsonResponse
from health_check.base import HealthCheck
from health_check.checks import Cache, Database
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView
from kombu.exceptions import OperationalError

from core import clock
from core.tasks import HEARTBEAT_KEY


@dataclasses.dataclass
class Broker(HealthCheck):
    """The Celery broker accepts a connection (Redis in production)."""

    timeout = timedelta(seconds=3)

    def run(self):
        try:
            with current_app.connection_for_write() as connection:
                connection.ensure_connection(
                    max_retries=1, interval_start=0, timeout=self.timeout.total_seconds()
                )
        except (OSError, OperationalError) as error:
            raise ServiceUnavailable("cannot connect to the Celery broker") from error


@dataclasses.dataclass
class WorkerHeartbeat(HealthCheck):
    """A worker ran core.heartbeat lately. Beat sends it every minute, so a stamp older
    than ``max_age`` means no beat, no worker, or a queue stuck behind other tasks."""

    max_age: timedelta = timedelta(minutes=3)

    def run(self):
        stamp = cache.get(HEARTBEAT_KEY)
        if stamp is None:
            raise ServiceUnavailable("no heartbeat yet: are a worker and one beat running?")
        try:
            age = clock.now() - datetime.fromisoformat(stamp)
        except (TypeError, ValueError) as error:
            raise ServiceUnavailable("unreadable heartbeat") from error
        if age > self.max_age:
            raise ServiceUnavailable(f"stale: last heartbeat {int(age.total_seconds())} s ago")


class HealthView(HealthCheckView):
    """Always JSON (django-health-check negotiates HTML and feeds, and answers 500)."""

    named_checks = {
        "database": Database,
        "cache": Cache,
        "broker": Broker,
        "worker_heartbeat": WorkerHeartbeat,
    }

    async def get(self, request, *args, **kwargs):
        names = list(self.named_checks)
        with self.get_executor() as executor:
            results = await asyncio.gather(
                *(self.named_checks[name]().get_result(executor) for name in names)
            )
        healthy = not any(result.error for result in results)
        return JsonResponse(
            {
                "status": "ok" if healthy else "unavailable",
                "checks": {
                    name: "ok" if result.error is None else str(result.error)
                    for name, result in zip(names, results, strict=True)
                },
            },
            status=200 if healthy else 503,
        )
