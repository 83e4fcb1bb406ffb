"""The catalogue, orders and the services they create (K2, K9, H1, H2, H5, H7)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.templatetags.money import rupiah
from customers.models import Customer
from invoices.periods import CYCLE_MONTHS, Schedule

MONEY = {"max_digits": 14, "decimal_places": 2}


class BillingCycle(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    SEMIANNUAL = "semiannual", _("Every six months")
    YEARLY = "yearly", _("Yearly")
    ONE_TIME = "one_time", _("One time")


class Department(models.TextChoices):
    """H2: the support departments a product entitles its customer to."""

    HOSTING = "hosting", _("Hosting support")
    DOMAINS = "domains", _("Domains and DNS")
    PROJECTS = "projects", _("Custom projects")
    BILLING = "billing", _("Billing")
    GENERAL = "general", _("General")


class Priority(models.IntegerChoices):
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


class Translated:
    """``name``/``description`` in the active language, from ``*_id`` and ``*_en`` fields."""

    def _pick(self, field: str) -> str:
        english = getattr(self, f"{field}_en")
        return english if get_language() == "en" and english else getattr(self, f"{field}_id")

    @property
    def name(self) -> str:
        return self._pick("name")

    @property
    def description(self) -> str:
        return self._pick("description")


class ProductGroup(Translated, models.Model):
    class Kind(models.TextChoices):
        HOSTING = "hosting", _("Hosting")
        DOMAIN = "domain", _("Domains")
        PROJECT = "project", _("Custom projects")
        OTHER = "other", _("Other")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    slug = models.SlugField(unique=True)
    name_id = models.CharField(_("name (Indonesian)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    description_id = models.TextField(_("description (Indonesian)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("product group")
        verbose_name_plural = _("product groups")
        ordering = ["position", "pk"]

    def __str__(self):
        return self.name_id


class Product(Translated, models.Model):
    group = models.ForeignKey(ProductGroup, on_delete=models.PROTECT, related_name="products")
    slug = models.SlugField(unique=True)
    name_id = models.CharField(_("name (Indonesian)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    description_id = models.TextField(_("description (Indonesian)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    is_active = models.BooleanField(_("on sale"), default=True)
    needs_domain = models.BooleanField(
        _("needs a domain name"), default=False, help_text=_("The cart asks for a domain name.")
    )
    applies_ppn = models.BooleanField(_("PPN applies"), default=True)
    warranty_days = models.PositiveIntegerField(
        _("warranty (days)"),
        default=0,
        help_text=_("H7: limited technical help for this many days after activation."),
    )
    requires_verified_identity = models.BooleanField(
        _("requires verified identity"),
        default=False,
        help_text=_("K8: the service is not activated until the customer's identity is verified."),
    )
    free_migration = models.BooleanField(
        _("eligible for free migration"), default=False, help_text=_("H5")
    )
    support_department = models.CharField(
        _("support department"),
        max_length=10,
        choices=Department.choices,
        default=Department.GENERAL,
        help_text=_("H2: the department this product lets its customer open tickets in."),
    )
    support_priority = models.PositiveSmallIntegerField(
        _("support priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["group__position", "position", "pk"]

    def __str__(self):
        return self.name_id

    @property
    def is_domain(self) -> bool:
        return self.group.kind == ProductGroup.Kind.DOMAIN


class Plan(models.Model):
    """A price of a product for one billing cycle."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="plans")
    name = models.CharField(_("plan"), max_length=100)
    cycle = models.CharField(_("billing cycle"), max_length=10, choices=BillingCycle.choices)
    price = models.DecimalField(_("price"), **MONEY)
    setup_fee = models.DecimalField(_("setup fee"), default=0, **MONEY)
    is_active = models.BooleanField(_("on sale"), default=True)
    support_priority = models.PositiveSmallIntegerField(
        _("support priority"),
        choices=Priority.choices,
        null=True,
        blank=True,
        help_text=_("H2: overrides the product's support priority; empty: the product's."),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["product", "price"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "name", "cycle"], name="one_price_per_plan_and_cycle"
            ),
            models.CheckConstraint(
                condition=Q(price__gte=0) & Q(setup_fee__gte=0), name="plan_prices_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.product} — {self.name} ({self.get_cycle_display()})"

    @property
    def label(self) -> str:
        return f"{self.name} — {self.get_cycle_display()} — {rupiah(self.price)}"


class TldPrice(models.Model):
    """Yearly prices of a top-level domain."""

    tld = models.CharField(
        _("extension"), max_length=20, unique=True, help_text=_("With the dot: .id, .co.id")
    )
    register_price = models.DecimalField(_("registration"), **MONEY)
    transfer_price = models.DecimalField(_("transfer"), **MONEY)
    renew_price = models.DecimalField(_("renewal"), **MONEY)
    requires_company_documents = models.BooleanField(
        _("requires company documents"),
        default=False,
        help_text=_("PANDI asks for the company's NPWP and NIB (for example .co.id)."),
    )
    is_active = models.BooleanField(_("on sale"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("domain price")
        verbose_name_plural = _("domain prices")
        ordering = ["tld"]

    def __str__(self):
        return self.tld


class Order(models.Model):
    """K2: an order placed through the portal (or by staff through the same service)."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    placed_at = models.DateTimeField(_("placed at"), auto_now_add=True)
    aup_accepted_at = models.DateTimeField(_("acceptable use accepted at"))
    aup_ip_address = models.GenericIPAddressField(_("acceptable use IP"), null=True, blank=True)
    aup_version = models.CharField(_("acceptable use policy version"), max_length=20)
    staff_note = models.TextField(_("staff note"), blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-placed_at"]

    def __str__(self):
        return f"#{self.pk}"


class Service(models.Model):
    """H1: what a customer has ordered, with its status, period and warranty."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")

    class DomainAction(models.TextChoices):
        REGISTER = "register", _("Register")
        TRANSFER = "transfer", _("Transfer")

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="services")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="services")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="services")
    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, null=True, blank=True, related_name="services"
    )
    domain_name = models.CharField(_("domain"), max_length=253, blank=True)
    label = models.CharField(
        _("label"),
        max_length=200,
        blank=True,
        help_text=_("What the service is when the product does not say, e.g. a project's name."),
    )
    domain_action = models.CharField(
        _("domain action"), max_length=10, choices=DomainAction.choices, blank=True
    )
    cycle = models.CharField(_("billing cycle"), max_length=10, choices=BillingCycle.choices)
    recurring_price = models.DecimalField(_("recurring price"), **MONEY)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    status_reason = models.TextField(
        _("status note"),
        blank=True,
        help_text=_("Why the service waits or was suspended; shown to the customer."),
    )
    period_start = models.DateField(_("period start"), null=True, blank=True)
    period_end = models.DateField(_("period end"), null=True, blank=True)
    next_due_date = models.DateField(_("next due date"), null=True, blank=True)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    period_anchor = models.DateField(
        _("first period start"), null=True, blank=True, help_text=_("Periods repeat from here.")
    )
    invoice_anchor = models.DateField(
        _("first invoice day"),
        null=True,
        blank=True,
        help_text=_("Recurring invoices are issued on this day of the month (K4, K5)."),
    )
    warranty_end = models.DateField(_("warranty until"), null=True, blank=True)
    next_invoice_date = models.DateField(
        _("next invoice on"),
        null=True,
        blank=True,
        help_text=_("When the recurring run issues the next period's invoice."),
    )
    suspended_for = models.ForeignKey(
        "invoices.Invoice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("suspended for invoice"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["customer", "-created_at"]),
            models.Index(fields=["status", "next_due_date"]),
            models.Index(fields=["status", "next_invoice_date"]),
        ]

    def __str__(self):
        label = self.product.name_id
        return f"{label} — {self.detail}" if self.detail else label

    @property
    def detail(self) -> str:
        """Which one of the product it is: its domain, or its label (a project's name)."""
        return self.domain_name or self.label

    @property
    def support_priority(self) -> int:
        """H2: the plan's support priority, or else the product's."""
        if self.plan_id is not None and self.plan.support_priority is not None:
            return self.plan.support_priority
        return self.product.support_priority

    @property
    def schedule(self) -> Schedule | None:
        """K4, K5: the service's billing periods, once it is active and recurring."""
        if (
            self.period_anchor is None
            or self.invoice_anchor is None
            or not CYCLE_MONTHS[self.cycle]
        ):
            return None
        return Schedule(self.period_anchor, self.invoice_anchor, self.cycle)
