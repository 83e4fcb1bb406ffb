"""Invoices and receipts as real PDFs (WeasyPrint), in the customer's language."""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import HTML

from invoices.models import BankAccount, Invoice, Receipt


def _render(template: str, context: dict, language: str) -> bytes:
    with translation.override(language):
        html = render_to_string(template, {"provider": settings.PROVIDER, **context})
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def invoice_pdf(invoice: Invoice, *, language: str) -> bytes:
    lines = list(invoice.lines.all())
    banks = list(BankAccount.objects.filter(is_active=True))
    return _render(
        "invoices/pdf/invoice.html",
        {"invoice": invoice, "lines": lines, "banks": banks},
        language,
    )


def receipt_pdf(receipt: Receipt, *, language: str) -> bytes:
    return _render(
        "invoices/pdf/receipt.html",
        {"receipt": receipt, "payment": receipt.payment, "invoice": receipt.payment.invoice},
        language,
    )


def invoice_filename(invoice: Invoice) -> str:
    return invoice.number.replace("/", "-") + ".pdf"


def receipt_filename(receipt: Receipt) -> str:
    return receipt.number.replace("/", "-") + ".pdf"
