"""The security suite's world: two customers, each with one of everything a customer
can reach, and a counter of the cases tried, printed at the end of the run."""

import importlib.util
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from core.validators import detect_scan_kind
from customers.models import IdentityDocument, Role
from invoices import services as billing
from invoices.models import BankAccount
from orders.models import Service
from policy import services as policy
from projects import services as projects
from tests.conftest import SECURITY_CASES
from tests.factories import ContactFactory, pdf_bytes, png_bytes, upload

# The ticket cases run where the tickets app is installed (the suite runs without it too).
TICKETS = apps.is_installed("tickets") and importlib.util.find_spec("tickets.services") is not None

XSS = '<script>alert("xss")</script><img src=x onerror=alert(1)>'
XSS_ESCAPED = "&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;"


@pytest.fixture
def tried():
    """Call once per case a test tries (a URL, a payload, a file); the total is printed
    at the end of the run (tests/conftest.py)."""

    def _tried(count: int = 1) -> None:
        SECURITY_CASES["tried"] += count

    return _tried


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@dataclass
class World:
    """One customer's objects, reachable by its responsible contact."""

    contact: object
    billing_contact: object
    document: object
    invoice: object
    service: object
    confirmation: object
    receipt: object
    technical_change: object
    project: object
    deferral: object = None
    service_change: object = None
    ticket: object = None
    attachment: object = None
    urls: dict = field(default_factory=dict)


def _scan(name="bukti.png", content=None):
    scan = upload(name, content or png_bytes())
    return scan, detect_scan_kind(scan)


@pytest.fixture
def world(place, verified, staff_user, terms) -> World:
    contact = verified
    customer = contact.customer
    billing_contact = ContactFactory(customer=customer, role=Role.BILLING, accepted_terms=terms)
    document = IdentityDocument.objects.get(customer=customer)
    invoice = place()
    service = Service.objects.get(customer=customer)
    proof, proof_kind = _scan()
    confirmation = billing.payment_confirmation_submit(
        invoice=invoice, submitted_by=contact.user, bank_name="BCA",
        sender_account_name="Budi", amount=invoice.amount_to_transfer,
        transfer_date=invoice.issue_date, to_account=BankAccount.objects.first(),
        proof=proof, proof_kind=proof_kind,
    )  # fmt: skip
    payment = billing.payment_approve(confirmation=confirmation, staff=staff_user)
    service.refresh_from_db()  # paid: active, with its billing periods
    letter, letter_kind = _scan("kuasa.pdf", pdf_bytes())
    technical_change = policy.technical_change_submit(
        service=service, requested_by=contact.user, kind="dns",
        details="A record www to 203.0.113.10", letter=letter, letter_kind=letter_kind,
    )  # fmt: skip
    design, design_kind = _scan("desain.png")
    project = projects.project_submit(
        customer=customer, requested_by=contact.user, title="Toko Batik",
        requirements="An online shop with a catalogue of about 200 batik products.",
        technology="WordPress with WooCommerce on a Masternet hosting plan.",
        workflow="A visitor browses products, adds them to the cart and pays.",
        design_reference_file=design, design_file_kind=design_kind,
    )  # fmt: skip
    period = open_period(service)
    deferral = policy.deferral_submit(
        service=service, requested_by=contact.user, reason="Our client pays us late this month.",
        proposed_due_date=deferral_date(period), period_start=period.start,
    )  # fmt: skip
    service_change = policy.service_change_submit(
        service=service, requested_by=contact.user, kind="addon",
        addon_description="Extra 5 GB of e-mail storage", note="From the next period on, please.",
        period_start=period.start,
    )  # fmt: skip
    world = World(
        contact=contact, billing_contact=billing_contact, document=document, invoice=invoice,
        service=service, confirmation=confirmation, receipt=payment.receipt,
        technical_change=technical_change, project=project, deferral=deferral,
        service_change=service_change,
    )  # fmt: skip
    if TICKETS:
        from core.validators import detect_attachment_kind
        from tickets import services as tickets

        shot = upload("layar.png", png_bytes())
        world.ticket = tickets.ticket_open(
            customer=customer, opened_by=contact.user, category="other",
            subject="Question about my account and my website",
            description="Every page of the shop shows error 500 since eight this morning.",
            attachments=[(shot, detect_attachment_kind(shot))],
        )  # fmt: skip
        world.attachment = world.ticket.messages.first().attachments.get()
        # Replies on both sides, and a note only staff see.
        tickets.ticket_staff_reply(
            ticket=world.ticket, staff=staff_user, body="Please send a screenshot of the error."
        )
        tickets.ticket_staff_reply(
            ticket=world.ticket, staff=staff_user, body="Checked the server logs.", internal=True
        )
        tickets.ticket_reply(
            ticket=world.ticket, author=contact.user, body="Here it is: the shop shows error 500."
        )
    return world


