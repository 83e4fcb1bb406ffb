"""The invoice list's rows and an invoice's status badge (invoices.templatetags.invoice_tags),
on the list and the invoice's page."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from core.templatetags.money import rupiah
from invoices.models import Invoice

BADGE = Template("{% load invoice_tags %}{% invoice_status_badge invoice awaiting %}")


def badge(awaiting=False, **fields) -> str:
    invoice = Invoice(**{"amount_paid": Decimal("0"), **fields})
    return BADGE.render(Context({"invoice": invoice, "awaiting": awaiting}))


def span(css: str, label: str) -> str:
    return f'<span class="badge {css}" data-testid="invoice-status">{label}</span>'


@pytest.mark.parametrize(
    ("fields", "awaiting", "shown"),
    [
        ({"status": "paid"}, False, span("text-bg-success", "Paid")),
        ({"status": "paid"}, True, span("text-bg-success", "Paid")),
        ({"status": "unpaid"}, False, span("text-bg-danger", "Unpaid")),
        ({"status": "unpaid"}, True, span("text-bg-info", "Waiting for verification")),
        (
            {"status": "unpaid", "amount_paid": Decimal("50000")},
            False,
            span("text-bg-warning", "Partly paid"),
        ),
        (
            {"status": "unpaid", "amount_paid": Decimal("50000")},
            True,
            span("text-bg-info", "Waiting for verification"),
        ),
        ({"status": "draft"}, False, span("text-bg-secondary", "Draft")),
        ({"status": "cancelled"}, True, span("text-bg-secondary", "Cancelled")),
        ({"status": "refunded"}, False, span("text-bg-secondary", "Refunded")),
    ],
)
def test_k3_the_badge_says_what_the_customer_has_to_do(fields, awaiting, shown):
    with translation.override("en"):
        assert badge(awaiting, **fields) == shown


def test_the_badge_is_in_indonesian():
    with translation.override("id"):
        assert badge(status="paid") == span("text-bg-success", "Lunas")
        assert badge(True, status="unpaid") == span("text-bg-info", "Menunggu verifikasi")
        assert badge(status="unpaid", amount_paid=Decimal("1")) == span(
            "text-bg-warning", "Dibayar sebagian"
        )


def test_k3_a_row_links_the_invoice_and_shows_its_dates_total_and_badge(
    place, customer_client, in_english
):
    invoice = place()
    page = customer_client.get(reverse("invoices:list")).content.decode()
    issued = invoice.issue_date
    assert f'<a href="/invoices/{invoice.pk}/">{invoice.number}</a>' in page
    assert f"<td>{issued.day} {issued.strftime('%b')} {issued.year}</td>" in page
    assert f'<td class="text-end">{rupiah(invoice.total)}</td>' in page
    assert span("text-bg-danger", "Unpaid") in page
