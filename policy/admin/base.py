"""What the policy's staff screens share: the read-only request admin, the decision
actions, and the admin whose save calls a service and shows its refusal on the form."""

from datetime import timedelta

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core import clock
from core.admin_actions import reason_action
from policy.forms import put_errors_on_form

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


class Refused(Exception):
    """A service refused what staff entered; the form is shown again with the reason."""


class RefusalOnForm:
    """Puts a service's refusal on the bound form, beside the field it names."""

    refusal: ValidationError | None = None
    service_fields: dict = {}

    def clean(self):
        cleaned = super().clean()
        if self.refusal is not None:
            names = {key: name for key, name in self.service_fields.items() if name in self.fields}
            put_errors_on_form(self, _renamed(self.refusal, names))
        return cleaned


def _renamed(exc: ValidationError, names: dict) -> ValidationError:
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError({names.get(key, key): value for key, value in exc.error_dict.items()})


class ServiceSaveAdmin(RequestAdmin):
    """An admin whose ``save_model`` calls a service. A refusal (ValidationError) is
    not a save: the form is shown again with the message beside its field, with
    everything staff typed, and no "saved" message (``save_with``)."""

    add_form: type  # the form staff enter a new request with
    service_fields: dict = {}  # a service's field name -> the form's

    def save_with(self, request, call):
        try:
            with transaction.atomic():
                return call()
        except ValidationError as exc:
            request.policy_refusal = exc
            raise Refused from exc

    def _changeform_view(self, request, object_id, form_url, extra_context):
        try:
            return super()._changeform_view(request, object_id, form_url, extra_context)
        except Refused:
            # The same POST again: the form now carries the refusal and is re-rendered.
            return super()._changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        form = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, "policy_refusal", None)
        if refusal is None:
            return form
        attrs = {"refusal": refusal, "service_fields": self.service_fields}
        return type(form.__name__, (RefusalOnForm, form), attrs)

    def has_add_permission(self, request):
        return admin.ModelAdmin.has_add_permission(self, request)

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else super().get_readonly_fields(request, obj)

    def get_fields(self, request, obj=None):
        if obj is None:
            return list(self.add_form.base_fields)
        return super().get_fields(request, obj)

    @staticmethod
    def copy_into(obj, created):
        """The admin goes on with ``obj`` (its message, its log entry, its redirect)."""
        for field in created._meta.concrete_fields:
            setattr(obj, field.attname, getattr(created, field.attname))
        obj._state.adding, obj._state.db = False, created._state.db


def decision_actions(decide):
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
