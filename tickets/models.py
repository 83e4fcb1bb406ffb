"""Support tickets (K6, K10, H2, H7): the ticket, its messages and their attachments.

A ticket belongs to a customer account and, unless it is about the account or billing,
to one of its services. Its department, priority and response target come from that
service's product (H2); a technical ticket on a service outside its warranty is marked
so both sides see it (H7). Internal notes are messages with ``internal=True``: staff
only, never on the customer's page or in their mail.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.choices import choice_display
from core.storage import private_storage
from customers.models import Customer
from orders.models import Department, Priority, Service


class Category(models.TextChoices):
    """K10: what the ticket is about; each asks for the details staff need."""

    TECHNICAL = "technical", _("Technical problem with hosting")
    DOMAIN = "domain", _("Domain or DNS")
    BILLING = "billing", _("Billing or account")
    PROJECT = "project", _("Custom project")
    OTHER = "other", _("Something else")


class Ticket(models.Model):
    """K6: a customer's request for help, about one service or about the account."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        AWAITING_STAFF = "awaiting_staff", _("Awaiting staff reply")
        AWAITING_CUSTOMER = "awaiting_customer", _("Awaiting customer reply")
        ON_HOLD = "on_hold", _("On hold")
        CLOSED = "closed", _("Closed")

    number = models.CharField(_("number"), max_length=20, unique=True)
    # Indexed first in "ticket_customer_activity"; no single-column index of its own.
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="tickets", db_index=False
    )
    service = models.ForeignKey(
        Service,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("service"),
    )
    category = models.CharField(_("category"), max_length=10, choices=Category.choices)
    department = models.CharField(_("department"), max_length=10, choices=Department.choices)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    subject = models.CharField(_("subject"), max_length=150)
    # K10: the details each category asks for.
    domain_name = models.CharField(_("domain name"), max_length=253, blank=True)
    error_message = models.TextField(_("error message"), blank=True)
    steps_taken = models.TextField(_("steps already taken"), blank=True)
    started_on = models.DateField(_("problem started on"), null=True, blank=True)
    outside_warranty = models.BooleanField(
        _("outside warranty"),
        default=False,
        help_text=_("H7: technical help on this service is limited or paid."),
    )
    warranty_end = models.DateField(_("service warranty until"), null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        verbose_name=_("assigned to"),
        limit_choices_to={"is_staff": True},
        db_index=False,  # indexed first in "ticket_assignee_id"
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="opened_tickets",
        verbose_name=_("opened by"),
    )
    created_at = models.DateTimeField(_("opened at"), default=timezone.now)
    last_message_at = models.DateTimeField(_("last message at"), default=timezone.now)
    response_due_at = models.DateTimeField(
        _("reply due by"),
        null=True,
        blank=True,
        help_text=_("H2: when our reply is due; empty while the customer has to answer."),
    )
    first_response_at = models.DateTimeField(_("first reply at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_comment = models.TextField(_("rating comment"), blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["last_message_at"])

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-last_message_at", "-pk"]
        indexes = [
            # The customer's list, newest activity first.
            models.Index(fields=["customer", "-last_message_at"], name="ticket_customer_activity"),
            # Staff changelist: each filter with the default order (newest first).
            models.Index(fields=["status", "-id"], name="ticket_status_id"),
            models.Index(fields=["department", "-id"], name="ticket_department_id"),
            models.Index(fields=["priority", "-id"], name="ticket_priority_id"),
            models.Index(fields=["assignee", "-id"], name="ticket_assignee_id"),
            models.Index(fields=["-created_at", "-id"], name="ticket_created_at"),
            models.Index(fields=["response_due_at", "-id"], name="ticket_reply_due"),
            models.Index(
                fields=["-id"], condition=Q(outside_warranty=True), name="ticket_outside_warranty"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="ticket_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(status="closed"),
                name="ticket_rated_only_when_closed",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False),
                name="ticket_closed_has_date",
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.subject}"

    def get_status_display(self) -> str:
        """The status's label, translating that label only: the ticket list shows it on
        every row (``core.choices``)."""
        return choice_display(self, "status")

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED


def attachment_upload_to(instance, filename):
    customer_id = instance.message.ticket.customer_id
    return f"tickets/{customer_id}/{uuid.uuid4().hex}{instance.extension}"


class Message(models.Model):
    """One message of a ticket's thread; ``internal`` notes are for staff only."""

    # Indexed first in "message_thread"; no single-column index of its own.
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    from_staff = models.BooleanField(_("from staff"), default=False)
    internal = models.BooleanField(
        _("internal note"), default=False, help_text=_("Staff only; the customer never sees it.")
    )
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="message_thread")]
        constraints = [
            models.CheckConstraint(
                condition=Q(internal=False) | Q(from_staff=True),
                name="internal_notes_are_from_staff",
            ),
        ]

    def __str__(self):
        return f"{self.ticket.number} #{self.pk}"


class Attachment(models.Model):
    """A file sent with a message, stored privately and checked by its content (K10)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), storage=private_storage, upload_to=attachment_upload_to)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=50)
    extension = models.CharField(max_length=5)
    size = models.PositiveIntegerField(_("size"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["pk"]

    def __str__(self):
        return self.original_name

    @property
    def download_name(self) -> str:
        return f"{self.message.ticket.number}-{self.pk}{self.extension}"


class CannedReply(models.Model):
    """A prepared answer staff can start a reply from, in both languages."""

    title = models.CharField(_("title"), max_length=100)
    department = models.CharField(
        _("department"),
        max_length=10,
        choices=Department.choices,
        blank=True,
        help_text=_("Empty: offered in every department."),
    )
    body_id = models.TextField(_("text (Indonesian)"))
    body_en = models.TextField(_("text (English)"))
    is_active = models.BooleanField(_("in use"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        ordering = ["department", "title"]

    def __str__(self):
        return self.title

    def body_in(self, language: str) -> str:
        return self.body_en if language == "en" else self.body_id

    @property
    def body(self) -> str:
        return self.body_in(get_language())


class DepartmentMember(models.Model):
    """Which staff member works in which support department: they hear of its tickets."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="support_departments",
        limit_choices_to={"is_staff": True},
        verbose_name=_("staff member"),
    )
    department = models.CharField(_("department"), max_length=10, choices=Department.choices)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("department member")
        verbose_name_plural = _("department members")
        ordering = ["department", "user__email"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "department"], name="one_membership_per_department"
            ),
        ]

    def __str__(self):
        return f"{self.user} — {self.get_department_display()}"
