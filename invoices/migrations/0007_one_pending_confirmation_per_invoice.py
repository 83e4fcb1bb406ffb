"""K3: one payment confirmation at a time waits for staff per invoice.

Data entered before the constraint may hold two or more pending confirmations of one
invoice, on which creating the unique index fails. Per invoice the earliest is kept
waiting; the others are rejected with a reason (a rejection needs one), the customer
sees it, and the rejection is in their history."""

from django.conf import settings
from django.db import migrations, models
from django.db.models import Count

SUPERSEDED = (
    "Superseded: only one confirmation per invoice can wait for verification; "
    "the earliest is kept."
)


def reject_all_but_the_earliest_pending(apps, schema_editor):
    PaymentConfirmation = apps.get_model("invoices", "PaymentConfirmation")
    History = apps.get_model("invoices", "HistoricalPaymentConfirmation")
    from django.utils import timezone

    now = timezone.now()
    pending = PaymentConfirmation.objects.filter(status="pending")
    invoices = (
        pending.order_by()
        .values("invoice_id")
        .annotate(waiting=Count("pk"))
        .filter(waiting__gt=1)
        .values_list("invoice_id", flat=True)
    )
    tracked = [
        field.attname
        for field in History._meta.concrete_fields
        if not field.attname.startswith("history_")
    ]
    for invoice_id in list(invoices):
        _earliest, *later = pending.filter(invoice_id=invoice_id).order_by("submitted_at", "pk")
        for confirmation in later:
            confirmation.status = "rejected"
            confirmation.rejection_reason = SUPERSEDED
            confirmation.decided_at = now
            confirmation.save(update_fields=["status", "rejection_reason", "decided_at"])
            History.objects.create(
                **{name: getattr(confirmation, name) for name in tracked},
                history_date=now,
                history_type="~",
                history_change_reason="rejected by migration 0007: " + SUPERSEDED,
            )


class Migration(migrations.Migration):

    dependencies = [
        ('invoices', '0006_bankaccount_reminderkind_history'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(reject_all_but_the_earliest_pending, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='paymentconfirmation',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'pending')), fields=('invoice',), name='one_pending_confirmation_per_invoice', violation_error_message='A payment confirmation for this invoice is already waiting for our staff to verify it. You do not need to send it again: we e-mail you their decision, usually within one working day. If it is rejected, you can then send a new one.'),
        ),
    ]
