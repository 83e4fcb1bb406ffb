"""How long the scheduled billing jobs take at 100,000 open invoices and 100,000 services.

Loads with PostgreSQL COPY 20,000 customers (each with a user and a responsible
contact), 100,000 unpaid invoices (5 per customer) whose due dates are spread evenly
over 60 days around the benchmark day, and 100,000 active monthly hosting services
(20,000 orders, 5 services each, on 4 products with a monthly plan) whose next invoice
is issued on the benchmark day. Then runs, each in a fresh process so that its peak
RSS (``ru_maxrss``) is the job's own:

    reminders: a day                 jobs.sweep_reminders(today=DAY) after the previous
                                     day's sweep (its reminders marked sent): each kind
                                     finds the ~1/60 of the invoices due that day
    reminders: a day, second run     the same again: must find nothing new
    reminders: all due, one kind     all 100,000 invoices due in 7 days: 100,000
                                     "7 days before" reminders at once (worst case)
    reminders: all due, second run   the same again
    recurring invoices               jobs.issue_recurring_invoices(today=DAY): one
                                     invoice per service
    recurring invoices, second run   the same again: must issue nothing

and prints the seconds, the peak RSS, the rows created (reminders; invoices and their
lines) and the Celery messages enqueued. The jobs run with CELERY_TASK_ALWAYS_EAGER off
and the filesystem broker in a temporary folder: the reminder and invoice mails are
enqueued, never sent, so sending is not timed. Django is set up in each measuring
process without ``migrate`` (the parent migrated), which would otherwise set the peak.

Targets: the sweep under 10 s and 300 MB; its second run under 2 s; the recurring run
under 60 s. A measurement over target (every one with ``--profile``) is run again
under cProfile and its 25 costliest functions printed; the recurring run is profiled
over its first 5,000 services only (the cost per service is the same).

Run:
    .venv/bin/python benchmarks/billing_jobs.py [--reset] [--profile]

The data is loaded once into the benchmark database (DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/masternet_bench) and reused while its counts are
there. It lives beside the other benchmarks' rows: its customers are those whose
users' e-mail addresses are bench-jobs-*@example.co.id, its services those of the
bench-jobs-* products. ``--reset`` deletes its invoices, reminders, orders and services
and loads them again; the customers stay (other benchmarks, e.g. tickets_admin.py, may
have given them services) and are reused. Every run first puts its rows back as
loaded (no reminders, no recurring invoices, services due on DAY) and does so again at
the end. DAY is 1 July 2030, after every due date the other benchmarks load, so that
their unpaid invoices are not due.
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import common

CUSTOMERS = 20_000
PER_CUSTOMER = 5  # invoices, and services, per customer
INVOICES = SERVICES = CUSTOMERS * PER_CUSTOMER
DAY = date(2030, 7, 1)  # "today" of every job
NEXT_PERIOD = date(2030, 7, 15)  # the services' next period starts 14 days after DAY
SPREAD_DAYS = 60  # due dates DAY - 30 .. DAY + 29
EMAIL_PREFIX = "bench-jobs-"
MINE = (
    "SELECT c.customer_id FROM customers_contact c JOIN customers_user u ON u.id = c.user_id"
    f" WHERE starts_with(u.email, '{EMAIL_PREFIX}')"
)
SEED = 20261125
NULL = r"\N"
WIB = "+07"
# (slug, product, plan, monthly price in rupiah)
CATALOGUE = [
    ("bench-jobs-personal", "Hosting Personal", "1 GB", 35_000),
    ("bench-jobs-bisnis", "Hosting Bisnis", "5 GB", 150_000),
    ("bench-jobs-korporat", "Hosting Korporat", "20 GB", 450_000),
    ("bench-jobs-vps", "VPS", "2 vCPU / 4 GB", 375_000),
]
SWEEP_SECONDS, SWEEP_MB, SECOND_RUN_SECONDS, RECURRING_SECONDS = 10, 300, 2, 60
PROFILED_SERVICES = 5_000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reset", action="store_true", help="delete this script's rows, load")
    parser.add_argument("--profile", action="store_true", help="profile even within target")
    # Internal: the measuring process.
    parser.add_argument("--measure", choices=["reminders", "invoices"], help=argparse.SUPPRESS)
    parser.add_argument("--cprofile", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


# --- COPY --------------------------------------------------------------------------


def copy_rows(cursor, table: str, columns: list[str], rows) -> int:
    """COPY rows (tuples of text, NULL as \\N) into ``table``, 10,000 lines a write."""
    count, batch = 0, []
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            batch.append("\t".join(row))
            if len(batch) == 10_000:
                copy.write("\n".join(batch) + "\n")
                count, batch = count + len(batch), []
        if batch:
            copy.write("\n".join(batch) + "\n")
    return count + len(batch)


def next_id(cursor, table: str) -> int:
    cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")
    return cursor.fetchone()[0]


def restart_id_sequence(cursor, table: str) -> None:
    """After COPY with explicit ids, the identity continues after the highest one."""
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
    )


# --- Customers, users, contacts ----------------------------------------------------


def load_customers(cursor) -> tuple[list[int], list[int]]:
    """20,000 people, each with a user and a responsible contact: (customer ids, user ids)."""
    from faker import Faker

    fake = Faker("id_ID")
    fake.seed_instance(SEED)
    names = [fake.name() for _ in range(CUSTOMERS)]
    streets = [fake.street_address() for _ in range(500)]
    cities = [fake.city() for _ in range(100)]
    first_customer = next_id(cursor, "customers_customer")
    first_user = next_id(cursor, "customers_user")
    customers = list(range(first_customer, first_customer + CUSTOMERS))
    users = list(range(first_user, first_user + CUSTOMERS))
    joined = f"2028-01-01 09:00:00{WIB}"
    copy_rows(
        cursor,
        "customers_customer",
        ["id", "kind", "name", "address", "city", "postal_code", "phone", "npwp"]
        + ["revalidation_reason", "created_at"],
        (
            (str(c), "person", name, streets[n % 500], cities[n % 100], f"{40_000 + n % 999}")
            + (f"0812{n:08d}", "", "", joined)
            for n, (c, name) in enumerate(zip(customers, names, strict=True))
        ),
    )
    copy_rows(
        cursor,
        "customers_user",
        ["id", "password", "is_superuser", "first_name", "last_name", "is_staff", "is_active"]
        + ["date_joined", "email", "language"],
        (
            (str(u), "!bench-unusable", "f", "", "", "f", "t", joined)
            + (f"{EMAIL_PREFIX}{n:05d}@example.co.id", "id")
            for n, u in enumerate(users)
        ),
    )
    first_contact = next_id(cursor, "customers_contact")
    copy_rows(
        cursor,
        "customers_contact",
        ["id", "role", "full_name", "phone", "position", "created_at", "user_id", "customer_id"],
        (
            (str(first_contact + n), "responsible", names[n], "0812 3456 7890", "", joined)
            + (str(u), str(c))
            for n, (c, u) in enumerate(zip(customers, users, strict=True))
        ),
    )
    return customers, users


# --- Unpaid invoices -----------------------------------------------------------------


def due_date_of(n: int) -> date:
    """Invoice ``n``'s due date: the 60 days around DAY, in turn."""
    return DAY - timedelta(days=SPREAD_DAYS // 2) + timedelta(days=n % SPREAD_DAYS)


def load_invoices(cursor, customers: list[int]) -> None:
    """100,000 unpaid invoices, 5 per customer, numbered on from DAY's year sequence."""
    from invoices.models import DocumentSequence

    sequence, _ = DocumentSequence.objects.get_or_create(kind="INV", year=DAY.year)
    first_id, first_number = next_id(cursor, "invoices_invoice"), sequence.last_number + 1
    prices = [price for *_, price in CATALOGUE]

    def rows():
        for n in range(INVOICES):
            number, due = first_number + n, due_date_of(n)
            subtotal = prices[n % len(prices)]
            ppn = subtotal * 11 // 100
            yield (
                str(first_id + n),
                f"INV/{DAY.year}/{number:06d}",
                "unpaid",
                (due - timedelta(days=7)).isoformat(),
                due.isoformat(),
                f"{subtotal}.00",
                "0.1100",
                f"{ppn}.00",
                f"{subtotal + ppn}.00",
                str(number % 999 + 1),
                "0.00",
                NULL,
                f"{due - timedelta(days=7)} 08:00:00{WIB}",
                str(customers[n % CUSTOMERS]),
            )

    copy_rows(
        cursor,
        "invoices_invoice",
        ["id", "number", "status", "issue_date", "due_date", "subtotal", "ppn_rate"]
        + ["ppn_amount", "total", "unique_code", "amount_paid", "paid_at", "created_at"]
        + ["customer_id"],
        rows(),
    )
    sequence.last_number = first_number + INVOICES - 1
    sequence.save(update_fields=["last_number"])


# --- Catalogue, orders, services -----------------------------------------------------


def catalogue() -> list:
    """The 4 hosting products with their monthly plan (created once, by the ORM)."""
    from orders.models import Plan, Product, ProductGroup

    group, _ = ProductGroup.objects.get_or_create(
        slug="bench-jobs-hosting",
        defaults={"kind": "hosting", "name_id": "Hosting (benchmark)", "name_en": "Hosting"},
    )
    plans = []
    for slug, name, plan_name, price in CATALOGUE:
        product, _ = Product.objects.get_or_create(
            slug=slug,
            defaults={"group": group, "name_id": name, "name_en": name, "needs_domain": True},
        )
        plan, _ = Plan.objects.get_or_create(
            product=product, name=plan_name, cycle="monthly", defaults={"price": price}
        )
        plans.append(plan)
    return plans


def load_services(cursor, customers: list[int], users: list[int]) -> None:
    """One order per customer with 5 monthly services, active for 1 to 24 months; each
    service's next period starts on NEXT_PERIOD and its invoice is issued on DAY."""
    from invoices.periods import add_months

    plans = catalogue()
    first_order = next_id(cursor, "orders_order")
    copy_rows(
        cursor,
        "orders_order",
        ["id", "placed_at", "aup_accepted_at", "aup_ip_address", "aup_version", "staff_note"]
        + ["customer_id", "placed_by_id"],
        (
            (str(first_order + n), f"2028-06-01 10:00:00{WIB}", f"2028-06-01 10:00:00{WIB}")
            + ("198.51.100.4", "2026-1", "", str(c), str(u))
            for n, (c, u) in enumerate(zip(customers, users, strict=True))
        ),
    )
    first_service = next_id(cursor, "orders_service")
    period_start = add_months(NEXT_PERIOD, -1)

    def rows():
        for n in range(SERVICES):
            customer = n // PER_CUSTOMER
            plan = plans[n % len(plans)]
            anchor = add_months(NEXT_PERIOD, -(1 + n % 24))  # the 15th: every month has it
            yield (
                str(first_service + n),
                f"toko-{customer:05d}-{n % PER_CUSTOMER}.co.id",
                "",
                "monthly",
                f"{plan.price}",
                "active",
                "",
                period_start.isoformat(),
                (NEXT_PERIOD - timedelta(days=1)).isoformat(),
                NEXT_PERIOD.isoformat(),
                f"{anchor} 10:00:00{WIB}",
                NULL,
                f"{anchor} 10:00:00{WIB}",
                str(customers[customer]),
                str(first_order + customer),
                str(plan.pk),
                str(plan.product_id),
                (anchor - timedelta(days=14)).isoformat(),  # the 1st of the month
                anchor.isoformat(),
                DAY.isoformat(),
                NULL,
                "",
            )

    copy_rows(
        cursor,
        "orders_service",
        ["id", "domain_name", "domain_action", "cycle", "recurring_price", "status"]
        + ["status_reason", "period_start", "period_end", "next_due_date", "activated_at"]
        + ["warranty_end", "created_at", "customer_id", "order_id", "plan_id", "product_id"]
        + ["invoice_anchor", "period_anchor", "next_invoice_date", "suspended_for_id", "label"],
        rows(),
    )


# --- Loading, putting back, deleting ---------------------------------------------------


LOADED_TABLES = [
    "customers_customer",
    "customers_user",
    "customers_contact",
    "invoices_invoice",
    "orders_order",
    "orders_service",
]
MY_INVOICES = (  # the unpaid invoices loaded here (not the recurring run's)
    f"SELECT id FROM invoices_invoice WHERE customer_id IN ({MINE})"
    " AND service_id IS NULL AND order_id IS NULL"
)
MY_SERVICES = (
    "SELECT s.id FROM orders_service s JOIN orders_product p ON p.id = s.product_id"
    " WHERE starts_with(p.slug, 'bench-jobs-')"
)


def counts() -> tuple[int, int, int]:
    """(this script's customers, unpaid invoices, active services)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({MINE}) c")
        customers = cursor.fetchone()[0]
        cursor.execute(
            f"SELECT COUNT(*) FROM invoices_invoice WHERE id IN ({MY_INVOICES})"
            " AND status = 'unpaid'"
        )
        invoices = cursor.fetchone()[0]
        cursor.execute(
            f"SELECT COUNT(*) FROM orders_service WHERE id IN ({MY_SERVICES}) AND status = 'active'"
        )
        return customers, invoices, cursor.fetchone()[0]


def is_loaded() -> bool:
    return counts() == (CUSTOMERS, INVOICES, SERVICES)


def own_customers(cursor) -> tuple[list[int], list[int]]:
    """(customer ids, user ids) of the customers loaded earlier, in the order loaded."""
    cursor.execute(
        "SELECT c.customer_id, c.user_id FROM customers_contact c"
        " JOIN customers_user u ON u.id = c.user_id"
        f" WHERE starts_with(u.email, '{EMAIL_PREFIX}') ORDER BY u.email"
    )
    pairs = cursor.fetchall()
    return [customer for customer, _ in pairs], [user for _, user in pairs]


def load() -> float:
    """What is missing, in one transaction, then VACUUM ANALYZE; the seconds it took.
    Customers are kept by ``--reset`` (other benchmarks, e.g. tickets_admin.py, give
    them services of their own) and reused."""
    from django.db import connection, transaction

    start = time.perf_counter()
    customers_there, invoices_there, services_there = counts()
    if (customers_there, invoices_there, services_there) != (
        customers_there and CUSTOMERS,
        invoices_there and INVOICES,
        services_there and SERVICES,
    ):
        raise SystemExit("Part of the data is missing: run again with --reset.")
    with transaction.atomic(), connection.cursor() as wrapper:
        cursor = wrapper.cursor  # psycopg's own cursor, for COPY
        # The ids are taken after the highest ones: no other loader may insert meanwhile.
        cursor.execute(
            f"LOCK TABLE invoices_documentsequence, {', '.join(LOADED_TABLES)}"
            " IN SHARE ROW EXCLUSIVE MODE"
        )
        if customers_there:
            customers, users = own_customers(cursor)
        else:
            customers, users = load_customers(cursor)
            print(f"  customers, users, contacts: {time.perf_counter() - start:.1f} s")
        if not invoices_there:
            load_invoices(cursor, customers)
            print(f"  invoices: {time.perf_counter() - start:.1f} s")
        if not services_there:
            load_services(cursor, customers, users)
            print(f"  orders, services: {time.perf_counter() - start:.1f} s")
        for table in LOADED_TABLES:
            restart_id_sequence(cursor, table)
    vacuum(LOADED_TABLES)
    print(f"  VACUUM ANALYZE: {time.perf_counter() - start:.1f} s")
    return time.perf_counter() - start


def vacuum(tables: list[str]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM (ANALYZE) {table}")


RECURRING_INVOICES = f"SELECT id FROM invoices_invoice WHERE service_id IN ({MY_SERVICES})"


def put_back() -> None:
    """The state as loaded: no reminders on these invoices, their due dates spread, none
    of the recurring invoices, every service's next invoice on DAY."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        # Two statements: with an OR of the two subqueries PostgreSQL can no longer join,
        # and runs a subquery per reminder (minutes at 100,000 reminders).
        cursor.execute(f"DELETE FROM invoices_reminder WHERE invoice_id IN ({MY_INVOICES})")
        cursor.execute(f"DELETE FROM invoices_reminder WHERE invoice_id IN ({RECURRING_INVOICES})")
        cursor.execute(
            f"DELETE FROM invoices_invoiceline WHERE invoice_id IN ({RECURRING_INVOICES})"
        )
        cursor.execute(f"DELETE FROM invoices_historicalinvoice WHERE id IN ({RECURRING_INVOICES})")
        cursor.execute(f"DELETE FROM invoices_invoice WHERE id IN ({RECURRING_INVOICES})")
        cursor.execute(
            "UPDATE invoices_documentsequence SET last_number = (SELECT"
            " COALESCE(MAX(SUBSTRING(number FROM 10)::int), 0) FROM invoices_invoice"
            " WHERE number LIKE %s) WHERE kind = 'INV' AND year = %s",
            [f"INV/{DAY.year}/%", DAY.year],
        )
        cursor.execute(
            "UPDATE orders_service SET next_invoice_date = %s, next_due_date = %s"
            f" WHERE id IN ({MY_SERVICES}) AND next_invoice_date <> %s",
            [DAY, NEXT_PERIOD, DAY],
        )
        spread_due_dates(cursor)
    vacuum(["invoices_invoice", "invoices_reminder", "orders_service"])


def spread_due_dates(cursor) -> None:
    """Due dates back over the 60 days (the order of the ids, as loaded)."""
    cursor.execute(
        "UPDATE invoices_invoice i SET due_date = %s::date + (n.k %% %s)::int,"
        " issue_date = %s::date + (n.k %% %s)::int - 7"
        " FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) - 1 AS k"
        f"  FROM ({MY_INVOICES}) mine) n"
        " WHERE i.id = n.id AND i.due_date <> %s::date + (n.k %% %s)::int",
        [due_date_of(0), SPREAD_DAYS, due_date_of(0), SPREAD_DAYS, due_date_of(0), SPREAD_DAYS],
    )


def all_due_in_a_week() -> None:
    """Every one of these invoices due on DAY + 7: all of them "7 days before" on DAY."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE invoices_invoice SET due_date = %s, issue_date = %s"
            f" WHERE id IN ({MY_INVOICES})",
            [DAY + timedelta(days=7), DAY],
        )
    vacuum(["invoices_invoice"])


def previous_day_done() -> None:
    """Yesterday's sweep ran and the workers sent what it found."""
    from invoices import jobs
    from invoices.models import Reminder

    jobs.sweep_reminders(today=DAY - timedelta(days=1))
    Reminder.objects.filter(status=Reminder.Status.QUEUED).update(status=Reminder.Status.SENT)
    vacuum(["invoices_reminder"])


def reset() -> None:
    """Delete this script's invoices, reminders, orders and services (not the customers,
    which other benchmarks may share)."""
    from django.db import connection, transaction

    put_back()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_jobs_orders ON COMMIT DROP AS SELECT DISTINCT order_id"
            f" AS id FROM orders_service WHERE id IN ({MY_SERVICES})"
        )
        cursor.execute(f"DELETE FROM invoices_invoice WHERE id IN ({MY_INVOICES})")
        cursor.execute(f"DELETE FROM orders_service WHERE id IN ({MY_SERVICES})")
        cursor.execute("DELETE FROM orders_order WHERE id IN (SELECT id FROM bench_jobs_orders)")
        cursor.execute(
            "UPDATE invoices_documentsequence SET last_number = (SELECT"
            " COALESCE(MAX(SUBSTRING(number FROM 10)::int), 0) FROM invoices_invoice"
            " WHERE number LIKE %s) WHERE kind = 'INV' AND year = %s",
            [f"INV/{DAY.year}/%", DAY.year],
        )


