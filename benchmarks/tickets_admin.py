"""How long the staff's ticket list takes at a million tickets.

Loads 1,000,000 tickets (three years of them, for 20,000 customers with a service each,
mixed categories, departments, priorities, statuses and ten staff assignees) with
PostgreSQL COPY, runs VACUUM ANALYZE, then requests the admin ticket changelist as a
logged-in superuser through django.test.Client:

    /admin/tickets/ticket/                               unfiltered
    /admin/tickets/ticket/?status__exact=awaiting_staff  each list filter in turn ...
    /admin/tickets/ticket/?q=TKT-2025-000123             search by ticket number
    /admin/tickets/ticket/?q=123                         the number without its year
    /admin/tickets/ticket/?q=<words> (extra)             subject and customer name
    /admin/tickets/ticket/<id>/change/ (extra)           the reply screen, 200 messages

Each page: 2 warm-up requests, then 10 timed ones; the median (with p90, min, max) in ms
and the number of SQL queries per request are printed.

Target: the changelist, filtered and unfiltered, under 500 ms; a search by ticket number
under 200 ms. For a page over its target (or all pages with ``--explain``) the
request's slowest SQL query is run again under EXPLAIN (ANALYZE, BUFFERS) and its plan
printed.

Run:
    .venv/bin/python benchmarks/tickets_admin.py [--reset] [--explain]

The data is loaded once into the benchmark database (DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/masternet_bench) and reused while the tickets are
there; ``--reset`` empties the tickets (not the customers, which other benchmarks share)
and loads them again. Customers are reused when the database has enough of them (for
example from admin_lists.py); the missing ones are loaded. The loaded tickets have no
messages or history rows (the list does not show them), except the one ticket whose
reply screen is measured.
"""

# ruff: noqa: E402 -- Django is set up (settings, database, migrations) before the models load.
import argparse
import random
import time
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

import common

common.setup_django()

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from faker import Faker

from customers.models import Contact, Customer, Role, User
from orders.models import BillingCycle, Order, Product, ProductGroup, Service
from tickets.models import Message, Ticket
from tickets.rules import RESPONSE_TARGET_HOURS

TICKETS = 1_000_000
CUSTOMERS = 20_000
STAFF = 10
YEARS = 3
TARGET_MS, SEARCH_TARGET_MS = 500, 200
WARM_UPS, RUNS = 2, 10
THREAD = 200
SEED = 20261126
NULL = r"\N"
WIB = "+07"
# category, department, share of the tickets
CATEGORIES = [
    ("technical", "hosting", 0.45),
    ("domain", "domains", 0.20),
    ("billing", "billing", 0.20),
    ("project", "projects", 0.05),
    ("other", "general", 0.10),
]
PRIORITIES, PRIORITY_WEIGHTS = [1, 2, 3, 4], [10, 55, 30, 5]
SUBJECTS = [
    "Website {domain} error 500",
    "Tidak bisa login cPanel",
    "Email {domain} tidak terkirim",
    "SSL {domain} kedaluwarsa",
    "Website lambat sekali sejak pagi",
    "DNS {domain} belum mengarah ke server",
    "Transfer domain {domain} tertahan",
    "Pertanyaan tagihan bulan ini",
    "Konfirmasi pembayaran belum diproses",
    "Minta faktur pajak",
    "Perubahan desain halaman beranda",
    "Formulir kontak tidak mengirim email",
    "Database penuh, tidak bisa menyimpan",
    "WordPress minta update, aman?",
    "Backup harian tidak ada",
    "Cannot upload files over 2 MB",
    "Mail to Gmail goes to spam",
    "Please renew {domain} for two years",
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reset", action="store_true", help="empty and load the tickets again")
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
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
        f" (SELECT COALESCE(MAX(id), 1) FROM {table}))"
    )


# --- Customers, staff and services --------------------------------------------------


