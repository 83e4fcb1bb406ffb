"""Portal-wide Celery tasks."""

from celery import shared_task
from django.core.cache import cache

from core import clock

HEARTBEAT_KEY = "worker-heartbeat"


@shared_task(name="core.heartbeat")
def heartbeat() -> str:
    """Record that a worker is alive; beat runs it every minute and health checks read it."""
    stamp = clock.now().isoformat()
    cache.set(HEARTBEAT_KEY, stamp, timeout=None)
    return stamp