# --- Measuring (in a fresh process) ------------------------------------------------------


def measure_here(job: str, profile: bool) -> None:
    """The measuring process: run one job on DAY and print its figures as JSON."""
    sys.path.insert(0, str(common.BASE_DIR))
    import django

    django.setup()
    from invoices import jobs
    from invoices.models import Invoice, InvoiceLine, Reminder

    def rows() -> dict[str, int]:
        return {
            "reminders": Reminder.objects.count(),
            "invoices": Invoice.objects.count(),
            "lines": InvoiceLine.objects.count(),
        }

    run = {"reminders": jobs.sweep_reminders, "invoices": jobs.issue_recurring_invoices}[job]
    before = rows()
    base_mb = peak_rss_mb()
    profiler = cProfile.Profile() if profile else None
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    result = run(today=DAY)
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - start
    peak_mb = peak_rss_mb()
    after = rows()
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
        print(out.getvalue())
    figures = {
        "seconds": seconds,
        "base_mb": base_mb,
        "peak_mb": peak_mb,
        "done": len(result.done),
        "created": {name: after[name] - before[name] for name in after},
    }
    print("RESULT " + json.dumps(figures))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def measure(job: str, broker: Path, *, profile: bool = False) -> dict:
    """Run ``job`` in a fresh process; its figures, and the messages it enqueued."""
    shutil.rmtree(broker, ignore_errors=True)
    env = {**os.environ, "CELERY_BROKER_DIR": str(broker)}
    command = [sys.executable, __file__, "--measure", job] + (["--cprofile"] if profile else [])
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{job} failed:\n{done.stdout}\n{done.stderr}")
    *printed, last = done.stdout.strip().splitlines()
    if printed:
        print("\n".join(printed))
    figures = json.loads(last.removeprefix("RESULT "))
    figures["enqueued"] = sum(1 for path in broker.iterdir() if path.is_file())
    shutil.rmtree(broker, ignore_errors=True)
    return figures