def open_period(service, *, later: int = 0):
    """K4, K5: the earliest period a request about ``service`` is still in time for
    (``later`` periods after it)."""
    from core import clock

    schedule = service.schedule
    return schedule.period(schedule.earliest_open_period(clock.today()).index + later)


def deferral_date(period):
    """K4: a proposed payment date inside the allowed window of ``period``."""
    return policy.deferral_window(period)[0] + timedelta(days=1)


def object_urls(world: World) -> dict[str, str]:
    """Every URL that names one of the customer's objects, by a readable key."""
    urls = {
        "contact-edit": reverse("customers:contact-edit", args=[world.billing_contact.pk]),
        "contact-remove": reverse("customers:contact-remove", args=[world.billing_contact.pk]),
        "identity-file": reverse("customers:identity-file", args=[world.document.pk]),
        "invoice": reverse("invoices:detail", args=[world.invoice.pk]),
        "invoice-pdf": reverse("invoices:pdf", args=[world.invoice.pk]),
        "invoice-confirm": reverse("invoices:confirm", args=[world.invoice.pk]),
        "proof": reverse("invoices:proof", args=[world.confirmation.pk]),
        "receipt": reverse("invoices:receipt", args=[world.receipt.pk]),
        "service": reverse("orders:service", args=[world.service.pk]),
        "deferral": reverse("policy:deferral", args=[world.service.pk]),
        "change": reverse("policy:change", args=[world.service.pk]),
        "technical": reverse("policy:technical", args=[world.service.pk]),
        "migration": reverse("policy:migration", args=[world.service.pk]),
        "letter": reverse("policy:letter", args=[world.technical_change.pk]),
        "project": reverse("projects:detail", args=[world.project.pk]),
        "project-accept": reverse("projects:accept", args=[world.project.pk]),
        "project-cancel": reverse("projects:cancel", args=[world.project.pk]),
        "project-design": reverse("projects:design-file", args=[world.project.pk]),
    }
    if world.ticket is not None:
        number = world.ticket.number
        urls |= {
            "ticket": reverse("tickets:detail", args=[number]),
            "ticket-close": reverse("tickets:close", args=[number]),
            "ticket-reopen": reverse("tickets:reopen", args=[number]),
            "ticket-rate": reverse("tickets:rate", args=[number]),
            "attachment": reverse("tickets:attachment", args=[world.attachment.pk]),
        }
    return urls


# The downloads: each must be an attachment, never sniffed, never cached.
TICKET_KEYS = ["ticket", "ticket-close", "ticket-reopen", "ticket-rate", "attachment"]
DOWNLOADS = ["identity-file", "invoice-pdf", "proof", "receipt", "letter", "project-design"]
OBJECT_KEYS = [
    "contact-edit", "contact-remove", "identity-file", "invoice", "invoice-pdf",
    "invoice-confirm", "proof", "receipt", "service", "deferral", "change", "technical",
    "migration", "letter", "project", "project-accept", "project-cancel", "project-design",
]  # fmt: skip
if TICKETS:  # no skipped cases while the app is missing: CI fails on skips
    DOWNLOADS.append("attachment")
    OBJECT_KEYS += TICKET_KEYS


@pytest.fixture
def stranger(terms):
    """A responsible contact of another customer, logged in."""
    other = ContactFactory(accepted_terms=terms)
    return client_for(other.user)
