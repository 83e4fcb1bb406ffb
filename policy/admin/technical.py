"""H4, H5 staff screens: check letters of authorisation, track migrations."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin_actions import reason_action
from core.downloads import private_file_response
from policy import services
from policy.admin.base import AgeFilter, RequestAdmin, decision_actions
from policy.models import Migration, TechnicalChange


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
        *decision_actions(_technical)[::2],
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
