"""gunicorn for production (Procfile.prod): its size from the environment, and its own
log lines as JSON through the portal's formatter, like every other line."""

import gc
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers, one more than cores: a page is CPU-bound Python (templates, ORM) with
# short waits on PostgreSQL and Redis, so more processes only share the same cores.
# On the 2-core host, 2 or 5 sync workers, or 2 gthread workers of 4 threads, did no
# better than 3 (benchmarks/README.md, "Load"); gthread gave the lists a worse p99.
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
# gunicorn 27's control socket is not used; without it, several servers on one host
# do not compete for ~/.gunicorn/gunicorn.ctl.
control_socket_disable = True


def post_worker_init(worker):
    """Keep what loading the portal made (modules, models, URLconf) out of the garbage
    collector's full passes: without this, each worker pauses ~0.1 s every few hundred
    requests to walk over 100,000 objects that never die (benchmarks/README.md, "Load")."""
    gc.freeze()


logconfig_dict = {
    "root": {"level": os.environ.get("LOG_LEVEL", "INFO"), "handlers": ["console"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
        # The portal's own access line (core.access) carries the request id instead.
        "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
    },
    "filters": {"context": {"()": "core.logs.ContextFilter"}},
    "formatters": {"json": {"()": "core.logs.JsonFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["context"]}
    },
}
