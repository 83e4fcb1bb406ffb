"""Input validation for the policy's requests. No side effects."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from core.validators import detect_scan_kind
from policy.models import Migration, ServiceChange, TechnicalChange

MIN_TEXT = 20


def _long_enough(value: str, minimum: int = MIN_TEXT) -> str:
    if len(value.strip()) < minimum:
        raise forms.ValidationError(
            _("Please explain in at least %(min)d characters so our staff can decide.")
            % {"min": minimum}
        )
    return value.strip()


def put_errors_on_form(form, exc: forms.ValidationError) -> None:
    """A service's refusal on the form, beside the field it names when the field is
    shown; otherwise above the form (a hidden field's error would not be seen)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        shown = field in form.fields and not form.fields[field].widget.is_hidden
        form.add_error(field if shown else None, errors)


class _Form(forms.Form):
    submit_label = _("Send request")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", self.submit_label))


class DeferralForm(_Form):
    """K4. ``period_start`` is set when the customer accepts the offered period."""

    reason = forms.CharField(
        label=_("Why you need more time"), widget=forms.Textarea(attrs={"rows": 3})
    )
    proposed_due_date = forms.DateField(
        label=_("When you can pay"), widget=forms.DateInput(attrs={"type": "date"})
    )
    period_start = forms.DateField(required=False, widget=forms.HiddenInput)

    def clean_reason(self):
        return _long_enough(self.cleaned_data["reason"])


class ServiceChangeForm(_Form):
    """K5."""

    kind = forms.ChoiceField(label=_("Change"), choices=ServiceChange.Kind.choices)
    new_plan = forms.ModelChoiceField(label=_("New plan"), queryset=None, required=False)
    addon_description = forms.CharField(label=_("Add-on you need"), max_length=200, required=False)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    period_start = forms.DateField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, service, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_plan"].queryset = service.product.plans.filter(
            is_active=True, cycle=service.cycle
        ).exclude(pk=service.plan_id)
        self.fields["new_plan"].label_from_instance = lambda plan: plan.label

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind in (ServiceChange.Kind.UPGRADE, ServiceChange.Kind.DOWNGRADE) and not cleaned.get(
            "new_plan"
        ):
            self.add_error("new_plan", _("Choose the plan you want."))
        if kind == ServiceChange.Kind.ADDON and not cleaned.get("addon_description", "").strip():
            self.add_error("addon_description", _("Say which add-on you need."))
        return cleaned


class TechnicalChangeForm(_Form):
    """H4."""

    kind = forms.ChoiceField(label=_("What to change"), choices=TechnicalChange.Kind.choices)
    details = forms.CharField(
        label=_("The change, exactly"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For example the new nameservers, or the DNS records with type and value."),
    )
    letter = forms.FileField(
        label=_("Letter of authorisation (surat kuasa)"),
        required=False,
        help_text=_("Needed unless you are the responsible contact with a verified identity. "
                    "JPEG, PNG or PDF, at most 5 MB."),
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.form_enctype = "multipart/form-data"
        self.letter_kind = None

    def clean_details(self):
        return _long_enough(self.cleaned_data["details"], 10)

    def clean_letter(self):
        letter = self.cleaned_data.get("letter")
        if letter:
            self.letter_kind = detect_scan_kind(letter)
        return letter


class MigrationForm(forms.ModelForm):
    """H5."""

    class Meta:
        model = Migration
        fields = [
            "source_host",
            "control_panel",
            "domains",
            "move_files",
            "move_databases",
            "move_email",
            "preferred_window",
        ]
        widgets = {"domains": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Request migration")))

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(f) for f in ("move_files", "move_databases", "move_email")):
            raise forms.ValidationError(_("Choose at least one thing to move."))
        return cleaned
