"""K4, K5 staff screens: decide deferrals and changes, or enter them for a customer
through the same services as the customer's forms; a late one only with an override
reason, which is recorded. Customers cannot override."""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from policy import services
from policy.admin.base import AgeFilter, ServiceSaveAdmin, decision_actions
from policy.admin.forms import DeferralAddForm, ServiceChangeAddForm, ServiceChangeDecisionForm
from policy.models import Decision, PaymentDeferral, ServiceChange


def _deferral(deferral, **kwargs):
    services.deferral_decide(deferral=deferral, **kwargs)


def _change(change, **kwargs):
    services.service_change_decide(change=change, **kwargs)


def _late_on_override(exc: ValidationError) -> ValidationError:
    """K4, K5: a late request entered by staff: the refusal, and what to do, beside
    the override reason."""
    if isinstance(exc, services.TooLate):
        return ValidationError(
            {
                "override_reason": [
                    exc.messages[0],
                    _("To accept it anyway, give an override reason: it is recorded."),
                ]
            }
        )
    return exc


@admin.register(PaymentDeferral)
class PaymentDeferralAdmin(ServiceSaveAdmin):
    """K4. Staff can also enter a deferral for a customer (``DeferralAddForm``),
    through the same service as the customer's form; late, only with an override."""

    add_form = DeferralAddForm

    list_display = [
        "service",
        "customer",
        "period_start",
        "deadline",
        "proposed_due_date",
        "status",
        "created_at",
    ]
    actions = decision_actions(_deferral)

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        data = form.cleaned_data
        created = self.save_with(
            request,
            lambda: _entered(
                services.deferral_submit,
                service=data["service"],
                requested_by=request.user,
                reason=data["reason"],
                proposed_due_date=data["proposed_due_date"],
                period_start=data.get("period_start"),
                override_reason=data.get("override_reason", ""),
            ),
        )
        self.copy_into(obj, created)


def _entered(submit, **kwargs):
    try:
        return submit(**kwargs)
    except ValidationError as exc:
        raise _late_on_override(exc) from exc


@admin.register(ServiceChange)
class ServiceChangeAdmin(ServiceSaveAdmin):
    """K5. Staff decide a pending change (``ServiceChangeDecisionForm``) or enter one
    for a customer (``ServiceChangeAddForm``); both call the services, and a refusal
    shows the form again with the message."""

    add_form = ServiceChangeAddForm
    service_fields = {
        "override_reason": "override",
        "addon_price": "price",
        "effective_immediately": "now",
    }

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
    actions = decision_actions(_change)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None and obj.status == Decision.PENDING:
            kwargs["form"] = ServiceChangeDecisionForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": self.get_fields(request)})]
        fieldsets = [(None, {"fields": self.get_readonly_fields(request, obj)})]
        if obj.status == Decision.PENDING:
            fieldsets.append(
                (_("Decision"), {"fields": ["decision", "reason", "override", "price", "now"]})
            )
        return fieldsets

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            created = self.save_with(
                request,
                lambda: _entered(
                    services.service_change_submit,
                    service=data["service"],
                    requested_by=request.user,
                    kind=data["kind"],
                    new_plan=data.get("new_plan"),
                    addon_description=data.get("addon_description", ""),
                    note=data.get("note", ""),
                    period_start=data.get("period_start"),
                    override_reason=data.get("override_reason", ""),
                ),
            )
            self.copy_into(obj, created)
            return
        if obj.status != Decision.PENDING or "decision" not in data:
            return
        self.save_with(
            request,
            lambda: services.service_change_decide(
                change=obj,
                staff=request.user,
                approve=data["decision"] == "approve",
                reason=data.get("reason", ""),
                override_reason=data.get("override", ""),
                addon_price=data.get("price"),
                effective_immediately=data.get("now", False),
            ),
        )
