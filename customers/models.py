"""Accounts (K1 terms, K7 responsible contact, K8 identity).

A ``User`` is a person who logs in; a ``Customer`` is the account that orders and
pays; a ``Contact`` links the two with a role. Exactly one contact per customer is
the responsible contact (penanggung jawab).
"""

import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.cache import cache
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.storage import private_storage


class Language(models.TextChoices):
    INDONESIAN = "id", _("Indonesian")
    ENGLISH = "en", _("English")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class UserHistoricalRecords(HistoricalRecords):
    """simple-history's audit, also for a user's groups and permissions changed from
    the other side (``group.user_set.add(user)``, ``permission.user_set.remove(...)``):
    simple-history records only the forward side and fails on the reverse one
    (django-simple-history issue #1048). Each user concerned gets a history row."""

    def m2m_changed(self, instance, action, attr, pk_set, reverse, **kwargs):
        if not reverse:
            return super().m2m_changed(instance, action, attr, pk_set, reverse, **kwargs)
        if not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
            return None
        model = kwargs["model"]  # the user model
        if action == "pre_clear":
            instance._history_cleared_users = list(
                model.objects.filter(**{attr: instance}).values_list("pk", flat=True)
            )
            return None
        if action == "post_clear":
            pk_set = getattr(instance, "_history_cleared_users", [])
        elif action not in ("post_add", "post_remove"):
            return None
        for user in model.objects.filter(pk__in=pk_set or []):
            if hasattr(instance, "_history_user"):  # else the request's user, as usual
                user._history_user = instance._history_user
            self.create_historical_record(user, "~")
        return None


class User(AbstractUser):
    """A person who logs in, by e-mail; customers and staff alike."""

    username = None
    email = models.EmailField(_("e-mail address"), unique=True)
    language = models.CharField(
        _("language"), max_length=5, choices=Language.choices, default=Language.INDONESIAN
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()
    # The audit: e-mail, names, is_active, is_staff, is_superuser, language, and the
    # groups and permissions (what the user may do), with the acting user. Never the
    # password hash; a login's last_login is no change of state.
    history = UserHistoricalRecords(
        excluded_fields=["password", "last_login"], m2m_fields=["groups", "user_permissions"]
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.email

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and set(update_fields) <= {"last_login"}:
            self.skip_history_when_saving = True  # a login (update_last_login)
            try:
                return super().save(*args, **kwargs)
            finally:
                del self.skip_history_when_saving
        return super().save(*args, **kwargs)


# customers.selectors.current_terms caches the current version under this key.
CURRENT_TERMS_CACHE_KEY = "customers:current-terms"


def forget_current_terms() -> None:
    """Drop the cached current version now and again after the commit, so that no
    request re-caches the old one in between."""
    cache.delete(CURRENT_TERMS_CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(CURRENT_TERMS_CACHE_KEY))


class TermsVersionQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published_at__isnull=False, published_at__lte=timezone.now())

    def current(self):
        """K1: the newest published version, the one every customer must have accepted."""
        return self.published().order_by("-published_at", "-pk").first()


class TermsVersion(models.Model):
    """K1: one version of the Terms of Service, in Indonesian and English."""

    version = models.CharField(_("version"), max_length=20, unique=True)
    published_at = models.DateTimeField(
        _("published at"),
        null=True,
        blank=True,
        help_text=_("Empty while a draft. From this moment every customer must accept it."),
    )
    summary_id = models.TextField(_("what changed (Indonesian)"), blank=True)
    summary_en = models.TextField(_("what changed (English)"), blank=True)
    text_id = models.TextField(_("text (Indonesian)"))
    text_en = models.TextField(_("text (English)"))
    history = HistoricalRecords()

    objects = TermsVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("terms of service version")
        verbose_name_plural = _("terms of service versions")
        ordering = ["-published_at", "-pk"]

    def __str__(self):
        return self.version

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        forget_current_terms()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        forget_current_terms()
        return result

    @property
    def is_published(self) -> bool:
        """K1: in force (customers may have accepted it), not a draft or scheduled."""
        return self.published_at is not None and self.published_at <= timezone.now()

    @property
    def text(self) -> str:
        return self.text_en if get_language() == "en" else self.text_id

    @property
    def summary(self) -> str:
        return self.summary_en if get_language() == "en" else self.summary_id


class TermsAcceptance(models.Model):
    """K1: who accepted which version, when, and from which IP address."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="terms_acceptances")
    terms = models.ForeignKey(TermsVersion, on_delete=models.PROTECT, related_name="acceptances")
    accepted_at = models.DateTimeField(_("accepted at"), default=timezone.now)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("terms acceptance")
        verbose_name_plural = _("terms acceptances")
        constraints = [
            models.UniqueConstraint(fields=["user", "terms"], name="terms_accepted_once"),
        ]

    def __str__(self):
        return f"{self.user} / {self.terms}"


class Customer(models.Model):
    """The account that orders, pays and holds services."""

    class Kind(models.TextChoices):
        PERSON = "person", _("Person (Indonesian citizen)")
        FOREIGNER = "foreigner", _("Person (foreign citizen)")
        COMPANY = "company", _("Company or organisation")

    kind = models.CharField(_("customer type"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    address = models.TextField(_("address"))
    city = models.CharField(_("city"), max_length=100)
    postal_code = models.CharField(_("postal code"), max_length=10)
    phone = models.CharField(_("phone"), max_length=30)
    npwp = models.CharField(_("NPWP"), max_length=16, blank=True)
    revalidation_requested_at = models.DateTimeField(
        _("re-validation requested at"), null=True, blank=True
    )
    revalidation_reason = models.TextField(_("re-validation reason"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="company") | ~Q(npwp=""), name="company_has_npwp"
            ),
        ]

    def __str__(self):
        return self.name

    def required_document_kinds(self) -> list[str]:
        """K8: KTP for Indonesians, passport for foreigners, NPWP and NIB for companies."""
        return REQUIRED_DOCUMENTS[self.kind]


class Role(models.TextChoices):
    RESPONSIBLE = "responsible", _("Responsible contact (administrator)")
    BILLING = "billing", _("Billing contact")
    TECHNICAL = "technical", _("Technical contact")


class Contact(models.Model):
    """A user's place in a customer account, with a role (K7)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="contact")
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)
    full_name = models.CharField(_("full name"), max_length=200)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    position = models.CharField(_("position"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(role="responsible"),
                name="one_responsible_contact_per_customer",
                violation_error_message=_("This customer already has a responsible contact."),
            ),
        ]

    def __str__(self):
        return f"{self.full_name} ({self.get_role_display()})"

    @property
    def is_responsible(self) -> bool:
        return self.role == Role.RESPONSIBLE

    def is_complete(self) -> bool:
        """K7: the responsible contact must be reachable: a name and a phone number."""
        return bool(self.full_name.strip() and self.phone.strip())


