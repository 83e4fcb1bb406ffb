"""Helpers of the policy tests: a travelled clock and a paid invoice."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import time_machine

from core.validators import detect_scan_kind
from invoices import services as billing
from invoices.models import BankAccount, Invoice
from tests.factories import png_bytes, upload

WIB = ZoneInfo("Asia/Jakarta")


def at(day: date, hour=10):
    return time_machine.travel(datetime(day.year, day.month, day.day, hour, tzinfo=WIB), tick=False)


def pay(invoice: Invoice, *, by, staff, amount=None, day=None) -> Invoice:
    """The customer confirms a transfer of ``amount`` (default: all of it); staff approve."""
    proof = upload("p.png", png_bytes())
    confirmation = billing.payment_confirmation_submit(
        invoice=invoice, submitted_by=by, bank_name="BCA", sender_account_name="Budi",
        amount=amount if amount is not None else invoice.amount_to_transfer,
        transfer_date=day or invoice.issue_date, to_account=BankAccount.objects.get(),
        proof=proof, proof_kind=detect_scan_kind(proof),
    )  # fmt: skip
    billing.payment_approve(confirmation=confirmation, staff=staff)
    invoice.refresh_from_db()
    return invoice
