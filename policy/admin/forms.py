"""The staff forms of K4 and K5: entering a request for a customer, deciding a change.
Input validation only: the admin's ``save_model`` calls the services."""

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminDateWidget, AutocompleteSelect
from django.utils.translation import gettext_lazy as _

from orders.models import Plan, Service
from policy.models import PaymentDeferral, ServiceChange


def _service_field(model):
    return forms.ModelChoiceField(
        label=_("Service"),
        queryset=Service.objects.select_related("product", "customer"),
        widget=AutocompleteSelect(model._meta.get_field("service"), admin.site),
        help_text=_("The customer's service the request is about."),
    )


def _period_field():
    return forms.DateField(
        label=_("Period starting"),
        required=False,
        widget=AdminDateWidget,
        help_text=_(
            "The first day of the period the request is about. Empty: the period of the "
            "next invoice not issued yet."
        ),
    )


def _override_field():
    return forms.CharField(
        label=_("Override reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Needed when the request comes after its 30-day deadline: why we accept it "
            "anyway. Recorded in the audit."
        ),
    )


class DeferralAddForm(forms.ModelForm):
    """K4: staff enter a deferral the customer asked for by phone or e-mail."""

    service = _service_field(PaymentDeferral)
    period_start = _period_field()
    proposed_due_date = forms.DateField(label=_("Proposed payment date"), widget=AdminDateWidget)
    reason = forms.CharField(
        label=_("Why the customer needs more time"), widget=forms.Textarea(attrs={"rows": 3})
    )
    override_reason = _override_field()

    class Meta:
        model = PaymentDeferral
        fields = []


class ServiceChangeAddForm(forms.ModelForm):
    """K5: staff enter a change the customer asked for by phone or e-mail."""

    service = _service_field(ServiceChange)
    period_start = _period_field()
    kind = forms.ChoiceField(label=_("Change"), choices=ServiceChange.Kind.choices)
    new_plan = forms.ModelChoiceField(
        label=_("New plan"),
        queryset=Plan.objects.filter(is_active=True).select_related("product"),
        required=False,
        help_text=_("For an upgrade or a downgrade: a plan of the same product and cycle."),
    )
    addon_description = forms.CharField(label=_("Add-on"), max_length=200, required=False)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    override_reason = _override_field()

    class Meta:
        model = ServiceChange
        fields = []

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        plan_change = (ServiceChange.Kind.UPGRADE, ServiceChange.Kind.DOWNGRADE)
        if kind in plan_change and not cleaned.get("new_plan"):
            self.add_error("new_plan", _("Choose the new plan."))
        if kind == ServiceChange.Kind.ADDON and not cleaned.get("addon_description", "").strip():
            self.add_error("addon_description", _("Say which add-on the customer needs."))
        return cleaned


class ServiceChangeDecisionForm(forms.ModelForm):
    """K5: decide with the add-on's price, or apply an upgrade mid-period (override)."""

    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("approve", _("Approve")), ("reject", _("Reject"))]
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed to reject and to override a rule; the customer reads it."),
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

    def clean(self):
        """K5: a rejection and an override always say why; applying an upgrade
        mid-period is an override, so it needs an override reason."""
        cleaned = super().clean()
        overriding = bool(cleaned.get("override", "").strip()) or cleaned.get("now")
        needs_reason = cleaned.get("decision") == "reject" or overriding
        if needs_reason and not cleaned.get("reason", "").strip():
            self.add_error(
                "reason", _("A rejection or an override needs a reason: the customer reads it.")
            )
        if cleaned.get("now") and not cleaned.get("override", "").strip():
            self.add_error(
                "override", _("Applying an upgrade mid-period needs an override reason.")
            )
        return cleaned
