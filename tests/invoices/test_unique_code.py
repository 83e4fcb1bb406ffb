"""K3: the kode unik makes the amount to transfer unique among unpaid invoices, so staff
can tell whose transfer arrived; the e-mails, the PDF and the invoice page say so truly."""

from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.templatetags.money import rupiah
from invoices import jobs
from invoices.models import Invoice
from invoices.services import InvoiceSpec, invoice_issue, invoices_issue_batch
from orders.pricing import LineSpec
from tests.invoices.test_billing import _pdf_text


def _issue(customer, total: str, day=date(2026, 5, 1)) -> Invoice:
    return invoice_issue(
        customer=customer, lines=[LineSpec("x", Decimal(total), False)], issue_date=day
    )


def _amounts() -> list[Decimal]:
    return [
        invoice.amount_to_transfer
        for invoice in Invoice.objects.filter(status=Invoice.Status.UNPAID).order_by("pk")
    ]


def test_k3_neighbouring_totals_never_share_an_amount_to_transfer(customer):
    """Rp 111.000 and Rp 110.999: a code from the sequence number alone (2 and 3)
    asked both customers for Rp 111.002."""
    first = _issue(customer, "111000")
    second = _issue(customer, "110999")
    assert first.amount_to_transfer != second.amount_to_transfer
    assert (first.unique_code, second.unique_code) == (1, 1)  # the smallest free code


def test_k3_the_smallest_free_code_is_taken_and_freed_when_paid_or_cancelled(customer, staff_user):
    invoices = [_issue(customer, "150000") for _ in range(3)]
    assert [invoice.unique_code for invoice in invoices] == [1, 2, 3]
    from invoices.services import invoice_cancel

    invoice_cancel(invoice=invoices[0], staff=staff_user, reason="duplicate")
    assert _issue(customer, "150000").unique_code == 1  # Rp 150.001 is free again
    assert len(set(_amounts())) == len(_amounts()) == 3


def test_k3_a_partly_paid_invoice_keeps_its_amount_to_transfer(customer):
    partly = _issue(customer, "200000")
    Invoice.objects.filter(pk=partly.pk).update(amount_paid=Decimal("100000"))
    partly.refresh_from_db()
    assert partly.amount_to_transfer == Decimal("100001")
    assert _issue(customer, "100000").amount_to_transfer == Decimal("100002")


def test_k3_the_recurring_batch_chooses_unique_amounts_with_one_query(customer):
    _issue(customer, "111000")  # Rp 111.001 is taken
    specs = [
        InvoiceSpec(customer, [LineSpec("x", Decimal(total), False)], date(2026, 5, 1))
        for total in ["111000", "111000", "110999", "111001", "250000"]
    ]
    with CaptureQueriesContext(connection) as queries:
        invoices_issue_batch(specs=specs)
    amounts = _amounts()
    assert len(set(amounts)) == len(amounts) == 6
    assert sorted(amounts)[:4] == [Decimal(n) for n in (111000, 111001, 111002, 111003)]
    code_queries = [
        q for q in queries if q["sql"].startswith("SELECT") and '"unique_code"' in q["sql"]
    ]
    assert len(code_queries) == 1, [q["sql"] for q in code_queries]


def test_k3_mails_pdf_and_page_say_to_transfer_exactly_the_amount(
    place, customer_client, django_capture_on_commit_callbacks
):
    """The amount is what identifies the invoice; with totals that are not whole
    thousands the code is not "the last three digits", and nothing says it is."""
    with django_capture_on_commit_callbacks(execute=True):
        invoice = place()
    exact = rupiah(invoice.amount_to_transfer)
    body = mail.outbox[-1].body
    jobs.sweep_reminders(today=invoice.due_date, catch_up_days=0)
    reminder = mail.outbox[-1].body
    page = customer_client.get(reverse("invoices:detail", args=[invoice.pk])).content.decode()
    pdf = " ".join(
        _pdf_text(customer_client.get(reverse("invoices:pdf", args=[invoice.pk])).content).split()
    )
    for text in (body, reminder, page, pdf):
        assert exact in text
        assert "three digits" not in text
        assert "tiga digit" not in text and "tiga angka" not in text
        assert "exactly" in text or "tepat" in text
    for text in (body, reminder):
        assert "last digits" in text or "angka terakhir" in text


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_k3_invoices_of_two_years_issued_at_once_ask_for_different_amounts(terms):
    """K3: 31 December's invoice is not committed yet when 1 January's is issued, with
    the same total. Each year has its own number sequence row; the unique-code lock is
    one for all years, so the second waits and takes the next code."""
    import threading
    import time

    from django.db import transaction

    from tests.factories import ContactFactory

    customer = ContactFactory(accepted_terms=terms).customer
    chosen, failures = threading.Event(), []
    release = threading.Event()

    def in_thread(work):
        def run():
            try:
                work()
            except Exception as exc:  # noqa: BLE001  # reported by the test below
                failures.append(exc)
            finally:
                connection.close()

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    def december():
        with transaction.atomic():
            _issue(customer, "150000", day=date(2026, 12, 31))
            chosen.set()
            release.wait(10)  # committed once January's invoice has had time to choose

    first = in_thread(december)
    assert chosen.wait(10), failures
    second = in_thread(lambda: _issue(customer, "150000", day=date(2027, 1, 1)))
    time.sleep(0.5)
    release.set()
    for thread in (first, second):
        thread.join(10)
    assert not failures
    amounts = _amounts()
    assert len(amounts) == 2 and len(set(amounts)) == 2, amounts
