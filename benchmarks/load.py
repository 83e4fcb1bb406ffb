"""Load: a logged-in customer's pages under gunicorn + PostgreSQL, measured with wrk.

    .venv/bin/python benchmarks/load.py [--duration 10] [--connections 10] [--threads 2]
    .venv/bin/python benchmarks/load.py --count [PATH ...]   # instructions, queries
    .venv/bin/python benchmarks/load.py --profile PATH       # SQL, then pyinstrument

What it does, in one run:

1. Production settings (``masternet.settings.production`` through
   ``benchmarks/load_settings.py``, which only adds a bare view and a temporary
   STATIC_ROOT), DEBUG off, the environment of ``scripts/prod-env`` except: its own
   database ``masternet_load`` (created and migrated), Redis db 5 as cache, Celery
   messages in memory, private media in a temporary directory.
2. ``collectstatic`` into a temporary directory; one customer with an accepted Terms
   version, 50 invoices and, when the tickets app is installed, 50 tickets; a session
   created through the session engine, whose cookie wrk sends.
3. gunicorn (``scripts/gunicorn.conf.py``, 3 workers) on a free port of 127.0.0.1.
4. wrk ``--latency`` for a fixed time against the bare view, the dashboard, the
   invoice list and the ticket list; prints requests/s, the ratio to the bare view
   (target >= 0.12) and p50/p99 latency (target p99 < 150 ms).

``--count`` measures without noise instead, in-process through Django's test Client on
the same data: the Python bytecode instructions one request executes (``sys.settrace``
with opcode events; C code such as the database driver counts nothing) and its SQL
queries, for the given paths or else for the four pages above; and, less steady, the
median CPU time of a request without the tracer.

Only 127.0.0.1 is ever a target. Needs ``wrk`` (Debian: ``apt-get install -y wrk``).
"""

import argparse
import logging
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATABASE_URL = "postgres://postgres@127.0.0.1:5432/masternet_load"
EMAIL = "load-customer@example.co.id"
RATIO_TARGET = 0.12
P99_TARGET_MS = 150.0
ROWS = 50


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per page")
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument(
        "--profile",
        metavar="PATH",
        help="instead of wrk: the SQL queries of one in-process request, pyinstrument on 50",
    )
    parser.add_argument(
        "--count",
        metavar="PATH",
        nargs="*",
        help="instead of wrk: the instructions and SQL queries of one in-process request "
        "of each path (default: the four pages)",
    )
    return parser.parse_args()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(tmp: Path, port: int, workers: int) -> dict[str, str]:
    """scripts/prod-env's local case, pointed at the benchmark's own database and dirs."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "benchmarks.load_settings",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DATABASE_URL": DATABASE_URL,
            "CACHE_URL": "rediscache://127.0.0.1:6379/5",
            "CELERY_BROKER_URL": "memory://localhost/",
            "EMAIL_URL": "consolemail://",
            "PRIVATE_MEDIA_ROOT": str(tmp / "private"),
            "BENCH_STATIC_ROOT": str(tmp / "static"),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_SECURE_COOKIES": "false",
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": str(workers),
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(BASE_DIR),
        }
    )
    return env


def create_database() -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as admin:
        if not admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = 'masternet_load'"
        ).fetchone():
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier("masternet_load")))
            print("Created database masternet_load.")


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), *args],
        env=env,
        cwd=BASE_DIR,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def load_data() -> tuple[str, bool]:
    """The customer, 50 invoices, 50 tickets if the app is installed; a session key."""
    import django

    django.setup()
    from importlib import import_module

    from django.apps import apps
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.utils import timezone

    from customers.models import Contact, Customer, Role, TermsAcceptance, TermsVersion, User
    from invoices.models import Invoice

    has_tickets = apps.is_installed("tickets")
    terms = TermsVersion.objects.current()
    if terms is None:
        terms = TermsVersion.objects.create(
            version="load-1", published_at=timezone.now(), text_id="Syarat", text_en="Terms"
        )
    user = User.objects.filter(email=EMAIL).first()
    if user is None:
        user = User.objects.create_user(EMAIL, password=secrets.token_urlsafe(16))
        customer = Customer.objects.create(
            kind=Customer.Kind.PERSON,
            name="Budi Beban",
            address="Jl. Uji Beban 1",
            city="Jakarta",
            postal_code="10110",
            phone="081234567890",
        )
        Contact.objects.create(
            customer=customer, user=user, role=Role.RESPONSIBLE, full_name="Budi Beban",
            phone="081234567890",
        )  # fmt: skip
    customer = user.contact.customer
    TermsAcceptance.objects.get_or_create(user=user, terms=terms)
    today = timezone.localdate()
    missing = ROWS - Invoice.objects.filter(customer=customer).count()
    paid_at = timezone.now()
    Invoice.objects.bulk_create(
        Invoice(
            customer=customer,
            number=f"LOAD-{customer.pk}-{i:04d}",
            status=Invoice.Status.PAID if i % 3 else Invoice.Status.UNPAID,
            paid_at=paid_at if i % 3 else None,
            amount_paid=Decimal("166500") if i % 3 else Decimal("0"),
            issue_date=today - timedelta(days=30 * i),
            due_date=today - timedelta(days=30 * i - 14),
            subtotal=Decimal("150000"),
            ppn_rate=Decimal("0.1100"),
            ppn_amount=Decimal("16500"),
            total=Decimal("166500"),
            unique_code=100 + i,
        )
        for i in range(missing)
    )
    if has_tickets:
        from orders.models import Department, Priority
        from tickets.models import Category, Ticket

        missing = ROWS - Ticket.objects.filter(customer=customer).count()
        Ticket.objects.bulk_create(
            Ticket(
                number=f"LOAD-{customer.pk}-{i:04d}",
                customer=customer,
                category=Category.values[i % len(Category.values)],
                department=Department.values[i % len(Department.values)],
                priority=Priority.values[0],
                subject=f"Pertanyaan nomor {i}",
                opened_by=user,
            )
            for i in range(missing)
        )
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key, has_tickets


def wait_for(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.3)
    sys.exit(f"gunicorn did not answer {url} within {timeout} s")


def check_page(url: str, cookie: str | None) -> None:
    """The page answers 200 itself (not a redirect to login or to the terms)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    response = urllib.request.build_opener(NoRedirect).open(request, timeout=10)
    if response.status != 200:
        sys.exit(f"{url} answered {response.status}, not 200")


