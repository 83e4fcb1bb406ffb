"""How long one invoice PDF and one receipt PDF take to render (WeasyPrint).

Measures ``invoices.pdf.invoice_pdf`` over 50 different invoices (1-6 lines each,
issued through ``invoices.services.invoice_issue``) and ``invoices.pdf.receipt_pdf``
over the receipts of the invoices that were paid (in full or in part, through
``payment_approve``). One warm-up render of each kind comes first and is not counted.
The figures are the median, 90th percentile, fastest and slowest render, in ms.

Target: median under 300 ms for each kind of PDF.

When a median misses the target (or with ``--profile``), the renders are run again
under cProfile and the functions that take the time are printed.

Run:
    .venv/bin/python benchmarks/invoice_pdf.py [--count 50] [--language id] [--profile]

The invoices are created once in the benchmark database (DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/masternet_bench) and reused by later runs; they are
the invoices of the customers whose responsible contact is bench-pdf-*@example.co.id.
"""

# ruff: noqa: E402 -- Django is set up (settings, database, migrations) before the models load.
import argparse
import cProfile
import io
import pstats
import random
from datetime import timedelta
from decimal import Decimal

import common

common.setup_django()

from django.utils import timezone
from faker import Faker

from customers.models import Contact, Customer, Role, User
from invoices import services
from invoices.models import Invoice, PaymentConfirmation, Receipt
from invoices.pdf import invoice_pdf, receipt_pdf
from orders.pricing import LineSpec

TARGET_MS = 300
SEED = 20261125
EMAIL_PREFIX = "bench-pdf-"  # the responsible contacts of this script's customers
# (description, monthly price in rupiah, PPN applies)
CATALOGUE = [
    ("Hosting Personal 1 GB", 35_000, True),
    ("Hosting Bisnis 5 GB", 150_000, True),
    ("Hosting Korporat 20 GB", 450_000, True),
    ("VPS 2 vCPU / 4 GB", 375_000, True),
    ("Domain .com — perpanjangan 1 tahun", 175_000, True),
    ("Domain .id — registrasi 1 tahun", 220_000, False),
    ("Domain .co.id — registrasi 1 tahun", 300_000, False),
    ("SSL Positive 1 tahun", 250_000, True),
    ("Akun e-mail tambahan", 15_000, True),
    ("Biaya setup", 100_000, True),
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50, help="invoices to render (50)")
    parser.add_argument("--language", default="id", help="language of the PDFs (id)")
    parser.add_argument("--profile", action="store_true", help="profile even within target")
    return parser.parse_args()


# --- Data --------------------------------------------------------------------------


def own_invoices():
    """This script's invoices: other benchmarks share the database."""
    return (
        Invoice.objects.filter(customer__contacts__user__email__startswith=EMAIL_PREFIX)
        .select_related("customer")
        .order_by("pk")
    )


def random_lines(rng: random.Random, issue_date) -> list[LineSpec]:
    """1 to 6 lines, hosting ones with the month they bill."""
    lines = []
    for description, price, applies_ppn in rng.sample(CATALOGUE, rng.randint(1, 6)):
        quantity = rng.choice([1, 1, 1, 2, 3]) if price < 50_000 else 1
        start = issue_date + timedelta(days=14)
        end = start + timedelta(days=30)
        lines.append(
            LineSpec(
                description=f"{description} ({start:%d/%m/%Y} – {end:%d/%m/%Y})",
                unit_price=Decimal(price),
                applies_ppn=applies_ppn,
                quantity=quantity,
                period_start=start,
                period_end=end,
            )
        )
    return lines


def new_customer(fake: Faker) -> Customer:
    """A person with a responsible contact, whose e-mail marks this script's rows."""
    customer = Customer.objects.create(
        kind=Customer.Kind.PERSON,
        name=fake.name(),
        address=fake.street_address(),
        city=fake.city(),
        postal_code=fake.postcode(),
        phone=fake.phone_number()[:30],
    )
    user = User.objects.create_user(email=f"{EMAIL_PREFIX}{customer.pk}@example.co.id")
    Contact.objects.create(
        customer=customer, user=user, role=Role.RESPONSIBLE, full_name=customer.name
    )
    return customer


