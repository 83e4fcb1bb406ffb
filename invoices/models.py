"""Invoices (tagihan), payment confirmations (K3), payments and receipts (H3)."""

import uuid
from email.utils import parseaddr

from django.conf import settings
from django.core.mail.utils import DNS_NAME
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.choices import choice_display
from core.storage import private_storage
from core.templatetags.money import rupiah
from customers.models import Customer
from orders.models import Order, Service

MONEY = {"max_digits": 14, "decimal_places": 2}


class DocumentSequence(models.Model):
    """Gapless numbers per kind and year: the row is locked while a number is taken."""

    kind = models.CharField(max_length=10)
    year = models.PositiveIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "year"], name="one_sequence_per_kind_year")
        ]

    def __str__(self):
        return f"{self.kind}/{self.year}: {self.last_number}"


class BankAccount(models.Model):
    """Where customers transfer to; shown on invoices and the payment page."""

    bank = models.CharField(_("bank"), max_length=50)
    account_number = models.CharField(_("account number"), max_length=30)
    holder = models.CharField(_("account holder"), max_length=100)
    is_active = models.BooleanField(_("shown to customers"), default=True)
    position = models.PositiveSmallIntegerField(default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("bank account")
        verbose_name_plural = _("bank accounts")
        ordering = ["position", "pk"]

    def __str__(self):
        return f"{self.bank} {self.account_number}"


# K3: what an unpaid invoice asks the customer to transfer (``Invoice.amount_to_transfer``),
# in SQL; indexed for the unpaid invoices, so that choosing a unique code is one lookup.
TRANSFER_AMOUNT = models.ExpressionWrapper(
    F("total") - F("amount_paid") + F("unique_code"), output_field=models.DecimalField(**MONEY)
)


# K5: a cancelled invoice (corrected after a change was approved) and a refunded one
# (the money went back) no longer bill their service period: the period can be billed
# again. Every other invoice is the period's live invoice; there is one at most.
NOT_LIVE = ["cancelled", "refunded"]


class Invoice(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        UNPAID = "unpaid", _("Unpaid")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")
        REFUNDED = "refunded", _("Refunded")

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="invoices")
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, null=True, blank=True, related_name="invoices"
    )
    service = models.ForeignKey(
        Service,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="period_invoices",
        help_text=_("For a recurring invoice: the service whose period it bills."),
    )
    period_start = models.DateField(_("period start"), null=True, blank=True)
    number = models.CharField(_("number"), max_length=20, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.UNPAID
    )
    issue_date = models.DateField(_("issue date"))
    due_date = models.DateField(_("due date"))
    subtotal = models.DecimalField(_("subtotal"), **MONEY)
    ppn_rate = models.DecimalField(_("PPN rate"), max_digits=5, decimal_places=4)
    ppn_amount = models.DecimalField(_("PPN"), **MONEY)
    total = models.DecimalField(_("total"), **MONEY)
    unique_code = models.PositiveSmallIntegerField(
        _("unique code"),
        help_text=_(
            "Kode unik: added to the transfer so staff can match it to this invoice; chosen "
            "so that no other unpaid invoice asks for the same amount. The invoice is "
            "settled once the total is received; the code is not owed."
        ),
    )
    amount_paid = models.DecimalField(_("amount paid"), default=0, **MONEY)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["created_at"])

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issue_date", "-pk"]
        indexes = [
            models.Index(fields=["customer", "-issue_date"]),
            models.Index(fields=["status", "due_date"]),
            models.Index(fields=["-issue_date", "-id"], name="invoice_admin_order"),
            models.Index(
                TRANSFER_AMOUNT, condition=Q(status="unpaid"), name="invoice_unpaid_transfer"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(total=F("subtotal") + F("ppn_amount")), name="invoice_total_adds_up"
            ),
            models.CheckConstraint(condition=Q(unique_code__lt=1000), name="unique_code_3_digits"),
            models.CheckConstraint(condition=Q(amount_paid__gte=0), name="paid_not_negative"),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(paid_at__isnull=False), name="paid_has_date"
            ),
            # K5: one live invoice per service period; a cancelled one (a change approved
            # after the invoice was issued) leaves room for the corrected invoice, and a
            # refunded one for billing the period again (``NOT_LIVE``).
            models.UniqueConstraint(
                fields=["service", "period_start"],
                condition=Q(service__isnull=False) & ~Q(status__in=NOT_LIVE),
                name="one_invoice_per_service_period",
            ),
        ]

    def __str__(self):
        return self.number

    def get_status_display(self) -> str:
        """The status's label, translating that label only: the invoice list shows it on
        every row (``core.choices``)."""
        return choice_display(self, "status")

    @property
    def balance(self):
        """What is still owed; the unique code is never owed."""
        return max(self.total - self.amount_paid, 0)

    @property
    def amount_to_transfer(self):
        """What the customer transfers: the balance plus the unique code (kode unik)."""
        return self.balance + self.unique_code if self.balance else 0

    @property
    def is_partly_paid(self) -> bool:
        return self.status == self.Status.UNPAID and self.amount_paid > 0


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, null=True, blank=True, related_name="invoice_lines"
    )
    description = models.CharField(_("description"), max_length=300)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    unit_price = models.DecimalField(_("unit price"), **MONEY)
    amount = models.DecimalField(_("amount"), **MONEY)
    applies_ppn = models.BooleanField(_("PPN applies"), default=True)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount=F("unit_price") * F("quantity")), name="line_amount_adds_up"
            ),
        ]

    def __str__(self):
        return self.description