# (label, job, target seconds, target MB)
STEADY = [
    ("reminders: a day", "reminders", SWEEP_SECONDS, SWEEP_MB),
    ("reminders: a day, second run", "reminders", SECOND_RUN_SECONDS, SWEEP_MB),
]
WORST = [
    ("reminders: all due, one kind", "reminders", SWEEP_SECONDS, SWEEP_MB),
    ("reminders: all due, second run", "reminders", SECOND_RUN_SECONDS, SWEEP_MB),
]
RECURRING = [
    ("recurring invoices", "invoices", RECURRING_SECONDS, None),
    ("recurring invoices, second run", "invoices", SECOND_RUN_SECONDS, None),
]


def prepare(group, *, profiling: bool = False) -> None:
    put_back()
    if group is STEADY:
        previous_day_done()
    elif group is WORST:
        all_due_in_a_week()
    elif profiling:
        only_some_services_due(PROFILED_SERVICES)


def only_some_services_due(count: int) -> None:
    """Profiling the recurring run: only the first ``count`` services are due on DAY
    (cProfile over all of them would take long; the cost per service is the same)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE orders_service SET next_invoice_date = %s"
            f" WHERE id IN ({MY_SERVICES} ORDER BY s.id OFFSET %s)",
            [DAY + timedelta(days=1), count],
        )


def run_group(group, broker: Path, profile: bool) -> list[tuple[str, dict, bool]]:
    """Each measurement of ``group`` in order; one over target is run again, profiled
    (after the group is prepared again and its earlier measurements repeated)."""
    prepare(group)
    results = []
    for label, job, seconds, mb in group:
        figures = measure(job, broker)
        over = figures["seconds"] >= seconds or (mb is not None and figures["peak_mb"] >= mb)
        results.append((label, figures, over))
        print(f"  {label}: {figures['seconds']:.2f} s, peak {figures['peak_mb']:.0f} MB")
    for index, (label, _, over) in enumerate(results):
        if over or profile:
            sample = f" ({PROFILED_SERVICES:,} services due)" if group is RECURRING else ""
            print(f"\n--- {label}: cProfile{sample} ---")
            prepare(group, profiling=True)
            for _, job, *_ in group[:index]:
                measure(job, broker)
            measure(group[index][1], broker, profile=True)
    return results


def main() -> None:
    args = parse_args()
    os.environ["CELERY_BROKER_URL"] = "filesystem://localhost/"
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    if args.measure:
        os.environ["DJANGO_SETTINGS_MODULE"] = "masternet.settings.local"
        os.environ.setdefault("DATABASE_URL", common.DEFAULT_DATABASE_URL)
        os.environ.setdefault("LOG_LEVEL", "WARNING")
        measure_here(args.measure, args.cprofile)
        return
    folder = Path(tempfile.mkdtemp(prefix="billing-jobs-"))
    os.environ["CELERY_BROKER_DIR"] = str(folder / "setup")
    common.setup_django()
    if args.reset:
        print("Deleting this benchmark's rows…")
        reset()
    if is_loaded():
        print("Data already loaded; reusing it (--reset to load again).")
    else:
        print(
            f"Loading what is missing of {CUSTOMERS:,} customers, {INVOICES:,} invoices"
            f" and {SERVICES:,} services…"
        )
        print(f"Loaded in {load():.0f} s.")
    try:
        results = []
        for group in (STEADY, WORST, RECURRING):
            results += run_group(group, folder / "broker", args.profile)
    finally:
        put_back()
        shutil.rmtree(folder, ignore_errors=True)
    report(results)


def report(results) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM invoices_invoice WHERE status = 'unpaid'")
        unpaid = cursor.fetchone()[0]
    print(f"\nBilling jobs on {DAY}, each in a fresh process:")
    print(
        f"{INVOICES:,} open invoices of {CUSTOMERS:,} customers ({unpaid:,} unpaid in the"
        f" database), {SERVICES:,} monthly services due for their next invoice."
    )
    print(
        f"Targets: sweep < {SWEEP_SECONDS} s and < {SWEEP_MB} MB, second run"
        f" < {SECOND_RUN_SECONDS} s, recurring run < {RECURRING_SECONDS} s."
    )
    rows = []
    for label, figures, over in results:
        created = figures["created"]
        rows.append(
            [
                label,
                f"{figures['seconds']:.2f}",
                f"{figures['peak_mb']:.0f}",
                f"{figures['base_mb']:.0f}",
                f"{created['reminders']:,}",
                f"{created['invoices']:,}",
                f"{created['lines']:,}",
                f"{figures['enqueued']:,}",
                "OVER" if over else "ok",
            ]
        )
    common.print_table(
        ["job", "s", "peak MB", "base MB", "reminders", "invoices", "lines", "enqueued", ""],
        rows,
    )


if __name__ == "__main__":
    main()