def ensure_customers(cursor) -> None:
    """At least CUSTOMERS customers, each with a user and a responsible contact."""
    have = Contact.objects.filter(role=Role.RESPONSIBLE).count()
    missing = CUSTOMERS - have
    if missing <= 0:
        return
    fake = Faker("id_ID")
    fake.seed_instance(SEED)
    names = [fake.name() for _ in range(missing)]
    customer_id = next_id(cursor, "customers_customer")
    user_id = next_id(cursor, "customers_user")
    contact_id = next_id(cursor, "customers_contact")
    joined = f"2021-01-01 09:00:00{WIB}"
    copy_rows(
        cursor,
        "customers_customer",
        ["id", "kind", "name", "address", "city", "postal_code", "phone", "npwp"]
        + ["revalidation_reason", "created_at"],
        (
            (str(customer_id + n), "person", name, "Jl. Merdeka 1", "Bandung", "40111")
            + ("022 1234 5678", "", "", joined)
            for n, name in enumerate(names)
        ),
    )
    copy_rows(
        cursor,
        "customers_user",
        ["id", "password", "is_superuser", "first_name", "last_name", "is_staff", "is_active"]
        + ["date_joined", "email", "language"],
        (
            (str(user_id + n), "!bench-unusable", "f", "", "", "f", "t", joined)
            + (f"bench-ticket-customer-{user_id + n}@example.co.id", "id")
            for n in range(missing)
        ),
    )
    copy_rows(
        cursor,
        "customers_contact",
        ["id", "role", "full_name", "phone", "position", "created_at", "user_id", "customer_id"],
        (
            (str(contact_id + n), "responsible", name, "0812 3456 7890", "", joined)
            + (str(user_id + n), str(customer_id + n))
            for n, name in enumerate(names)
        ),
    )
    for table in ("customers_customer", "customers_user", "customers_contact"):
        restart_id_sequence(cursor, table)
    print(f"  {missing:,} customers added")


def ensure_staff() -> list[User]:
    """Ten support staff to assign tickets to."""
    staff = []
    for n in range(STAFF):
        email = f"bench-support-{n}@masternet.test"
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email, None, first_name=f"Staf {n}", is_staff=True)
        staff.append(user)
    return staff


def ensure_services(pairs: list[tuple[int, int]], rng: random.Random) -> dict[int, tuple]:
    """One hosting or domain service per customer: {customer id: (service id, warranty end)}."""
    group, _ = ProductGroup.objects.get_or_create(
        slug="bench-tickets", defaults={"kind": "hosting", "name_id": "Bench", "name_en": "Bench"}
    )
    products = [
        Product.objects.get_or_create(
            slug=slug,
            defaults={
                "group": group,
                "name_id": name,
                "name_en": name,
                "support_department": department,
                "support_priority": priority,
                "warranty_days": warranty,
            },
        )[0]
        for slug, name, department, priority, warranty in [
            ("bench-hosting", "Hosting Personal", "hosting", 2, 30),
            ("bench-hosting-plus", "Hosting Bisnis", "hosting", 3, 90),
            ("bench-domain", "Domain", "domains", 2, 0),
        ]
    ]
    customer_ids = [customer_id for customer_id, _user in pairs]
    have = set(
        Service.objects.filter(customer_id__in=customer_ids, product__in=products).values_list(
            "customer_id", flat=True
        )
    )
    now = timezone.now()
    missing = [(c, u) for c, u in pairs if c not in have]
    orders = Order.objects.bulk_create(
        [
            Order(customer_id=c, placed_by_id=u, aup_accepted_at=now, aup_version="2026.1")
            for c, u in missing
        ],
        batch_size=2_000,
    )
    services = []
    for order in orders:
        product = rng.choice(products)
        activated = timezone.localdate() - timedelta(days=rng.randint(1, 3 * 365))
        warranty = product.warranty_days
        services.append(
            Service(
                customer_id=order.customer_id,
                order=order,
                product=product,
                domain_name=f"toko{order.customer_id}.co.id",
                cycle=BillingCycle.YEARLY,
                recurring_price=Decimal("250000"),
                status=Service.Status.ACTIVE,
                period_start=activated,
                activated_at=now,
                warranty_end=activated + timedelta(days=warranty) if warranty else None,
            )
        )
    Service.objects.bulk_create(services, batch_size=2_000)
    return {
        customer_id: (service_id, warranty_end)
        for customer_id, service_id, warranty_end in Service.objects.filter(
            customer_id__in=customer_ids, product__in=products
        ).values_list("customer_id", "pk", "warranty_end")
    }


# --- Tickets -----------------------------------------------------------------------


def ticket_status(age_days: float, rng: random.Random) -> str:
    """Recent tickets are still being worked on; older ones are nearly all closed."""
    roll = rng.random()
    if age_days <= 14:
        if roll < 0.25:
            return "open"
        if roll < 0.45:
            return "awaiting_staff"
        if roll < 0.70:
            return "awaiting_customer"
        return "on_hold" if roll < 0.75 else "closed"
    if age_days <= 60:
        return "awaiting_customer" if roll < 0.05 else "on_hold" if roll < 0.07 else "closed"
    return "closed" if roll < 0.998 else "on_hold"


