"""Staff screens for accounts: verify identities (K8), terms versions (K1), contacts (K7).

Actions and save_model call services, so staff obey the same rules as customers.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.admin_actions import reason_action
from core.downloads import private_file_response
from customers import personal_data, services
from customers.models import (
    Contact,
    Customer,
    DataDeletionRequest,
    IdentityDocument,
    Invitation,
    Role,
    TermsAcceptance,
    TermsVersion,
    User,
)


@admin.register(User)
class UserAdmin(SimpleHistoryAdmin, DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "language"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password", "language")}),
        (_("Personal info"), {"fields": ("first_name", "last_name")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(TermsVersion)
class TermsVersionAdmin(SimpleHistoryAdmin):
    """K1: publishing a version (setting published_at) makes every customer accept it."""

    list_display = ["version", "published_at"]
    fields = ["version", "published_at", "summary_id", "summary_en", "text_id", "text_en"]

    def get_readonly_fields(self, request, obj=None):
        """K1: once in force, a version is what customers accepted: its text, its
        summary, its name and its date stay as they were (publish a new version to
        change them). A draft, or one scheduled for later, can still be edited."""
        if obj is not None and obj.is_published:
            return self.fields
        return []


@admin.register(TermsAcceptance)
class TermsAcceptanceAdmin(admin.ModelAdmin):
    list_display = ["user", "terms", "accepted_at", "ip_address"]
    list_filter = ["terms"]
    list_select_related = ["user", "terms"]
    search_fields = ["user__email"]
    fields = ["user", "terms", "accepted_at", "ip_address", "user_agent"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ContactInline(admin.TabularInline):
    model = Contact
    fields = ["full_name", "user", "role", "phone", "position"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class IdentityDocumentInline(admin.TabularInline):
    model = IdentityDocument
    fields = ["kind", "number", "holder_name", "status", "uploaded_at", "decided_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


def _request_revalidation(customer, *, staff, reason):
    services.customer_request_revalidation(customer=customer, staff=staff, reason=reason)


@admin.register(Customer)
class CustomerAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "city", "phone", "revalidation_requested_at", "created_at"]
    list_filter = ["kind", ("revalidation_requested_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "npwp", "contacts__user__email", "contacts__full_name"]
    fields = [
        "kind",
        "name",
        "address",
        "city",
        "postal_code",
        "phone",
        "npwp",
        "revalidation_requested_at",
        "revalidation_reason",
    ]
    readonly_fields = ["revalidation_requested_at", "revalidation_reason"]
    inlines = [ContactInline, IdentityDocumentInline]
    show_full_result_count = False
    actions = [
        reason_action(
            name="request_revalidation",
            description=_("Ask to re-validate identity (K8)"),
            apply=_request_revalidation,
            done_message=_("Re-validation requested for %(count)d customer(s)."),
        )
    ]

    def has_add_permission(self, request):
        # K7: an account is born with its responsible contact, through the portal.
        return False


@admin.register(Contact)
class ContactAdmin(SimpleHistoryAdmin):
    list_display = ["full_name", "customer", "user", "role", "phone"]
    list_filter = ["role"]
    list_select_related = ["customer", "user"]
    search_fields = ["full_name", "user__email", "customer__name"]
    fields = ["customer", "user", "role", "full_name", "phone", "position"]
    readonly_fields = ["customer", "user", "role"]
    actions = ["make_responsible"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Make responsible contact (K7)"), permissions=["change"])
    def make_responsible(self, request, queryset):
        for contact in queryset.select_related("customer"):
            try:
                services.responsible_handover(
                    customer=contact.customer,
                    to_contact=contact,
                    previous_role=Role.BILLING,
                    actor=request.user,
                )
            except ValidationError as exc:
                self.message_user(request, f"{contact}: {' '.join(exc.messages)}", messages.ERROR)
            else:
                self.message_user(request, _("%(name)s is now responsible.") % {"name": contact})

    def save_model(self, request, obj, form, change):
        services.contact_update(
            contact=obj,
            actor=request.user,
            **{name: form.cleaned_data[name] for name in ("full_name", "phone", "position")},
        )

    def has_delete_permission(self, request, obj=None):
        """K7: the responsible contact is not deleted here: hand the role over first."""
        if obj is not None and obj.is_responsible:
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request, obj):
        """K7: through the service, which refuses the responsible contact under the
        customer's lock (a handover may have made this one responsible meanwhile)."""
        try:
            services.contact_remove(contact=obj, actor=request.user)
        except ValidationError as exc:
            raise PermissionDenied(" ".join(exc.messages)) from exc

    def delete_queryset(self, request, queryset):
        for contact in queryset.select_related("customer"):
            try:
                services.contact_remove(contact=contact, actor=request.user)
            except ValidationError as exc:
                self.message_user(request, f"{contact}: {' '.join(exc.messages)}", messages.ERROR)


