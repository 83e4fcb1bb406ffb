"""Reads for invoices, confirmations and receipts, scoped to their owner."""

from functools import cache

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from customers.models import Customer
from invoices.models import (
    NOT_LIVE,
    BankAccount,
    Invoice,
    InvoiceLine,
    PaymentConfirmation,
    Receipt,
)


def _invoices() -> QuerySet[Invoice]:
    """Invoices, newest first, each knowing whether a payment confirmation waits (K3)."""
    pending = PaymentConfirmation.objects.filter(
        invoice=OuterRef("pk"), status=PaymentConfirmation.Status.PENDING
    )
    return Invoice.objects.annotate(awaiting_verification=Exists(pending)).order_by(
        "-issue_date", "-pk"
    )


def invoices_for(*, customer: Customer) -> QuerySet[Invoice]:
    """K3: each invoice knows whether a payment confirmation waits for staff."""
    return _invoices().filter(customer=customer)


@cache
def _invoice_list() -> QuerySet[Invoice]:
    # Built once: the annotation, order and columns cost more to build than the page's
    # rows. Never evaluated itself; each request's filter makes a new queryset.
    return _invoices().only("number", "status", "issue_date", "due_date", "total", "amount_paid")


def invoice_list_for(*, customer: Customer) -> QuerySet[Invoice]:
    """The invoice list: the columns it shows, with the badge's (K3) but not the rest."""
    return _invoice_list().filter(customer=customer)


def invoice_of(*, customer: Customer, pk: int) -> Invoice:
    """An invoice of this customer with its lines, confirmations and payments; another
    customer's is a 404."""
    return get_object_or_404(
        invoices_for(customer=customer).prefetch_related(
            Prefetch("lines", queryset=InvoiceLine.objects.select_related("service")),
            Prefetch(
                "confirmations",
                queryset=PaymentConfirmation.objects.select_related("payment__receipt"),
            ),
        ),
        pk=pk,
    )


def confirmation_of(*, customer: Customer, pk: int) -> PaymentConfirmation:
    return get_object_or_404(PaymentConfirmation, invoice__customer=customer, pk=pk)


def receipt_of(*, customer: Customer, pk: int) -> Receipt:
    return get_object_or_404(
        Receipt.objects.select_related("payment__invoice__customer"),
        payment__invoice__customer=customer,
        pk=pk,
    )


def bank_accounts() -> QuerySet[BankAccount]:
    return BankAccount.objects.filter(is_active=True)


def period_invoices_for_update(*, service, period_start, onwards: bool = False) -> list[Invoice]:
    """K4, K5: the live invoice of the service's period starting ``period_start`` (with
    ``onwards``: of that period and of every later one), locked, oldest period first.
    Live: neither cancelled nor refunded (``NOT_LIVE``), as the database's
    one-invoice-per-service-period constraint counts them. The caller holds the
    service row locked first (the lock order in ``invoices.services``)."""
    period = {"period_start__gte" if onwards else "period_start": period_start}
    return list(
        Invoice.objects.select_for_update()
        .filter(service=service, **period)
        .exclude(status__in=NOT_LIVE)
        .order_by("period_start")
    )