def ticket_rows(first_id, customers, services, staff_ids, rng, now, numbers):
    """The ticket rows, oldest first; numbers continue each year's TKT sequence."""
    span = YEARS * 365 * 24 * 3600
    offsets = sorted(rng.randrange(span) for _ in range(TICKETS))
    categories = [(c, d) for c, d, _share in CATEGORIES]
    weights = [share for _c, _d, share in CATEGORIES]
    start = now - timedelta(seconds=span)
    for n, offset in enumerate(offsets):
        created = start + timedelta(seconds=offset)
        age = (now - created).total_seconds() / 86400
        customer_id, user_id = rng.choice(customers)
        category, department = rng.choices(categories, weights)[0]
        priority = rng.choices(PRIORITIES, PRIORITY_WEIGHTS)[0]
        status = ticket_status(age, rng)
        year = created.astimezone(timezone.get_current_timezone()).year
        numbers[year] = numbers.get(year, 0) + 1
        service_id, warranty_end = services[customer_id]
        with_service = category != "billing" or rng.random() < 0.3
        outside = (
            with_service
            and category in ("technical", "domain", "project")
            and (warranty_end is None or warranty_end < created.date())
        )
        last = created + timedelta(hours=rng.randint(0, 72))
        waiting_on_staff = status in ("open", "awaiting_staff")
        due = last + timedelta(hours=RESPONSE_TARGET_HOURS[priority]) if waiting_on_staff else None
        closed = last + timedelta(hours=rng.randint(1, 48)) if status == "closed" else None
        rated = status == "closed" and rng.random() < 0.4
        assigned = rng.random() < (0.6 if status == "open" else 0.95)
        yield (
            str(first_id + n),
            f"TKT-{year}-{numbers[year]:06d}",
            category,
            department,
            str(priority),
            status,
            SUBJECTS[rng.randrange(len(SUBJECTS))].format(domain=f"toko{customer_id}.co.id"),
            f"toko{customer_id}.co.id" if category == "domain" else "",
            "500 Internal Server Error" if category == "technical" else "",
            "Sudah clear cache dan coba browser lain." if category != "billing" else "",
            created.date().isoformat() if category == "technical" else NULL,
            "t" if outside else "f",
            warranty_end.isoformat() if with_service and warranty_end else NULL,
            f"{created:%Y-%m-%d %H:%M:%S}+00",
            f"{last:%Y-%m-%d %H:%M:%S}+00",
            f"{due:%Y-%m-%d %H:%M:%S}+00" if due else NULL,
            f"{last:%Y-%m-%d %H:%M:%S}+00" if status != "open" else NULL,
            f"{closed:%Y-%m-%d %H:%M:%S}+00" if closed else NULL,
            str(rng.choice([3, 4, 4, 5, 5, 5])) if rated else NULL,
            "",
            f"{closed:%Y-%m-%d %H:%M:%S}+00" if rated else NULL,
            str(rng.choice(staff_ids)) if assigned else NULL,
            str(customer_id),
            str(user_id),
            str(service_id) if with_service else NULL,
        )


TICKET_COLUMNS = (
    ["id", "number", "category", "department", "priority", "status", "subject", "domain_name"]
    + ["error_message", "steps_taken", "started_on", "outside_warranty", "warranty_end"]
    + ["created_at", "last_message_at", "response_due_at", "first_response_at", "closed_at"]
    + ["rating", "rating_comment", "rated_at", "assignee_id", "customer_id", "opened_by_id"]
    + ["service_id"]
)


def load_tickets(cursor, rng, customers, services, staff_ids) -> None:
    from invoices.models import DocumentSequence

    numbers = dict(DocumentSequence.objects.filter(kind="TKT").values_list("year", "last_number"))
    rows = ticket_rows(
        next_id(cursor, "tickets_ticket"),
        customers,
        services,
        staff_ids,
        rng,
        timezone.now(),
        numbers,
    )
    copy_rows(cursor, "tickets_ticket", TICKET_COLUMNS, rows)
    restart_id_sequence(cursor, "tickets_ticket")
    for year, last_number in numbers.items():
        DocumentSequence.objects.update_or_create(
            kind="TKT", year=year, defaults={"last_number": last_number}
        )


def add_thread(staff: list[User]) -> Ticket:
    """The newest ticket gets a thread of THREAD messages, every fifth an internal note."""
    ticket = Ticket.objects.order_by("-id").first()
    if ticket.messages.count() >= THREAD:
        return ticket
    start = ticket.created_at
    Message.objects.bulk_create(
        Message(
            ticket=ticket,
            author=staff[n % STAFF] if n % 2 else ticket.opened_by,
            from_staff=bool(n % 2),
            internal=n % 10 == 9,
            body=f"Pesan nomor {n + 1}: situs masih menampilkan error 500 di halaman checkout.",
            created_at=start + timedelta(minutes=10 * n),
        )
        for n in range(THREAD)
    )
    return ticket