@admin.register(Invitation)
class InvitationAdmin(SimpleHistoryAdmin):
    list_display = [
        "email",
        "customer",
        "role",
        "created_at",
        "expires_at",
        "accepted_at",
        "replaced_at",
    ]
    list_select_related = ["customer"]
    search_fields = ["email", "customer__name"]
    fields = [
        "customer",
        "email",
        "role",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "replaced_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False


class IdentityDecisionForm(forms.ModelForm):
    """K8: staff pick a verdict; a rejection needs a reason the customer will read."""

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("", "—"), ("verify", _("Verify")), ("reject", _("Reject"))],
    )
    reason = forms.CharField(
        label=_("Why it is rejected"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown to the customer: say what to fix."),
    )

    class Meta:
        model = IdentityDocument
        fields = []

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "reject" and not cleaned.get("reason", "").strip():
            self.add_error("reason", _("Say why, so the customer can fix it."))
        return cleaned


def _reject(document, *, staff, reason):
    services.identity_document_reject(document=document, staff=staff, reason=reason)


@admin.register(IdentityDocument)
class IdentityDocumentAdmin(SimpleHistoryAdmin):
    form = IdentityDecisionForm
    list_display = ["__str__", "customer", "holder_name", "status", "uploaded_at", "decided_by"]
    list_filter = ["status", "kind"]
    list_select_related = ["customer", "decided_by"]
    search_fields = ["number", "holder_name", "customer__name"]
    show_full_result_count = False
    readonly_fields = [
        "customer",
        "kind",
        "number",
        "holder_name",
        "scan_link",
        "status",
        "rejection_reason",
        "uploaded_by",
        "uploaded_at",
        "decided_by",
        "decided_at",
    ]

    def get_fieldsets(self, request, obj=None):
        """A pending document asks for a decision; a decided one is read-only."""
        fieldsets = [(None, {"fields": self.readonly_fields})]
        if obj is not None and obj.status == IdentityDocument.Status.PENDING:
            fieldsets.append((_("Decision"), {"fields": ["decision", "reason"]}))
        return fieldsets

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None or obj.status != IdentityDocument.Status.PENDING:
            kwargs["form"] = forms.ModelForm
            kwargs["fields"] = []
        return super().get_form(request, obj, change, **kwargs)

    actions = [
        "verify_selected",
        reason_action(
            name="reject_selected",
            description=_("Reject selected documents"),
            apply=_reject,
            done_message=_("%(count)d document(s) rejected."),
            errors=(ValidationError, services.AlreadyDecided),
        ),
    ]

    def has_add_permission(self, request):
        return False

    def get_urls(self):
        return [
            path(
                "<int:pk>/scan/",
                self.admin_site.admin_view(self.scan_view),
                name="customers_identitydocument_scan",
            ),
            *super().get_urls(),
        ]

    def scan_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        document = get_object_or_404(IdentityDocument, pk=pk)
        return private_file_response(
            document.scan,
            filename=document.download_name,
            content_type=document.scan_content_type,
        )

    @admin.display(description=_("Scan"))
    def scan_link(self, obj):
        url = reverse("admin:customers_identitydocument_scan", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download the scan"))

    def save_model(self, request, obj, form, change):
        decision = form.cleaned_data.get("decision")
        try:
            if decision == "verify":
                services.identity_document_verify(document=obj, staff=request.user)
            elif decision == "reject":
                services.identity_document_reject(
                    document=obj, staff=request.user, reason=form.cleaned_data["reason"]
                )
        except services.AlreadyDecided:
            self.message_user(
                request, _("Another staff member already decided this document."), messages.ERROR
            )

    @admin.action(description=_("Verify selected documents"), permissions=["change"])
    def verify_selected(self, request, queryset):
        verified = 0
        for document in queryset:
            try:
                services.identity_document_verify(document=document, staff=request.user)
            except services.AlreadyDecided:
                self.message_user(request, _("%(doc)s was already decided.") % {"doc": document})
            else:
                verified += 1
        self.message_user(request, _("%(count)d document(s) verified.") % {"count": verified})


def _complete_deletion(request, *, staff, reason):
    personal_data.deletion_request_complete(request=request, staff=staff, reason=reason)


def _reject_deletion(request, *, staff, reason):
    personal_data.deletion_request_reject(request=request, staff=staff, reason=reason)


@admin.register(DataDeletionRequest)
class DataDeletionRequestAdmin(SimpleHistoryAdmin):
    """UU PDP: staff anonymise the person (or the account) or reject, with a reason."""

    list_display = ["requested_by", "customer", "scope", "status", "created_at", "decided_by"]
    list_filter = ["status", "scope"]
    list_select_related = ["requested_by", "customer", "decided_by"]
    fields = [
        "requested_by", "customer", "scope", "message", "status", "created_at",
        "decided_by", "decided_at", "reason",
    ]  # fmt: skip
    readonly_fields = fields
    actions = [
        reason_action(
            name="anonymise",
            description=_("Anonymise the personal data (keeps invoices and receipts)"),
            apply=_complete_deletion,
            done_message=_("%(count)d request(s) completed: personal data anonymised."),
            errors=(ValidationError, personal_data.DeletionAlreadyDecided),
        ),
        reason_action(
            name="reject_deletion",
            description=_("Reject the deletion request"),
            apply=_reject_deletion,
            done_message=_("%(count)d request(s) rejected."),
            errors=(ValidationError, personal_data.DeletionAlreadyDecided),
        ),
    ]

    def has_add_permission(self, request):
        return False
