"""The demo catalogue: products, plans, domain prices and bank accounts. Idempotent."""

from decimal import Decimal

from invoices.models import BankAccount
from orders.models import BillingCycle, Department, Plan, Priority, Product, ProductGroup, TldPrice

GROUPS = [
    ("hosting", "hosting", "Web Hosting", "Web Hosting"),
    ("domain", "domain", "Domain", "Domains"),
    ("project", "project-khusus", "Project Khusus", "Custom projects"),
]

PRODUCTS = [
    # group slug, product slug, name id, name en, extra fields, plans (name, cycle, price, setup)
    (
        "hosting",
        "hosting-personal",
        "Hosting Personal",
        "Personal Hosting",
        {
            "needs_domain": True,
            "warranty_days": 30,
            "free_migration": True,
            "support_department": Department.HOSTING,
            "support_priority": Priority.NORMAL,
            "description_id": "1 GB SSD, 1 domain, SSL gratis, cPanel.",
            "description_en": "1 GB SSD, 1 domain, free SSL, cPanel.",
        },
        [
            ("1 GB", BillingCycle.MONTHLY, "25000", "0"),
            ("1 GB", BillingCycle.YEARLY, "250000", "0"),
        ],
    ),
    (
        "hosting",
        "hosting-bisnis",
        "Hosting Bisnis",
        "Business Hosting",
        {
            "needs_domain": True,
            "warranty_days": 90,
            "free_migration": True,
            "support_department": Department.HOSTING,
            "support_priority": Priority.HIGH,
            "description_id": "10 GB SSD, domain tanpa batas, backup harian, prioritas dukungan.",
            "description_en": "10 GB SSD, unlimited domains, daily backups, priority support.",
        },
        [
            ("10 GB", BillingCycle.MONTHLY, "95000", "50000"),
            ("10 GB", BillingCycle.QUARTERLY, "270000", "50000"),
            ("10 GB", BillingCycle.YEARLY, "950000", "0"),
        ],
    ),
    (
        "domain",
        "domain",
        "Registrasi & Transfer Domain",
        "Domain registration and transfer",
        {
            "support_department": Department.DOMAINS,
            "description_id": "Domain .id, .co.id, .com dan lainnya.",
            "description_en": ".id, .co.id, .com domains and more.",
        },
        [],
    ),
    (
        "project-khusus",
        "website-company-profile",
        "Website Company Profile",
        "Company profile website",
        {
            "warranty_days": 60,
            "requires_verified_identity": True,
            "support_department": Department.PROJECTS,
            "support_priority": Priority.HIGH,
            "description_id": "Desain dan pembuatan website profil perusahaan (5 halaman).",
            "description_en": "Design and build of a company profile website (5 pages).",
        },
        [("5 halaman", BillingCycle.ONE_TIME, "3500000", "0")],
    ),
]

TLDS = [
    (".com", "165000", "165000", "175000", False),
    (".id", "220000", "220000", "220000", False),
    (".co.id", "300000", "300000", "300000", True),
    (".my.id", "15000", "15000", "15000", False),
]


def load_catalogue() -> None:
    groups = {}
    for position, (kind, slug, name_id, name_en) in enumerate(GROUPS):
        groups[slug], _ = ProductGroup.objects.get_or_create(
            slug=slug,
            defaults={"kind": kind, "name_id": name_id, "name_en": name_en, "position": position},
        )
    for position, (group, slug, name_id, name_en, extra, plans) in enumerate(PRODUCTS):
        product, created = Product.objects.get_or_create(
            slug=slug,
            defaults={
                "group": groups[group],
                "name_id": name_id,
                "name_en": name_en,
                "position": position,
                **extra,
            },
        )
        if created:
            for name, cycle, price, setup in plans:
                Plan.objects.create(
                    product=product,
                    name=name,
                    cycle=cycle,
                    price=Decimal(price),
                    setup_fee=Decimal(setup),
                )
    from projects.services import project_product

    project_product()  # what accepted custom-project quotes are ordered as (not on sale)
    for tld, register, transfer, renew, company in TLDS:
        TldPrice.objects.get_or_create(
            tld=tld,
            defaults={
                "register_price": Decimal(register),
                "transfer_price": Decimal(transfer),
                "renew_price": Decimal(renew),
                "requires_company_documents": company,
            },
        )
    if not BankAccount.objects.exists():
        BankAccount.objects.create(
            bank="BCA", account_number="437 0123 456", holder="PT Masternet Indonesia"
        )
        BankAccount.objects.create(
            bank="Mandiri",
            account_number="130 00 1234567 8",
            holder="PT Masternet Indonesia",
            position=1,
        )


def load_demo_services(*, customer, staff) -> None:
    """The demo customer's services, once: an active monthly hosting whose next
    request deadline (K4, K5) is three days away, and an unpaid domain invoice due in
    a week, so the scheduler sends its first reminder right after start."""
    from datetime import timedelta

    from core import clock
    from customers.selectors import responsible_contact
    from invoices.periods import add_months
    from invoices.services import payment_approve, payment_confirmation_submit
    from orders.cart import CartItem
    from orders.models import Service
    from orders.services import order_place

    if Service.objects.filter(customer=customer).exists():
        return
    contact = responsible_contact(customer=customer)
    hosting = Plan.objects.get(product__slug="hosting-personal", cycle=BillingCycle.MONTHLY)
    order = order_place(
        customer=customer,
        placed_by=contact.user,
        items=[
            CartItem(product_id=hosting.product_id, plan_id=hosting.pk, domain_name="budi.my.id")
        ],
        aup_accepted=True,
        ip_address="127.0.0.1",
    )
    invoice = order.invoices.get()
    confirmation = _demo_confirmation(invoice, contact.user, payment_confirmation_submit)
    payment_approve(confirmation=confirmation, staff=staff)
    # Move the schedule so that the earliest open deadline is three days away.
    today = clock.today()
    invoice_anchor = add_months(today + timedelta(days=33), -2)
    service = Service.objects.get(order=order)
    schedule_start = invoice_anchor + timedelta(days=14)
    service.invoice_anchor, service.period_anchor = invoice_anchor, schedule_start
    current = service.schedule.period_containing(today)
    following = service.schedule.period(current.index + 1)
    service.period_start, service.period_end = current.start, current.end
    service.next_due_date, service.next_invoice_date = following.start, following.issue_date
    service._change_reason = "demo schedule"
    service.save()
    domain = Product.objects.get(slug="domain")
    order_place(
        customer=customer,
        placed_by=contact.user,
        items=[CartItem(product_id=domain.pk, domain_name="budisantoso.com")],
        aup_accepted=True,
        ip_address="127.0.0.1",
    )


def _demo_confirmation(invoice, user, submit):
    from django.core.files.base import ContentFile

    from core import clock
    from core.validators import SCAN_KINDS

    proof = ContentFile(DEMO_PROOF, name="bukti.png")
    return submit(
        invoice=invoice,
        submitted_by=user,
        bank_name="BCA",
        sender_account_name="Budi Santoso",
        amount=invoice.amount_to_transfer,
        transfer_date=clock.today(),
        to_account=BankAccount.objects.first(),
        proof=proof,
        proof_kind=SCAN_KINDS["image/png"],
    )


DEMO_PROOF = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)
