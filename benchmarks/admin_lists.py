"""How long the staff's invoice and payment-confirmation lists take at a million invoices.

Loads 1,000,000 invoices (20,000 customers with their users and responsible contacts,
five years of issue dates, mixed statuses) and 100,000 payment confirmations with
PostgreSQL COPY, runs VACUUM ANALYZE, then requests the admin changelists as a
logged-in superuser through django.test.Client:

    /admin/invoices/invoice/                       unfiltered
    /admin/invoices/invoice/?status__exact=unpaid  filtered by status
    /admin/invoices/invoice/?q=INV/2025/000123     search by exact number ("=number")
    /admin/invoices/invoice/?p=2000                page 2000
    /admin/invoices/invoice/?q=<a customer's name> (extra: the other search field)
    /admin/invoices/paymentconfirmation/           unfiltered
    /admin/invoices/paymentconfirmation/?status__exact=pending

Each page: 2 warm-up requests, then 10 timed ones; the median (with p90, min, max) in ms
and the number of SQL queries per request are printed.

Target: every page under 500 ms. For a page over target (or all pages with
``--explain``) the request's slowest SQL query is run again under
EXPLAIN (ANALYZE, BUFFERS) and its plan printed.

Run:
    .venv/bin/python benchmarks/admin_lists.py [--reset] [--explain]

The data is loaded once into the benchmark database (DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/masternet_bench) and reused while the counts are
there. Other benchmarks share the database: this script's rows are recognised by its
users' e-mail addresses (bench-customer-*@example.co.id), and ``--reset`` deletes only
these rows (then loads again). The loaded invoices have no lines, payments or history
rows: the lists do not show them.
"""

# ruff: noqa: E402 -- Django is set up (settings, database, migrations) before the models load.
import argparse
import random
import time
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

import common

common.setup_django()

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from faker import Faker

from customers.models import Customer, User
from invoices.models import DocumentSequence, Invoice, PaymentConfirmation

INVOICES = 1_000_000
CUSTOMERS = 20_000
CONFIRMATIONS = 100_000
PENDING, REJECTED = 2_500, 6_000  # the other confirmations are approved
YEARS = 5
TARGET_MS = 500
WARM_UPS, RUNS = 2, 10
SEED = 20261125
EMAIL_PREFIX = "bench-customer-"  # this script's users, one per customer
NULL = r"\N"
WIB = "+07"
PRICES = [35_000, 75_000, 150_000, 175_000, 220_000, 300_000, 450_000, 750_000, 1_500_000]
BANKS = ["BCA", "Mandiri", "BNI", "BRI", "CIMB Niaga", "Permata"]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reset", action="store_true", help="empty and load the data again")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN every page")
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


# --- Customers, their users and responsible contacts --------------------------------


def customer_rows(first_id: int, names: list[str], rng: random.Random, fake: Faker):
    addresses = [fake.street_address() for _ in range(500)]
    cities = [fake.city() for _ in range(100)]
    for offset, name in enumerate(names):
        yield (
            str(first_id + offset),
            "person",
            name,
            rng.choice(addresses),
            rng.choice(cities),
            f"{rng.randint(10_000, 99_999)}",
            f"08{rng.randint(10**9, 10**10 - 1)}",
            "",
            "",
            f"2021-01-01 09:00:00{WIB}",
        )


def user_rows(first_id: int, count: int):
    for offset in range(count):
        yield (
            str(first_id + offset),
            "!bench-unusable",
            "f",
            "",
            "",
            "f",
            "t",
            f"2021-01-01 09:00:00{WIB}",
            f"{EMAIL_PREFIX}{first_id + offset}@example.co.id",
            "id",
        )


def contact_rows(first_id: int, customer_ids, user_ids, names):
    for offset, (customer_id, user_id, name) in enumerate(
        zip(customer_ids, user_ids, names, strict=True)
    ):
        yield (
            str(first_id + offset),
            "responsible",
            name,
            "0812 3456 7890",
            "",
            f"2021-01-01 09:00:00{WIB}",
            str(user_id),
            str(customer_id),
        )


