"""Staff screens for the policy's requests. Every action calls a service; approving
a request that missed the 30-day rule needs an override reason (K4, K5)."""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core import clock
from core.admin_actions import reason_action
from core.downloads import private_file_response
from policy import services
from policy.models import Decision, Migration, PaymentDeferral, ServiceChange, TechnicalChange

DECIDED_FIELDS = [
    "status",
    "decided_by",
    "decided_at",
    "decision_reason",
    "override_reason",
]


class AgeFilter(admin.SimpleListFilter):
    """How long a request has waited."""

    title = _("age")
    parameter_name = "age"

    def lookups(self, request, model_admin):
        return [("1", _("over 1 day")), ("3", _("over 3 days")), ("7", _("over a week"))]

    def queryset(self, request, queryset):
        if self.value() in {"1", "3", "7"}:
            return queryset.filter(created_at__lt=clock.now() - timedelta(days=int(self.value())))
        return queryset


def _decision(decide, *, approve: bool, override: bool = False):
    def apply(request, *, staff, reason):
        decide(
            request,
            staff=staff,
            approve=approve,
            reason=reason,
            override_reason=reason if override else "",
        )

    return apply


def _deferral(deferral, **kwargs):
    services.deferral_decide(deferral=deferral, **kwargs)


def _change(change, **kwargs):
    services.service_change_decide(change=change, **kwargs)


class RequestAdmin(SimpleHistoryAdmin):
    list_filter = ["status", AgeFilter, "created_at"]
    list_select_related = ["customer", "service__product"]
    search_fields = ["customer__name", "service__domain_name", "=id"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        fields = [f.name for f in self.model._meta.fields if f.name != "id"]
        # A private file has no URL: it is shown as a staff download link instead.
        return [name if name != "letter" else "letter_link" for name in fields]

    def get_fields(self, request, obj=None):
        return self.get_readonly_fields(request, obj)


def _decision_actions(decide):
    return [
        reason_action(
            name="approve",
            description=_("Approve, with a note for the customer"),
            apply=_decision(decide, approve=True),
            done_message=_("%(count)d request(s) approved."),
        ),
        reason_action(
            name="approve_override",
            description=_("Approve outside the 30-day rule (override reason)"),
            apply=_decision(decide, approve=True, override=True),
            done_message=_("%(count)d request(s) approved with an override."),
        ),
        reason_action(
            name="reject",
            description=_("Reject with a reason"),
            apply=_decision(decide, approve=False),
            done_message=_("%(count)d request(s) rejected."),
        ),
    ]


@admin.register(PaymentDeferral)
class PaymentDeferralAdmin(RequestAdmin):
    """K4."""

    list_display = [
        "service",
        "customer",
        "period_start",
        "deadline",
        "proposed_due_date",
        "status",
        "created_at",
    ]
    actions = _decision_actions(_deferral)


class ServiceChangeDecisionForm(forms.ModelForm):
    """K5: decide with the add-on's price, or apply an upgrade mid-period (override)."""

    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("approve", _("Approve")), ("reject", _("Reject"))]
    )
    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    override = forms.CharField(
        label=_("Override reason"),
        required=False,
        help_text=_("Needed to approve a late request or to apply an upgrade mid-period."),
    )
    price = forms.DecimalField(label=_("Add-on price per period"), required=False)
    now = forms.BooleanField(
        label=_("Apply the upgrade now and invoice the prorated difference"), required=False
    )

    class Meta:
        model = ServiceChange
        fields = []


@admin.register(ServiceChange)
class ServiceChangeAdmin(RequestAdmin):
    """K5."""

    list_display = [
        "service",
        "customer",
        "kind",
        "period_start",
        "deadline",
        "status",
        "created_at",
    ]
    list_filter = ["status", "kind", AgeFilter, "created_at"]
    actions = _decision_actions(_change)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None and obj.status == Decision.PENDING:
            kwargs["form"] = ServiceChangeDecisionForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        fieldsets = [(None, {"fields": self.get_readonly_fields(request, obj)})]
        if obj is not None and obj.status == Decision.PENDING:
            fieldsets.append(
                (_("Decision"), {"fields": ["decision", "reason", "override", "price", "now"]})
            )
        return fieldsets

    def save_model(self, request, obj, form, change):
        if obj.status != Decision.PENDING or "decision" not in form.cleaned_data:
            return
        data = form.cleaned_data
        try:
            services.service_change_decide(
                change=obj,
                staff=request.user,
                approve=data["decision"] == "approve",
                reason=data.get("reason", ""),
                override_reason=data.get("override", ""),
                addon_price=data.get("price"),
                effective_immediately=data.get("now", False),
            )
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)


def _technical(change, **kwargs):
    kwargs.pop("override_reason", None)
    services.technical_change_decide(change=change, **kwargs)


@admin.register(TechnicalChange)
class TechnicalChangeAdmin(RequestAdmin):
    """H4: check the letter of authorisation before the change is made."""

    list_display = [
        "service",
        "customer",
        "kind",
        "proven_by_identity",
        "status",
        "work",
        "created_at",
    ]
    list_filter = ["status", "work", "proven_by_identity", AgeFilter]
    actions = [
        *_decision_actions(_technical)[::2],
        "mark_done",
    ]

    def get_urls(self):
        return [
            path(
                "<int:pk>/letter/",
                self.admin_site.admin_view(self.letter_view),
                name="policy_technicalchange_letter",
            ),
            *super().get_urls(),
        ]

    def letter_view(self, request, pk):
        """H4: staff read the letter of authorisation before the change is made."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        change = get_object_or_404(TechnicalChange, pk=pk)
        if not change.letter:
            raise Http404
        return private_file_response(
            change.letter,
            filename=f"surat-kuasa-{change.pk}{change.letter_extension}",
            content_type=change.letter_content_type,
        )

    @admin.display(description=_("letter of authorisation (surat kuasa)"))
    def letter_link(self, obj):
        if not obj.letter:
            return "—"
        url = reverse("admin:policy_technicalchange_letter", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download the letter"))

    @admin.action(description=_("Mark the change as done"), permissions=["change"])
    def mark_done(self, request, queryset):
        for change in queryset:
            try:
                services.technical_change_done(change=change, staff=request.user)
            except ValidationError as exc:
                self.message_user(request, f"{change}: {' '.join(exc.messages)}", messages.ERROR)


def _migration_status(status):
    def apply(migration, *, staff, reason):
        services.migration_set_status(migration=migration, staff=staff, status=status, note=reason)

    return apply


@admin.register(Migration)
class MigrationAdmin(RequestAdmin):
    """H5: staff track migrations through their statuses, with a note the customer sees."""

    list_display = ["service", "customer", "source_host", "control_panel", "status", "created_at"]
    actions = [
        reason_action(
            name=f"set_{status}",
            description=_("Set status: %(status)s") % {"status": label},
            apply=_migration_status(status),
            done_message=_("%(count)d migration(s) updated."),
        )
        for status, label in Migration.Status.choices
        if status != Migration.Status.REQUESTED
    ]
