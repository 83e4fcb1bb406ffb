"""Custom projects (project khusus) and their scope changes.

The rest of the policy, custom projects: the customer supplies the basics (a layout
or design reference, what the project needs, what it is built with, how it should
work); staff quote it; accepting the quote orders it (K2, K9); a change of scope
after work started is recorded and moves the estimated delivery date.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.storage import private_storage
from customers.models import Customer
from orders.models import MONEY, Order
from projects.validators import MinimumRealLength

BASICS_MIN_CHARS = 40
SCOPE_CHANGE_MIN_CHARS = 20


def design_upload_to(instance, filename):
    return f"projects/{instance.customer_id}/{uuid.uuid4().hex}{instance.design_file_extension}"


class CustomProject(models.Model):
    """A custom project from request to delivery; each decision is audited."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Waiting for a quote")
        QUOTED = "quoted", _("Quoted: waiting for your acceptance")
        ACCEPTED = "accepted", _("Accepted: work starts soon")
        IN_PROGRESS = "in_progress", _("In progress")
        DELIVERED = "delivered", _("Delivered")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="projects")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("project name"), max_length=200)
    design_reference_url = models.URLField(
        _("link to a design or layout"), max_length=500, blank=True
    )
    design_reference_file = models.FileField(
        _("design or layout file"), storage=private_storage, upload_to=design_upload_to, blank=True
    )
    design_file_content_type = models.CharField(max_length=50, blank=True)
    design_file_extension = models.CharField(max_length=5, blank=True)
    requirements = models.TextField(
        _("what the project needs"), validators=[MinimumRealLength(BASICS_MIN_CHARS)]
    )
    technology = models.TextField(
        _("what it is to be built with"), validators=[MinimumRealLength(BASICS_MIN_CHARS)]
    )
    workflow = models.TextField(
        _("how it should work"), validators=[MinimumRealLength(BASICS_MIN_CHARS)]
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.SUBMITTED
    )
    status_reason = models.TextField(
        _("reason"),
        blank=True,
        help_text=_("Why the project was rejected or cancelled; shown to the customer."),
    )
    quoted_price = models.DecimalField(
        _("quoted price (before PPN)"), null=True, blank=True, **MONEY
    )
    quoted_delivery_date = models.DateField(_("quoted delivery date"), null=True, blank=True)
    quote_note = models.TextField(_("note with the quote"), blank=True)
    quote_revision = models.PositiveIntegerField(
        _("quote revision"),
        default=0,
        help_text=_("Counts the quotes; an acceptance is for the revision the customer read."),
    )
    quoted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    quoted_at = models.DateTimeField(_("quoted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    order = models.OneToOneField(
        Order,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="custom_project",
        help_text=_("K2: created when the customer accepts the quote."),
    )
    estimated_delivery_date = models.DateField(
        _("estimated delivery date"),
        null=True,
        blank=True,
        help_text=_("The quoted date, moved by each scope change."),
    )
    started_at = models.DateTimeField(_("work started at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Who made the last decision (start, delivery, rejection, cancellation)."),
    )
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["design_reference_file"])

    class Meta:
        verbose_name = _("custom project")
        verbose_name_plural = _("custom projects")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["customer", "-created_at"]),
            models.Index(fields=["status", "created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(design_reference_url="") | ~Q(design_reference_file=""),
                name="project_has_design_reference",
                violation_error_message=_("Give a link to a design or upload a design file."),
            ),
            models.CheckConstraint(
                condition=Q(quoted_price__isnull=True) | Q(quoted_price__gt=0),
                name="project_quote_is_positive",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["quoted", "accepted", "in_progress", "delivered"])
                | Q(
                    quoted_price__isnull=False,
                    quoted_delivery_date__isnull=False,
                    quoted_at__isnull=False,
                ),
                name="project_quoted_has_price_and_date",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["accepted", "in_progress", "delivered"])
                | Q(
                    order__isnull=False,
                    accepted_at__isnull=False,
                    estimated_delivery_date__isnull=False,
                ),
                name="project_accepted_has_order",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["in_progress", "delivered"]) | Q(started_at__isnull=False),
                name="project_started_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status="delivered") | Q(delivered_at__isnull=False),
                name="project_delivered_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(status_reason=""),
                name="project_rejection_has_reason",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.title}"

    @property
    def design_download_name(self) -> str:
        return f"project-{self.pk}-design{self.design_file_extension}"

    @property
    def is_open_for_quote(self) -> bool:
        return self.status in (self.Status.SUBMITTED, self.Status.QUOTED)


class ScopeChange(models.Model):
    """Custom projects: a change of definition after work started, with who asked
    for it; it moves the estimated delivery date by ``extra_days``.

    ``new_date = previous_date + extra_days`` is computed in ``scope_change_record``
    (date arithmetic is not portable in a CheckConstraint); the database still holds
    that the date only moves forward.
    """

    class Side(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        STAFF = "staff", _("Masternet")

    project = models.ForeignKey(
        CustomProject, on_delete=models.PROTECT, related_name="scope_changes"
    )
    description = models.TextField(
        _("what changed"), validators=[MinimumRealLength(SCOPE_CHANGE_MIN_CHARS, min_words=3)]
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_by_side = models.CharField(_("side"), max_length=10, choices=Side.choices)
    extra_days = models.PositiveIntegerField(_("extra days"))
    previous_date = models.DateField(_("previous estimated delivery date"))
    new_date = models.DateField(_("new estimated delivery date"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("scope change")
        verbose_name_plural = _("scope changes")
        ordering = ["recorded_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(extra_days__gte=1), name="scope_change_adds_days"),
            models.CheckConstraint(
                condition=Q(new_date__gt=F("previous_date")), name="scope_change_moves_date_later"
            ),
        ]

    def __str__(self):
        return f"{self.project} +{self.extra_days}"