# --- Loading -----------------------------------------------------------------------


def is_loaded() -> bool:
    return Ticket.objects.count() >= TICKETS


def reset() -> None:
    """Empty the tickets, their messages and history, and the TKT numbers."""
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE tickets_ticket, tickets_message, tickets_attachment,"
            " tickets_historicalticket RESTART IDENTITY CASCADE"
        )
        cursor.execute("DELETE FROM invoices_documentsequence WHERE kind = 'TKT'")


def load() -> float:
    """Load everything in one transaction, then VACUUM ANALYZE; the seconds it took."""
    start = time.perf_counter()
    rng = random.Random(SEED)
    common.ensure_superuser()
    staff = ensure_staff()
    with transaction.atomic(), connection.cursor() as wrapper:
        cursor = wrapper.cursor  # psycopg's own cursor, for COPY
        ensure_customers(cursor)
        customers = list(
            Contact.objects.filter(role=Role.RESPONSIBLE)
            .order_by("customer_id")
            .values_list("customer_id", "user_id")[:CUSTOMERS]
        )
        services = ensure_services(customers, rng)
        print(f"  customers and services: {time.perf_counter() - start:.1f} s")
        load_tickets(cursor, rng, customers, services, [user.pk for user in staff])
        print(f"  tickets: {time.perf_counter() - start:.1f} s")
    print(f"  committed: {time.perf_counter() - start:.1f} s")
    add_thread(staff)
    with connection.cursor() as cursor:
        for table in ("tickets_ticket", "tickets_message", "orders_service", "customers_user"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    print(f"  VACUUM ANALYZE: {time.perf_counter() - start:.1f} s")
    return time.perf_counter() - start


# --- Measuring ---------------------------------------------------------------------


def pages() -> list[tuple[str, str, int]]:
    """(label, URL, target ms) of each page measured; target 0 means no target."""
    tickets = "/admin/tickets/ticket/"
    year = timezone.localdate().year - 1
    number = f"TKT-{year}-000123"
    assignee = User.objects.get(email="bench-support-3@masternet.test").pk
    name = Customer.objects.order_by("pk").values_list("name", flat=True)[CUSTOMERS // 2]
    thread = Ticket.objects.order_by("-id").values_list("pk", flat=True)[0]
    filters = [
        "status__exact=awaiting_staff",
        "status__exact=closed",
        "department__exact=hosting",
        "priority__exact=4",
        f"assignee={assignee}",
        "assignee=none",
        "outside_warranty__exact=1",
        "age=week",
        "age=older",
        "reply=overdue",
        "status__exact=open&department__exact=hosting&priority__exact=3",
        "o=7",  # sorted by reply due, most urgent first
    ]
    return [
        ("tickets", tickets, TARGET_MS),
        *((f"tickets ?{query}", f"{tickets}?{query}", TARGET_MS) for query in filters),
        ("tickets ?p=2000", f"{tickets}?p=2000", TARGET_MS),
        (f"tickets ?q={number}", f"{tickets}?{urlencode({'q': number})}", SEARCH_TARGET_MS),
        ("tickets ?q=123", f"{tickets}?q=123", SEARCH_TARGET_MS),
        ("tickets ?q=faktur (extra)", f"{tickets}?q=faktur", 0),
        ("tickets ?q=<a customer's name> (extra)", f"{tickets}?{urlencode({'q': name})}", 0),
        (f"reply screen, {THREAD} messages (extra)", f"{tickets}{thread}/change/", 0),
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
        print(f"Loading {TICKETS:,} tickets…")
        print(f"Loaded in {load():.0f} s.")
    client = common.staff_client()
    rows = []
    for label, url, target in pages():
        times, query_count, slowest = measure(client, url)
        stats = common.summarize(times)
        over = bool(target) and stats["median"] >= target
        if over or args.explain:
            explain(label, slowest)
        figures = [f"{stats[key]:.0f}" for key in ("median", "p90", "min", "max")]
        verdict = ("OVER" if over else "ok") if target else "-"
        rows.append([label, *figures, query_count, f"< {target}" if target else "", verdict])
    print(f"\nAdmin ticket pages: ms over {RUNS} requests after {WARM_UPS} warm-ups")
    print(f"({Ticket.objects.count():,} tickets; list < {TARGET_MS} ms, number search")
    print(f" < {SEARCH_TARGET_MS} ms)")
    print(f"({common.machine_note()})")
    common.print_table(["page", "median", "p90", "min", "max", "queries", "target", ""], rows)


if __name__ == "__main__":
    main()