def proof_upload_to(instance, filename):
    return f"proofs/{instance.invoice.customer_id}/{uuid.uuid4().hex}{instance.proof_extension}"


PENDING_CONFIRMATION_EXISTS = _(
    "A payment confirmation for this invoice is already waiting for our staff to verify it. "
    "You do not need to send it again: we e-mail you their decision, usually within one "
    "working day. If it is rejected, you can then send a new one."
)


class PaymentConfirmation(models.Model):
    """K3: the customer says they paid, with the transfer proof; staff decide. One
    confirmation at a time waits per invoice (``one_pending_confirmation_per_invoice``)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for verification")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="confirmations")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    bank_name = models.CharField(_("sender's bank"), max_length=50)
    sender_account_name = models.CharField(_("sender's account name"), max_length=100)
    amount = models.DecimalField(_("amount transferred"), **MONEY)
    transfer_date = models.DateField(_("transfer date"))
    to_account = models.ForeignKey(
        BankAccount, on_delete=models.PROTECT, verbose_name=_("transferred to"), related_name="+"
    )
    proof = models.FileField(
        _("transfer proof"), storage=private_storage, upload_to=proof_upload_to
    )
    proof_content_type = models.CharField(max_length=50)
    proof_extension = models.CharField(max_length=5)
    note = models.TextField(_("note"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    history = HistoricalRecords(excluded_fields=["proof"])

    class Meta:
        verbose_name = _("payment confirmation")
        verbose_name_plural = _("payment confirmations")
        ordering = ["-submitted_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "-submitted_at"]),
            models.Index(fields=["-submitted_at", "-id"], name="confirmation_admin_order"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="confirmation_amount_positive"),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""),
                name="confirmation_rejection_has_reason",
            ),
            # K3: while one confirmation waits for staff, the invoice takes no other, so
            # the same transfer cannot be confirmed (and credited) twice.
            models.UniqueConstraint(
                fields=["invoice"],
                condition=Q(status="pending"),
                name="one_pending_confirmation_per_invoice",
                violation_error_message=PENDING_CONFIRMATION_EXISTS,
            ),
        ]

    def __str__(self):
        return f"{self.invoice.number} — {rupiah(self.amount)}"

    @property
    def amount_differs(self) -> bool:
        """Flag for staff: neither the balance nor the balance plus the unique code."""
        invoice = self.invoice
        return self.amount not in (invoice.balance, invoice.amount_to_transfer)

    @property
    def download_name(self) -> str:
        return f"bukti-transfer-{self.pk}{self.proof_extension}"


class Payment(models.Model):
    """K3: money received against an invoice; one per approved confirmation."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    confirmation = models.OneToOneField(
        PaymentConfirmation, on_delete=models.PROTECT, related_name="payment"
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    received_on = models.DateField(_("received on"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-recorded_at"]

    def __str__(self):
        return f"{self.invoice.number}: {self.amount}"


class Receipt(models.Model):
    """H3: proof of payment (bukti pembayaran) with its own gapless number."""

    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="receipt")
    number = models.CharField(_("number"), max_length=20, unique=True)
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ["-issued_at"]

    def __str__(self):
        return self.number


class ReminderKind(models.Model):
    """An invoice reminder sent ``offset_days`` from the due date (negative: before).
    Editable by staff; the defaults are 7 and 1 days before, on the day, 3 and 7 after."""

    code = models.SlugField(unique=True)
    name = models.CharField(_("name"), max_length=100)
    offset_days = models.SmallIntegerField(
        _("days from the due date"), help_text=_("Negative: before the due date.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("reminder kind")
        verbose_name_plural = _("reminder kinds")
        ordering = ["offset_days"]
        constraints = [
            models.UniqueConstraint(fields=["offset_days"], name="one_reminder_kind_per_offset")
        ]

    def __str__(self):
        return self.name


class Reminder(models.Model):
    """One reminder of one invoice: created by the sweep, handed to the workers
    (``enqueued_at``), claimed and sent by a task. Sent at most once per (invoice, kind)
    up to the SMTP server's acceptance (the unique constraint and the claim); a worker
    that dies in the instant after the server accepted it and before the row is marked
    sent makes it go out again, with the same Message-ID (``<reminder-{pk}@domain>``)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Not needed (paid or cancelled)")
        FAILED = "failed", _("Failed")

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="reminders")
    kind = models.ForeignKey(ReminderKind, on_delete=models.PROTECT, related_name="reminders")
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    enqueued_at = models.DateTimeField(
        _("handed to the workers at"),
        null=True,
        blank=True,
        help_text=_("Handed over again when still unsent after REMINDER_CLAIM_TIMEOUT."),
    )
    claimed_by = models.CharField(max_length=64, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["status", "enqueued_at"], name="reminder_to_enqueue"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "kind"], name="one_reminder_per_kind"),
        ]

    def __str__(self):
        return f"{self.invoice} / {self.kind}"

    @property
    def message_id(self) -> str:
        """The same for every attempt, so a repeated send is recognisable as one message."""
        domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or DNS_NAME
        return f"<reminder-{self.pk}@{domain}>"


class SuspensionWaiver(models.Model):
    """Staff re-activated a service suspended for an unpaid invoice: the overdue run
    (``invoices.jobs.handle_overdue``) does not suspend it again for that invoice.
    Recorded by ``invoices.services.suspension_waive`` with the staff member and reason."""

    service = models.ForeignKey(
        Service,
        on_delete=models.CASCADE,
        related_name="suspension_waivers",
        verbose_name=_("service"),
    )
    invoice = models.ForeignKey(
        Invoice,
        on_delete=models.CASCADE,
        related_name="suspension_waivers",
        verbose_name=_("invoice"),
    )
    waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("waived by"),
    )
    reason = models.TextField(_("reason"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("suspension waiver")
        verbose_name_plural = _("suspension waivers")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "invoice"], name="one_waiver_per_service_invoice"
            ),
        ]

    def __str__(self):
        return f"{self.service} / {self.invoice}"


class MailFailure(models.Model):
    """A billing e-mail whose task failed for good (after its retries): kept with its
    error for staff, who can send it again from admin, never silently lost. Recorded
    by the mail tasks' base class (``invoices.tasks.MailTask.on_failure``)."""

    task_name = models.CharField(_("task"), max_length=200)
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    kwargs = models.JSONField(_("keyword arguments"), default=dict, blank=True)
    recipient = models.CharField(_("recipient"), max_length=500, blank=True)
    error = models.TextField(_("error"))
    failed_at = models.DateTimeField(_("failed at"), auto_now_add=True)
    retried_at = models.DateTimeField(_("sent again at"), null=True, blank=True)
    retried_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent again by"),
    )

    class Meta:
        verbose_name = _("failed e-mail")
        verbose_name_plural = _("failed e-mails")
        ordering = ["-failed_at", "-pk"]

    def __str__(self):
        return f"{self.task_name} {self.args}"