def _invitation_token() -> str:
    return secrets.token_urlsafe(32)


def _invitation_expiry():
    return timezone.now() + timedelta(days=7)


class Invitation(models.Model):
    """An invitation for a further contact with a limited role (billing or technical)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(
        _("role"),
        max_length=12,
        choices=[(Role.BILLING, Role.BILLING.label), (Role.TECHNICAL, Role.TECHNICAL.label)],
    )
    token = models.CharField(max_length=64, unique=True, default=_invitation_token)
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(default=_invitation_expiry)
    accepted_at = models.DateTimeField(null=True, blank=True)
    # Set when an expired invitation is sent again: the new one replaces it, and its old
    # link says so instead of vanishing.
    replaced_at = models.DateTimeField(null=True, blank=True)
    # The e-mailed key stays out of the history.
    history = HistoricalRecords(excluded_fields=["token"])

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "email"],
                condition=Q(accepted_at__isnull=True, replaced_at__isnull=True),
                name="one_open_invitation_per_email",
                violation_error_message=_("This address has already been invited."),
            ),
            models.CheckConstraint(
                condition=Q(role__in=["billing", "technical"]), name="invitation_limited_role"
            ),
        ]

    def __str__(self):
        return self.email

    def is_open(self) -> bool:
        return self.accepted_at is None and self.replaced_at is None and not self.is_expired()

    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()


class DocumentKind(models.TextChoices):
    KTP = "ktp", _("KTP (NIK)")
    PASSPORT = "passport", _("Passport")
    NPWP = "npwp", _("NPWP")
    NIB = "nib", _("NIB (business registration)")


REQUIRED_DOCUMENTS = {
    Customer.Kind.PERSON: [DocumentKind.KTP],
    Customer.Kind.FOREIGNER: [DocumentKind.PASSPORT],
    Customer.Kind.COMPANY: [DocumentKind.NPWP, DocumentKind.NIB],
}


def identity_upload_to(instance, filename):
    return f"identity/{instance.customer_id}/{uuid.uuid4().hex}{instance.scan_extension}"


class IdentityDocument(models.Model):
    """K8: an identity document with its scan, verified or rejected by staff."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for verification")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Rejected")

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="identity_documents"
    )
    kind = models.CharField(_("document"), max_length=10, choices=DocumentKind.choices)
    number = models.CharField(_("number"), max_length=20)
    holder_name = models.CharField(_("name on the document"), max_length=200)
    scan = models.FileField(_("scan"), storage=private_storage, upload_to=identity_upload_to)
    scan_content_type = models.CharField(max_length=50)
    scan_extension = models.CharField(max_length=5)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["scan"])

    class Meta:
        verbose_name = _("identity document")
        verbose_name_plural = _("identity documents")
        ordering = ["-uploaded_at"]
        indexes = [models.Index(fields=["status", "uploaded_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""),
                name="rejection_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.number}"

    @property
    def download_name(self) -> str:
        return f"{self.kind}-{self.pk}{self.scan_extension}"


class DataDeletionRequest(models.Model):
    """UU PDP 27/2022: a person's request to have their personal data erased.

    ``scope`` says what goes: the requester's own user data, or (asked by the
    responsible contact, K7) the whole account's personal data. Staff complete it by
    anonymising (``customers.personal_data.deletion_request_complete``); invoices and
    receipts stay, as tax law requires.
    """

    class Scope(models.TextChoices):
        USER = "user", _("My own user data")
        ACCOUNT = "account", _("The whole account and all its contacts")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for our staff")
        COMPLETED = "completed", _("Completed: the personal data was anonymised")
        REJECTED = "rejected", _("Rejected")

    requested_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="data_deletion_requests"
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="data_deletion_requests",
        help_text=_("For the whole account: the account whose personal data goes."),
    )
    scope = models.CharField(_("what to delete"), max_length=10, choices=Scope.choices)
    message = models.TextField(_("message to our staff"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.TextField(_("reason for the decision"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("personal data deletion request")
        verbose_name_plural = _("personal data deletion requests")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["requested_by"],
                condition=Q(status="pending"),
                name="one_open_deletion_request_per_user",
                violation_error_message=_("You already asked for the deletion of your data."),
            ),
            models.CheckConstraint(
                condition=~Q(scope="account") | Q(customer__isnull=False),
                name="account_deletion_names_customer",
            ),
            models.CheckConstraint(
                condition=Q(status="pending") | ~Q(reason=""), name="deletion_decision_has_reason"
            ),
        ]

    def __str__(self):
        return f"{self.get_scope_display()} — {self.requested_by} ({self.get_status_display()})"
