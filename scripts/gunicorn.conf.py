"""gunicorn for production (Procfile.prod): its size from the environment, and its own
log lines as JSON through the portal's formatter, like every other line."""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
# gunicorn 27's control socket is not used; without it, several servers on one host
# do not compete for ~/.gunicorn/gunicorn.ctl.
control_socket_disable = True

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
