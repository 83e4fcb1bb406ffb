"""Input validation for custom projects. No side effects: views call services."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from core.validators import detect_scan_kind
from customers.forms import PortalForm
from projects.models import BASICS_MIN_CHARS
from projects.validators import MinimumRealLength

_BASICS = [MinimumRealLength(BASICS_MIN_CHARS)]
_MINIMUM = ngettext_lazy(
    "At least %(count)d character and 5 different words.",
    "At least %(count)d characters and 5 different words.",
    "count",
) % {"count": BASICS_MIN_CHARS}


def _textarea(placeholder):
    return forms.Textarea(attrs={"rows": 5, "placeholder": placeholder})


class ProjectRequestForm(PortalForm):
    """Custom projects: the basics the policy names are required: a layout or design
    reference (a link, a file, or both), what the project needs, what it is to be
    built with and how it should work."""

    submit_label = _("Send the request")

    title = forms.CharField(
        label=_("Project name"),
        max_length=200,
        help_text=_("For example: Online shop for Toko Batik Sari."),
    )
    design_reference_url = forms.URLField(
        label=_("Link to a design or layout you want"),
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text=_(
            "A website you like, a Figma or Canva design, or a shared folder. "
            "Give a link, upload a file below, or both."
        ),
    )
    design_reference_file = forms.FileField(
        label=_("Design or layout file"),
        required=False,
        help_text=_("A sketch, mock-up or screenshot: JPEG, PNG or PDF, at most 5 MB."),
    )
    requirements = forms.CharField(
        label=_("What the project needs"),
        widget=_textarea(_("Pages, features, content, users, how many products…")),
        validators=_BASICS,
        help_text=_MINIMUM,
    )
    technology = forms.CharField(
        label=_("What it is to be built with"),
        widget=_textarea(_("For example WordPress, Laravel, Django; or where it will be hosted")),
        validators=_BASICS,
        help_text=_MINIMUM,
    )
    workflow = forms.CharField(
        label=_("How it should work"),
        widget=_textarea(_("What a visitor or user does, step by step, and what they get")),
        validators=_BASICS,
        help_text=_MINIMUM,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.form_enctype = "multipart/form-data"
        self.design_file_kind = None

    def clean_design_reference_file(self):
        upload = self.cleaned_data.get("design_reference_file")
        if upload:
            self.design_file_kind = detect_scan_kind(upload)
        return upload

    def clean(self):
        cleaned = super().clean()
        has_url = bool(cleaned.get("design_reference_url"))
        has_file = bool(cleaned.get("design_reference_file"))
        refused = "design_reference_url" in self.errors or "design_reference_file" in self.errors
        if not has_url and not has_file and not refused:
            message = _(
                "The policy asks for a layout or design reference: give a link here "
                "or upload a file below."
            )
            self.add_error("design_reference_url", message)
            self.add_error(
                "design_reference_file", _("Or upload a sketch, mock-up or screenshot here.")
            )
        return cleaned


class AcceptQuoteForm(PortalForm):
    """K9: accepting a quote orders the project; the acknowledgement is required."""

    submit_label = _("Accept the quote and order")

    revision = forms.IntegerField(widget=forms.HiddenInput)
    accept_aup = forms.BooleanField(
        label=_(
            "I accept this quote and I am fully responsible for how the delivered project "
            "is used (acceptable use policy, K9)"
        ),
        required=True,
        error_messages={
            "required": _("Confirm that you are responsible for how the result is used.")
        },
    )

    def __init__(self, *args, action=None, **kwargs):
        super().__init__(*args, **kwargs)
        if action:
            self.helper.form_action = action