def load_customers(cursor, rng: random.Random) -> dict[int, tuple[int, str]]:
    """20,000 people, each with a user and a responsible contact: {customer id: (user, name)}."""
    fake = Faker("id_ID")
    fake.seed_instance(SEED)
    names = [fake.name() for _ in range(CUSTOMERS)]
    customer_id = next_id(cursor, "customers_customer")
    user_id = next_id(cursor, "customers_user")
    customer_ids = range(customer_id, customer_id + CUSTOMERS)
    user_ids = range(user_id, user_id + CUSTOMERS)
    copy_rows(
        cursor,
        "customers_customer",
        ["id", "kind", "name", "address", "city", "postal_code", "phone", "npwp"]
        + ["revalidation_reason", "created_at"],
        customer_rows(customer_id, names, rng, fake),
    )
    copy_rows(
        cursor,
        "customers_user",
        ["id", "password", "is_superuser", "first_name", "last_name", "is_staff", "is_active"]
        + ["date_joined", "email", "language"],
        user_rows(user_id, CUSTOMERS),
    )
    copy_rows(
        cursor,
        "customers_contact",
        ["id", "role", "full_name", "phone", "position", "created_at", "user_id", "customer_id"],
        contact_rows(next_id(cursor, "customers_contact"), customer_ids, user_ids, names),
    )
    return dict(zip(customer_ids, zip(user_ids, names, strict=True), strict=True))


# --- Invoices ----------------------------------------------------------------------


def invoice_status(age_days: int, rng: random.Random) -> str:
    """Recent invoices are often unpaid; older ones paid, some cancelled or refunded."""
    roll = rng.random()
    if age_days <= 30:
        return "unpaid" if roll < 0.6 else "paid" if roll < 0.98 else "draft"
    if roll < 0.9:
        return "paid"
    return "cancelled" if roll < 0.96 else "unpaid" if roll < 0.985 else "refunded"


def issue_dates(rng: random.Random, today: date) -> list[date]:
    """One issue date per invoice over the last five years, oldest first."""
    days = sorted(rng.randrange(YEARS * 365) for _ in range(INVOICES))
    return [today - timedelta(days=YEARS * 365 - 1 - day) for day in days]


def invoice_rows(first_id, dates, customer_ids, numbers, rng, today, kept):
    """The invoice rows; each invoice's (id, customer, date, status, total, code) go to kept."""
    for offset, issued in enumerate(dates):
        invoice_id = first_id + offset
        number = numbers[issued.year] = numbers.get(issued.year, 0) + 1
        status = invoice_status((today - issued).days, rng)
        subtotal = rng.choice(PRICES) * rng.choice([1, 1, 1, 2, 3, 12])
        ppn = subtotal * 11 // 100
        code = number % 999 + 1
        paid = status in ("paid", "refunded")
        customer_id = rng.choice(customer_ids)
        kept.append((invoice_id, customer_id, issued, status, subtotal + ppn, code))
        yield (
            str(invoice_id),
            f"INV/{issued.year}/{number:06d}",
            status,
            issued.isoformat(),
            (issued + timedelta(days=7)).isoformat(),
            f"{subtotal}.00",
            "0.1100",
            f"{ppn}.00",
            f"{subtotal + ppn}.00",
            str(code),
            f"{subtotal + ppn if paid else 0}.00",
            f"{issued + timedelta(days=rng.randint(0, 6))} 10:15:00{WIB}" if paid else NULL,
            f"{issued} 08:00:00{WIB}",
            str(customer_id),
        )


def load_invoices(cursor, rng: random.Random, customer_ids: list[int]) -> list[tuple]:
    """1,000,000 invoices numbered on from each year's sequence, which is then moved on."""
    today = timezone.localdate()
    numbers = dict(DocumentSequence.objects.filter(kind="INV").values_list("year", "last_number"))
    kept = []
    rows = invoice_rows(
        next_id(cursor, "invoices_invoice"),
        issue_dates(rng, today),
        customer_ids,
        numbers,
        rng,
        today,
        kept,
    )
    copy_rows(
        cursor,
        "invoices_invoice",
        ["id", "number", "status", "issue_date", "due_date", "subtotal", "ppn_rate"]
        + ["ppn_amount", "total", "unique_code", "amount_paid", "paid_at", "created_at"]
        + ["customer_id"],
        rows,
    )
    for year, last_number in numbers.items():
        DocumentSequence.objects.update_or_create(
            kind="INV", year=year, defaults={"last_number": last_number}
        )
    return kept


# --- Payment confirmations ---------------------------------------------------------


def chosen_confirmations(invoices: list[tuple], rng: random.Random) -> list[tuple]:
    """(status, invoice) pairs: pending ones on unpaid invoices, the rest on paid ones."""
    unpaid = [i for i in invoices if i[3] == "unpaid"]
    paid = [i for i in invoices if i[3] in ("paid", "refunded")]
    approved = CONFIRMATIONS - PENDING - REJECTED
    chosen = [("pending", i) for i in rng.sample(unpaid, PENDING)]
    chosen += [("rejected", i) for i in rng.sample(paid, REJECTED)]
    chosen += [("approved", i) for i in rng.sample(paid, approved)]
    return sorted(chosen, key=lambda pair: pair[1][2])  # by issue date, as they come in