def run_wrk(url: str, cookie: str | None, args) -> dict[str, float]:
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(
        [*command, "--latency", url], capture_output=True, text=True, check=True
    ).stdout
    return parse_wrk(output)


UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def parse_wrk(output: str) -> dict[str, float]:
    """Requests/s, p50 and p99 (ms), and the count of non-2xx/3xx answers."""

    def latency(percent: str) -> float:
        match = re.search(rf"^\s*{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
        return float(match.group(1)) * UNITS_MS[match.group(2)]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return {
        "rps": rps,
        "p50": latency("50"),
        "p99": latency("99"),
        "errors": int(errors.group(1)) if errors else 0,
    }


def logged_in_client(session_key: str):
    """Django's test Client with the customer's session cookie; no access log lines."""
    from django.conf import settings
    from django.test import Client

    # Production logs one access line per request; not hundreds of them here.
    logging.getLogger("core.access").setLevel(logging.WARNING)
    client = Client(HTTP_HOST="127.0.0.1")
    client.cookies[settings.SESSION_COOKIE_NAME] = session_key
    return client


def instructions(call) -> int:
    """The Python bytecode instructions ``call()`` executes, in every Python frame."""
    count = 0

    def local(frame, event, arg):
        nonlocal count
        if event == "opcode":
            count += 1
        return local

    def start(frame, event, arg):
        frame.f_trace_opcodes = True
        frame.f_trace_lines = False
        return local

    sys.settrace(start)
    try:
        call()
    finally:
        sys.settrace(None)
    return count


def statements_of(client, path: str) -> list[str]:
    """The SQL statements of one request (the kept connection's check aside)."""
    from django.db import connection

    statements = []

    def record(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        client.get(path)
    return statements


def count(paths: list[str], session_key: str) -> None:
    """Per path: SQL queries and instructions of one request (the least of five, after
    two that warm the caches), and CPU time outside the tracer (median of 50)."""
    from statistics import median

    client = logged_in_client(session_key)
    print(f"{'path':<14} {'queries':>7} {'k instructions':>15} {'CPU ms':>7}")
    for path in paths:
        for _ in range(2):
            assert client.get(path).status_code == 200, path
        queries = len(statements_of(client, path))
        least = min(instructions(partial(client.get, path)) for _ in range(5))
        times = []
        for _ in range(50):
            start = time.process_time()
            client.get(path)
            times.append(time.process_time() - start)
        print(f"{path:<14} {queries:>7} {least / 1000:>15.1f} {median(times) * 1000:>7.2f}")


def profile(path: str, session_key: str) -> None:
    """pyinstrument over 50 requests of one page through Django's test Client, in-process."""
    from pyinstrument import Profiler

    client = logged_in_client(session_key)
    assert client.get(path).status_code == 200
    statements = statements_of(client, path)
    print(f"{path}: {len(statements)} SQL queries per request (the connection check aside)")
    for sql in statements:
        print(f"  {sql[:110]}")
    start = time.perf_counter()
    for _ in range(50):
        client.get(path)
    print(f"{path}: {(time.perf_counter() - start) * 20:.1f} ms/request (wall clock)")
    profiler = Profiler(interval=0.0005)
    with profiler:
        for _ in range(50):
            client.get(path)
    print(profiler.output_text(unicode=False, color=False))


def main() -> None:
    args = parse_args()
    if not (args.profile or args.count is not None or shutil.which("wrk")):
        sys.exit("wrk is missing: apt-get install -y wrk")
    sys.path.insert(0, str(BASE_DIR))
    tmp = Path(tempfile.mkdtemp(prefix="masternet-load-"))
    port = free_port()
    env = environment(tmp, port, args.workers)
    os.environ.update(env)
    create_database()
    print("migrate, collectstatic ...", flush=True)
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")
    session_key, has_tickets = load_data()
    if args.profile:
        profile(args.profile, session_key)
        return
    if args.count is not None:
        default = ["/bench/bare/", "/dashboard/", "/invoices/"]
        count(args.count or default + (["/tickets/"] if has_tickets else []), session_key)
        return
    from django.conf import settings

    cookie = f"{settings.SESSION_COOKIE_NAME}={session_key}"
    base = f"http://127.0.0.1:{port}"
    pages = [
        ("bare view", "/bench/bare/", None),
        ("dashboard", "/dashboard/", cookie),
        ("invoice list (50)", "/invoices/", cookie),
    ]
    if has_tickets:
        pages.append(("ticket list (50)", "/tickets/", cookie))
    else:
        print("tickets app not installed: no ticket list")

    log = open(tmp / "gunicorn.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [
            str(BASE_DIR / ".venv" / "bin" / "gunicorn"),
            "-c",
            str(BASE_DIR / "scripts" / "gunicorn.conf.py"),
            "masternet.wsgi",
        ],
        env=env,
        cwd=BASE_DIR,
        stdout=log,
        stderr=log,
    )
    try:
        wait_for(base + "/bench/bare/")
        for _label, path, page_cookie in pages:
            check_page(base + path, page_cookie)
        results = []
        for label, path, page_cookie in pages:
            print(f"wrk {args.duration} s: {label} {path}", flush=True)
            results.append((label, path, run_wrk(base + path, page_cookie, args)))
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()

    bare = results[0][2]["rps"]
    print()
    print(
        f"gunicorn {args.workers} workers, wrk -t{args.threads} -c{args.connections} "
        f"-d{args.duration}s; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}"
    )
    header = f"{'page':<20} {'path':<14} {'req/s':>8} {'ratio':>6} {'p50 ms':>7} {'p99 ms':>7}"
    print(header)
    print("-" * len(header))
    failed = False
    for label, path, figures in results:
        ratio = figures["rps"] / bare
        ok = ratio >= RATIO_TARGET and figures["p99"] < P99_TARGET_MS and not figures["errors"]
        failed |= not ok
        print(
            f"{label:<20} {path:<14} {figures['rps']:>8.1f} {ratio:>6.2f} "
            f"{figures['p50']:>7.1f} {figures['p99']:>7.1f}  {'ok' if ok else 'MISSED'}"
            + (f" ({figures['errors']} non-2xx)" if figures["errors"] else "")
        )
    print(f"targets: ratio >= {RATIO_TARGET}, p99 < {P99_TARGET_MS:.0f} ms")
    shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
