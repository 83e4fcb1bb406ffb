"""What every benchmark script shares: Django on the benchmark database, timings, tables.

``setup_django()`` points ``masternet.settings.local`` at ``DATABASE_URL`` (default: a
dedicated PostgreSQL database ``masternet_bench`` on 127.0.0.1), creates that database
if it is missing, and migrates it. Celery messages stay in memory, so the invoice and
receipt mails that the services queue are never written to the project's broker folder.
"""

import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/masternet_bench"
BENCH_ADMIN_EMAIL = "bench-admin@example.co.id"


def setup_django() -> None:
    """Settings, the benchmark database and its migrations; then Django is ready."""
    sys.path.insert(0, str(BASE_DIR))
    os.environ["DJANGO_SETTINGS_MODULE"] = "masternet.settings.local"
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("CELERY_BROKER_URL", "memory://localhost/")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    create_database_if_missing(os.environ["DATABASE_URL"])

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def create_database_if_missing(url: str) -> None:
    """Create the PostgreSQL database of ``url``; refuse any database not meant for this."""
    import environ
    import psycopg
    from psycopg import sql

    config = environ.Env.db_url_config(url)
    if "postgresql" not in config["ENGINE"]:
        sys.exit(f"The benchmarks need PostgreSQL; DATABASE_URL is {url!r}.")
    name = config["NAME"]
    if "bench" not in name:
        sys.exit(f"Refusing to fill database {name!r}: its name must contain 'bench'.")
    server = {
        "host": config.get("HOST") or "127.0.0.1",
        "port": config.get("PORT") or 5432,
        "user": config.get("USER") or "postgres",
        "password": config.get("PASSWORD") or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"Created database {name}.")


def ensure_bank_accounts():
    """The accounts shown on invoices and chosen in payment confirmations."""
    from invoices.models import BankAccount

    accounts = [
        ("BCA", "437 0123 456"),
        ("Mandiri", "131 00 1234567 8"),
        ("BNI", "012 345 6789"),
    ]
    for position, (bank, number) in enumerate(accounts):
        BankAccount.objects.get_or_create(
            bank=bank,
            account_number=number,
            defaults={"holder": "PT Masternet Indonesia", "position": position},
        )
    return list(BankAccount.objects.filter(is_active=True))


def ensure_superuser():
    """The staff member who approves payments and opens the admin."""
    from customers.models import User

    user = User.objects.filter(email=BENCH_ADMIN_EMAIL).first()
    return user or User.objects.create_superuser(email=BENCH_ADMIN_EMAIL)


def staff_client():
    """A test Client logged in as the benchmark's staff member the way staff are at the
    admin: TOTP set up and used in this session (customers.middleware.StaffMFAMiddleware
    sends anyone else to the second factor), so the measured requests pass that check.
    The second factor is recorded as allauth records it after a code was accepted."""
    from allauth.account.internal.flows.login import record_authentication
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.http import HttpRequest
    from django.test import Client

    user = ensure_superuser()
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, generate_totp_secret())
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    request = HttpRequest()
    request.session, request.user = client.session, user
    record_authentication(request, user, method="mfa", type="totp")
    request.session.save()
    return client


def machine_note() -> str:
    """CPU count and load, printed beside the figures: other work on the machine skews them."""
    one, five, _ = os.getloadavg()
    return f"{os.cpu_count()} cores, load average {one:.2f} (1 min) {five:.2f} (5 min)"


def timed_ms(action: Callable[[], object]) -> float:
    """Milliseconds that ``action()`` took."""
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def summarize(times_ms: Sequence[float]) -> dict[str, float]:
    """Median, 90th percentile, fastest and slowest of the timings."""
    ordered = sorted(times_ms)
    if len(ordered) > 1:
        p90 = statistics.quantiles(ordered, n=10, method="inclusive")[-1]
    else:
        p90 = ordered[0]
    return {
        "median": statistics.median(ordered),
        "p90": p90,
        "min": ordered[0],
        "max": ordered[-1],
    }


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A plain text table: the first column left-aligned, the figures right-aligned."""
    cells = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]

    def line(values):
        first, *rest = values
        return "  ".join(
            [first.ljust(widths[0]), *(v.rjust(w) for v, w in zip(rest, widths[1:], strict=True))]
        )

    print(line([str(h) for h in headers]))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print(line(row))