def confirmation_amount(status: str, total: int, code: int, rng: random.Random) -> int:
    """The balance plus the unique code; a fifth of the pending ones differ (flagged)."""
    if status == "pending" and rng.random() < 0.2:
        return max(total - rng.randint(1, 50) * 1_000, 10_000)
    return total + code


def confirmation_rows(first_id, chosen, customers, staff_id, bank_ids, rng):
    for offset, (status, (invoice_id, customer_id, issued, _, total, code)) in enumerate(chosen):
        user_id, name = customers[customer_id]
        transferred = issued + timedelta(days=rng.randint(0, 6))
        submitted = datetime.combine(transferred, datetime.min.time()) + timedelta(
            hours=rng.randint(7, 22), minutes=rng.randint(0, 59)
        )
        decided = submitted + timedelta(hours=rng.randint(1, 30))
        yield (
            str(first_id + offset),
            f"{submitted:%Y-%m-%d %H:%M:%S}{WIB}",
            rng.choice(BANKS),
            name.upper()[:100],
            f"{confirmation_amount(status, total, code, rng)}.00",
            transferred.isoformat(),
            f"proofs/{customer_id}/bench{first_id + offset:08d}.jpg",
            "image/jpeg",
            ".jpg",
            "",
            status,
            NULL if status == "pending" else f"{decided:%Y-%m-%d %H:%M:%S}{WIB}",
            "Bukti transfer tidak terbaca." if status == "rejected" else "",
            NULL if status == "pending" else str(staff_id),
            str(invoice_id),
            str(user_id),
            str(rng.choice(bank_ids)),
        )


def load_confirmations(cursor, rng, invoices, customers) -> None:
    """100,000 confirmations by the customers' users, decided by the benchmark's staff."""
    staff_id = common.ensure_superuser().pk
    bank_ids = [account.pk for account in common.ensure_bank_accounts()]
    rows = confirmation_rows(
        next_id(cursor, "invoices_paymentconfirmation"),
        chosen_confirmations(invoices, rng),
        customers,
        staff_id,
        bank_ids,
        rng,
    )
    copy_rows(
        cursor,
        "invoices_paymentconfirmation",
        ["id", "submitted_at", "bank_name", "sender_account_name", "amount", "transfer_date"]
        + ["proof", "proof_content_type", "proof_extension", "note", "status", "decided_at"]
        + ["rejection_reason", "decided_by_id", "invoice_id", "submitted_by_id", "to_account_id"],
        rows,
    )


# --- Loading -----------------------------------------------------------------------


LOADED_TABLES = [
    "customers_customer",
    "customers_user",
    "customers_contact",
    "invoices_invoice",
    "invoices_paymentconfirmation",
]


# Other benchmarks share the database: this script's rows are those of its users.
RESET_STATEMENTS = [
    "CREATE TEMP TABLE bench_users ON COMMIT DROP AS"
    " SELECT id FROM customers_user WHERE email LIKE %(prefix)s",
    "CREATE TEMP TABLE bench_customers ON COMMIT DROP AS SELECT customer_id AS id"
    " FROM customers_contact WHERE user_id IN (SELECT id FROM bench_users)",
    "DELETE FROM invoices_paymentconfirmation"
    " WHERE submitted_by_id IN (SELECT id FROM bench_users)",
    "DELETE FROM invoices_invoice WHERE customer_id IN (SELECT id FROM bench_customers)",
    "DELETE FROM customers_contact WHERE user_id IN (SELECT id FROM bench_users)",
    "DELETE FROM customers_customer WHERE id IN (SELECT id FROM bench_customers)",
    "DELETE FROM customers_user WHERE id IN (SELECT id FROM bench_users)",
    # Each year's numbering goes on after the highest invoice number left.
    "UPDATE invoices_documentsequence AS s SET last_number = COALESCE("
    " (SELECT MAX(SPLIT_PART(number, '/', 3)::integer) FROM invoices_invoice"
    "  WHERE number LIKE 'INV/' || s.year || '/%%'), 0) WHERE kind = 'INV'",
]
# Taken before loading, sequences first (as invoice_issue takes them), so that no other
# process inserts between reading the highest ids and numbers and the commit.
LOCK_STATEMENT = (
    "LOCK TABLE invoices_documentsequence, customers_user, customers_customer,"
    " customers_contact, invoices_invoice, invoices_paymentconfirmation"
    " IN SHARE ROW EXCLUSIVE MODE"
)


def own_users():
    return User.objects.filter(email__startswith=EMAIL_PREFIX)