def pay(invoice: Invoice, *, amount: Decimal, staff, bank) -> None:
    """The contact's confirmation (no proof file: the PDFs do not show it), approved."""
    confirmation = PaymentConfirmation.objects.create(
        invoice=invoice,
        submitted_by=invoice.customer.contacts.get().user,
        bank_name="BCA",
        sender_account_name=invoice.customer.name,
        amount=amount,
        transfer_date=invoice.issue_date + timedelta(days=2),
        to_account=bank,
        proof="proofs/bench/transfer.png",
        proof_content_type="image/png",
        proof_extension=".png",
    )
    services.payment_approve(confirmation=confirmation, staff=staff)


def issue_invoices(missing: int) -> None:
    """Issue ``missing`` invoices for a few customers; pay a third in full, a third in part."""
    rng = random.Random(SEED + missing)
    fake = Faker("id_ID")
    fake.seed_instance(SEED + missing)
    staff = common.ensure_superuser()
    bank = common.ensure_bank_accounts()[0]
    customers = [new_customer(fake) for _ in range(max(1, missing // 5))]
    today = timezone.localdate()
    for index in range(missing):
        issue_date = today - timedelta(days=rng.randint(0, 365))
        invoice = services.invoice_issue(
            customer=customers[index % len(customers)],
            lines=random_lines(rng, issue_date),
            issue_date=issue_date,
        )
        if index % 3 == 1:
            pay(invoice, amount=invoice.total + invoice.unique_code, staff=staff, bank=bank)
        elif index % 3 == 2:
            pay(invoice, amount=(invoice.total / 2).quantize(Decimal(1)), staff=staff, bank=bank)


def benchmark_invoices(count: int) -> list[Invoice]:
    missing = count - own_invoices().count()
    if missing > 0:
        print(f"Issuing {missing} invoices for the benchmark…")
        issue_invoices(missing)
    return list(own_invoices()[:count])


def benchmark_receipts(invoices: list[Invoice]) -> list[Receipt]:
    return list(
        Receipt.objects.filter(payment__invoice__in=invoices)
        .select_related("payment__invoice__customer")
        .order_by("pk")
    )


# --- Measuring ---------------------------------------------------------------------


def render_times(render, documents, *, language: str) -> list[float]:
    """One warm-up render (not counted), then one timed render per document."""
    render(documents[0], language=language)
    return [common.timed_ms(lambda d=d: render(d, language=language)) for d in documents]


def print_profile(render, documents, *, language: str, top: int = 25) -> None:
    """cProfile over the renders: the functions with the most time, inclusive and own."""
    profiler = cProfile.Profile()
    profiler.enable()
    for document in documents:
        render(document, language=language)
    profiler.disable()
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(top)
        print(f"\n--- {render.__name__}, {len(documents)} renders, sorted by {order} ---")
        print(out.getvalue().split("\n\n", 1)[-1].strip())


def result_row(name: str, times: list[float]) -> list[object]:
    stats = common.summarize(times)
    verdict = "ok" if stats["median"] < TARGET_MS else "OVER"
    figures = [f"{stats[key]:.0f}" for key in ("median", "p90", "min", "max")]
    return [name, len(times), *figures, f"< {TARGET_MS}", verdict]


def main() -> None:
    args = parse_args()
    invoices = benchmark_invoices(args.count)
    receipts = benchmark_receipts(invoices)
    results = {
        invoice_pdf: (invoices, render_times(invoice_pdf, invoices, language=args.language)),
        receipt_pdf: (receipts, render_times(receipt_pdf, receipts, language=args.language)),
    }
    for render, (documents, times) in results.items():
        if args.profile or common.summarize(times)["median"] >= TARGET_MS:
            print_profile(render, documents[:10], language=args.language)
    print(f"\nPDF render time, ms (language {args.language!r}, warm-up excluded)")
    print(f"({common.machine_note()})")
    common.print_table(
        ["document", "n", "median", "p90", "min", "max", "target", ""],
        [result_row(render.__name__, times) for render, (_, times) in results.items()],
    )


if __name__ == "__main__":
    main()
