"""Invoices' migrations: data migrated forward, and the field names they give admin."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.factories import BankAccountFactory, ContactFactory

BEFORE = [("invoices", "0006_bankaccount_reminderkind_history")]
AFTER = [("invoices", "0007_one_pending_confirmation_per_invoice")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)  # the schema changes: no test transaction around it
def test_k3_0007_keeps_the_earliest_pending_confirmation_of_an_invoice(terms):
    """Two confirmations of one invoice waiting (and one of another invoice): the unique
    index would fail. The earliest stays pending; the later one is rejected with the
    reason the customer reads, recorded in its history; the other invoice's is kept."""
    contact = ContactFactory(accepted_terms=terms)
    bank = BankAccountFactory()
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        apps = _migrate(BEFORE)
        Invoice = apps.get_model("invoices", "Invoice")
        Confirmation = apps.get_model("invoices", "PaymentConfirmation")
        money = {"subtotal": Decimal(100000), "ppn_rate": 0, "ppn_amount": 0, "total": 100000}
        twice, once = (
            Invoice.objects.create(
                customer_id=contact.customer_id,
                number=f"INV/2026/00000{n}",
                issue_date=date(2026, 11, 1),
                due_date=date(2026, 11, 8),
                unique_code=n,
                **money,
            )  # fmt: skip
            for n in (1, 2)
        )

        def confirm(invoice):
            return Confirmation.objects.create(
                invoice=invoice, submitted_by_id=contact.user_id, bank_name="BCA",
                sender_account_name="Budi", amount=Decimal("100001"),
                transfer_date=date(2026, 11, 2), to_account_id=bank.pk, proof="proofs/p.png",
                proof_content_type="image/png", proof_extension=".png",
            )  # fmt: skip

        earliest, later, other = confirm(twice), confirm(twice), confirm(once)

        apps = _migrate(AFTER)
        Confirmation = apps.get_model("invoices", "PaymentConfirmation")
        status = dict(Confirmation.objects.values_list("pk", "status"))
        assert status == {earliest.pk: "pending", later.pk: "rejected", other.pk: "pending"}
        rejected = Confirmation.objects.get(pk=later.pk)
        assert rejected.rejection_reason.startswith("Superseded: only one confirmation")
        assert rejected.decided_at is not None
        History = apps.get_model("invoices", "HistoricalPaymentConfirmation")
        row = History.objects.get(id=later.pk)
        assert (row.status, row.history_type) == ("rejected", "~")
        assert "migration 0007" in row.history_change_reason
    finally:
        _migrate(latest)


def test_the_suspension_waiver_fields_are_named_for_admin():
    """Admin shows the waiver's fields in the staff member's language, not field names."""
    from django.utils import translation

    from invoices.models import SuspensionWaiver

    with translation.override("id"):
        labels = [
            str(SuspensionWaiver._meta.get_field(f).verbose_name) for f in ("service", "invoice")
        ]
    assert labels == ["layanan", "tagihan"]
