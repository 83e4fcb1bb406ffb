"""The policy's requests: payment deferral (K4), service change (K5), technical
change (H4) and free migration (H5). Staff decide; only staff may override a rule,
and only with a recorded reason."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.storage import private_storage
from customers.models import Customer
from orders.models import MONEY, Plan, Service


class Decision(models.TextChoices):
    PENDING = "pending", _("Waiting for our staff")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class Decided(models.Model):
    """Who decided, when, why; an override reason when staff set a rule aside."""

    status = models.CharField(
        _("status"), max_length=10, choices=Decision.choices, default=Decision.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    override_reason = models.TextField(
        _("override reason"),
        blank=True,
        help_text=_("Why staff accepted a request outside the 30-day rule."),
    )

    class Meta:
        abstract = True


class PeriodRequest(Decided):
    """A request about the invoice of one billing period (K4, K5)."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    period_start = models.DateField(_("period starting"))
    issue_date = models.DateField(_("invoice issue date"))
    deadline = models.DateField(_("deadline"))

    class Meta:
        abstract = True

    @property
    def was_late(self) -> bool:
        """K4, K5: submitted after the deadline, counted on the Jakarta calendar."""
        return timezone.localdate(self.created_at) > self.deadline if self.created_at else False


class PaymentDeferral(PeriodRequest):
    """K4: defer the payment of a period's invoice to a proposed date."""

    reason = models.TextField(_("why you need more time"))
    proposed_due_date = models.DateField(_("proposed payment date"))
    applied_to = models.ForeignKey(
        "invoices.Invoice", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("payment deferral")
        verbose_name_plural = _("payment deferrals")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "period_start"],
                condition=Q(status__in=["pending", "approved"]),
                name="one_open_deferral_per_period",
                violation_error_message=_("A deferral for this period was already requested."),
            ),
            models.CheckConstraint(
                condition=Q(proposed_due_date__gt=models.F("issue_date")),
                name="deferral_after_issue",
            ),
        ]

    def __str__(self):
        return (
            f"{self.customer} — {self.service}: period {date_format(self.period_start, 'j M Y')}, "
            f"pay by {date_format(self.proposed_due_date, 'j M Y')}"
        )


class ServiceChange(PeriodRequest):
    """K5: change a service from the invoice of a given period on."""

    class Kind(models.TextChoices):
        UPGRADE = "upgrade", _("Upgrade to another plan")
        DOWNGRADE = "downgrade", _("Downgrade to another plan")
        ADDON = "addon", _("Add an add-on")
        CANCEL = "cancel", _("Cancel at the end of the period")

    kind = models.CharField(_("change"), max_length=10, choices=Kind.choices)
    new_plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("new plan"),
    )  # fmt: skip
    addon_description = models.CharField(_("add-on"), max_length=200, blank=True)
    addon_price = models.DecimalField(_("add-on price per period"), null=True, blank=True, **MONEY)
    note = models.TextField(_("note"), blank=True)
    effective_immediately = models.BooleanField(
        _("applied mid-period"),
        default=False,
        help_text=_("Only staff, with an override reason: the difference is prorated."),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("service change")
        verbose_name_plural = _("service changes")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind__in=["upgrade", "downgrade"]) | Q(new_plan__isnull=False),
                name="plan_change_names_a_plan",
            ),
            models.CheckConstraint(
                condition=~Q(kind="addon") | ~Q(addon_description=""),
                name="addon_is_described",
            ),
            models.UniqueConstraint(
                fields=["service", "period_start"],
                condition=Q(status__in=["pending", "approved"], kind="cancel"),
                name="one_open_cancellation_per_period",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.service}"


def authorisation_upload_to(instance, filename):
    return f"authorisations/{instance.customer_id}/{uuid.uuid4().hex}{instance.letter_extension}"


class TechnicalChange(Decided):
    """H4: a change of a service's technical data, allowed directly for the verified
    responsible contact, otherwise only with a letter of authorisation (surat kuasa)."""

    class Kind(models.TextChoices):
        NAMESERVERS = "nameservers", _("Nameservers")
        DNS = "dns", _("DNS records")
        HOSTING_ACCOUNT = "hosting", _("Hosting account details")
        DOMAIN_CONTACT = "contact", _("Domain contact")

    class Work(models.TextChoices):
        OPEN = "open", _("Not done yet")
        DONE = "done", _("Done")

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    kind = models.CharField(_("what to change"), max_length=12, choices=Kind.choices)
    details = models.TextField(_("the change, exactly"))
    proven_by_identity = models.BooleanField(
        _("asked by the verified responsible contact"), default=False
    )
    letter = models.FileField(
        _("letter of authorisation (surat kuasa)"),
        storage=private_storage,
        upload_to=authorisation_upload_to,
        blank=True,
    )
    letter_content_type = models.CharField(max_length=50, blank=True)
    letter_extension = models.CharField(max_length=5, blank=True)
    work = models.CharField(_("work"), max_length=5, choices=Work.choices, default=Work.OPEN)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["letter"])

    class Meta:
        verbose_name = _("technical change")
        verbose_name_plural = _("technical changes")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(proven_by_identity=True) | ~Q(letter=""),
                name="technical_change_has_proof",
            ),
            models.CheckConstraint(
                condition=Q(work="open") | Q(status="approved"),
                name="done_only_when_approved",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.service}"


class Migration(models.Model):
    """H5: free migration of a paid hosting service to our servers."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        SCHEDULED = "scheduled", _("Scheduled")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    class Panel(models.TextChoices):
        CPANEL = "cpanel", "cPanel"
        PLESK = "plesk", "Plesk"
        DIRECTADMIN = "directadmin", "DirectAdmin"
        OTHER = "other", _("Other / none")

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    source_host = models.CharField(_("current hosting provider"), max_length=200)
    control_panel = models.CharField(_("control panel"), max_length=12, choices=Panel.choices)
    domains = models.TextField(_("domains to move"), help_text=_("One per line."))
    move_files = models.BooleanField(_("website files"), default=True)
    move_databases = models.BooleanField(_("databases"), default=True)
    move_email = models.BooleanField(_("e-mail accounts and messages"), default=False)
    preferred_window = models.CharField(
        _("preferred time"), max_length=200, help_text=_("For example: weekdays after 22:00 WIB.")
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.REQUESTED
    )
    staff_note = models.TextField(_("note from our staff"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("migration")
        verbose_name_plural = _("migrations")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["service"],
                condition=Q(status__in=["requested", "scheduled", "in_progress"]),
                name="one_open_migration_per_service",
                violation_error_message=_("A migration for this service is already under way."),
            ),
        ]

    def __str__(self):
        return f"{self.service} ← {self.source_host}"