def is_loaded() -> bool:
    """This script's rows are there: its customers, their invoices and confirmations."""
    users = own_users()
    return (
        users.count() == CUSTOMERS
        and Invoice.objects.filter(customer__contacts__user__in=users).count() >= INVOICES
        and PaymentConfirmation.objects.filter(submitted_by__in=users).count() >= CONFIRMATIONS
    )


def reset() -> None:
    """Delete this script's rows (not the other benchmarks'), in one transaction."""
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in RESET_STATEMENTS:
            cursor.execute(statement, {"prefix": f"{EMAIL_PREFIX}%"})
    print(f"Deleted the loaded rows in {time.perf_counter() - start:.0f} s.")


def load() -> float:
    """Load everything in one transaction, then VACUUM ANALYZE; the seconds it took."""
    start = time.perf_counter()
    rng = random.Random(SEED)
    common.ensure_superuser()
    common.ensure_bank_accounts()
    with transaction.atomic(), connection.cursor() as wrapper:
        cursor = wrapper.cursor  # psycopg's own cursor, for COPY
        cursor.execute(LOCK_STATEMENT)
        customers = load_customers(cursor, rng)
        print(f"  customers, users, contacts: {time.perf_counter() - start:.1f} s")
        invoices = load_invoices(cursor, rng, list(customers))
        print(f"  invoices: {time.perf_counter() - start:.1f} s")
        load_confirmations(cursor, rng, invoices, customers)
        print(f"  payment confirmations: {time.perf_counter() - start:.1f} s")
        for table in LOADED_TABLES:
            restart_id_sequence(cursor, table)
    print(f"  committed: {time.perf_counter() - start:.1f} s")
    with connection.cursor() as cursor:
        for table in LOADED_TABLES:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    print(f"  VACUUM ANALYZE: {time.perf_counter() - start:.1f} s")
    return time.perf_counter() - start


# --- Measuring ---------------------------------------------------------------------


def pages() -> list[tuple[str, str]]:
    """(label, URL) of each changelist measured."""
    number = f"INV/{timezone.localdate().year - 1}/000123"
    own_customers = Customer.objects.filter(contacts__user__in=own_users()).order_by("pk")
    name = own_customers.values_list("name", flat=True)[CUSTOMERS // 2]
    invoices, confirmations = "/admin/invoices/invoice/", "/admin/invoices/paymentconfirmation/"
    return [
        ("invoices", invoices),
        ("invoices ?status__exact=unpaid", f"{invoices}?status__exact=unpaid"),
        (f"invoices ?q={number}", f"{invoices}?{urlencode({'q': number})}"),
        ("invoices ?p=2000", f"{invoices}?p=2000"),
        ("invoices ?q=<a customer's name> (extra)", f"{invoices}?{urlencode({'q': name})}"),
        ("confirmations", confirmations),
        ("confirmations ?status__exact=pending", f"{confirmations}?status__exact=pending"),
    ]


def get(client: Client, url: str):
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    return response


def measure(client: Client, url: str) -> tuple[list[float], int, dict]:
    """Timings of the runs after the warm-ups, queries per request, and the slowest query."""
    for _ in range(WARM_UPS):
        get(client, url)
    times, slowest = [], {"time": "0"}
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as queries:
            times.append(common.timed_ms(lambda: get(client, url)))
        slowest = max([slowest, *queries.captured_queries], key=lambda q: float(q["time"]))
    return times, len(queries.captured_queries), slowest


def explain(label: str, query: dict) -> None:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    print(f"\n--- {label}: slowest query ({float(query['time']) * 1000:.0f} ms) ---")
    print(query["sql"])
    print(plan)


def main() -> None:
    args = parse_args()
    if args.reset:
        reset()
    if is_loaded():
        print("Data already loaded; reusing it (--reset to load again).")
    else:
        print(f"Loading {INVOICES:,} invoices and {CONFIRMATIONS:,} confirmations…")
        print(f"Loaded in {load():.0f} s.")
    client = common.staff_client()
    rows = []
    for label, url in pages():
        times, query_count, slowest = measure(client, url)
        stats = common.summarize(times)
        over = stats["median"] >= TARGET_MS
        if over or args.explain:
            explain(label, slowest)
        figures = [f"{stats[key]:.0f}" for key in ("median", "p90", "min", "max")]
        rows.append([label, *figures, query_count, "OVER" if over else "ok"])
    invoices, confirmations = Invoice.objects.count(), PaymentConfirmation.objects.count()
    print(f"\nAdmin changelists: ms over {RUNS} requests after {WARM_UPS} warm-ups")
    print(f"({invoices:,} invoices, {confirmations:,} confirmations; target < {TARGET_MS} ms)")
    print(f"({common.machine_note()})")
    common.print_table(["page", "median", "p90", "min", "max", "queries", ""], rows)


if __name__ == "__main__":
    main()
