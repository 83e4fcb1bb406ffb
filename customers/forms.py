"""Input validation for accounts. No side effects: views call services."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.validators import detect_scan_kind
from customers.models import Contact, Customer, DocumentKind, Language, Role
from customers.selectors import current_terms, terms_version_name
from customers.validators import (
    digits_only,
    validate_nib,
    validate_nik,
    validate_npwp,
    validate_passport,
)


class PortalForm(forms.Form):
    """A crispy form with one submit button."""

    submit_label = _("Save")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", self.submit_label))


class ShownTermsMixin:
    """K1: the form carries the id of the terms version it shows (``terms_version``,
    hidden), so that an acceptance is only ever recorded for the text the person saw.

    ``self.terms`` is the current version when the form is built; ``shows_current()``
    tells whether the posted id is that version. When it is not (staff published a
    newer one meanwhile), ``show_current()`` turns the bound form into one for the
    current version: the hidden id is replaced and the box must be ticked again.
    """

    accept_field = ""

    def _init_shown_terms(self):
        self.terms = current_terms()
        self.fields["terms_version"] = forms.IntegerField(required=False, widget=forms.HiddenInput)
        if self.terms is not None:
            self.fields["terms_version"].initial = self.terms.pk

    def shown_terms_id(self) -> int | None:
        value = self.data.get(self.add_prefix("terms_version"), "")
        return int(value) if str(value).isdigit() else None

    def shows_current(self) -> bool:
        return self.terms is None or self.shown_terms_id() == self.terms.pk

    def show_current(self):
        if self.is_bound:
            self.data = self.data.copy()
            self.data[self.add_prefix("terms_version")] = self.terms.pk
            self.data.pop(self.add_prefix(self.accept_field), None)


def newer_terms_message(*, shown_id: int | None, current) -> str:
    """K1: what the person is told when the version they read was replaced."""
    shown = terms_version_name(pk=shown_id)
    if shown:
        message = _(
            "While you were reading version %(shown)s, we published version %(current)s of "
            "the Terms of Service. Read what changed and tick the box again to accept the "
            "new version."
        ) % {"shown": shown, "current": current.version}
    else:
        message = _(
            "We published version %(current)s of the Terms of Service. Read it and tick the "
            "box again to accept it."
        ) % {"current": current.version}
    return str(message)


class SignupTermsForm(ShownTermsMixin, forms.Form):
    """K1: sign-up requires accepting the current Terms of Service, the version the
    sign-up page showed (linked from the checkbox).

    allauth calls ``signup()`` after creating the user; the acceptance itself is
    recorded by the account adapter (with the request's IP address) for
    ``accepted_terms``, the version this form showed and validated as current.
    """

    accept_field = "accept_terms"

    accept_terms = forms.BooleanField(
        label=_("I have read and accept the Terms of Service"),
        required=True,
        error_messages={
            "required": _("You can only sign up after accepting the Terms of Service.")
        },
    )
    language = forms.ChoiceField(
        label=_("Language for e-mail and the portal"),
        choices=Language.choices,
        initial=Language.INDONESIAN,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._init_shown_terms()
        self.accepted_terms = None
        if self.terms is None:
            del self.fields["accept_terms"]
        else:
            self.fields["accept_terms"].help_text = _terms_help(self.terms)

    def clean(self):
        cleaned = super().clean()
        if self.terms is None:
            return cleaned
        if not self.shows_current():
            message = newer_terms_message(shown_id=self.shown_terms_id(), current=self.terms)
            if self.terms.summary:
                message = f"{message} {_('What changed:')} {self.terms.summary}"
            self._errors.pop("accept_terms", None)
            self.add_error("accept_terms", message)
            self.show_current()
        elif cleaned.get("accept_terms"):
            self.accepted_terms = self.terms
        return cleaned

    def signup(self, request, user):
        """Nothing left to do: the account adapter saved the language and the
        terms acceptance together with the user."""


def _terms_help(terms) -> str:
    """K1: the version, with a link to its text (opens beside the sign-up form)."""
    return format_html(
        '{} — <a href="{}" target="_blank" rel="noopener">{}</a>',
        _("Version %(version)s") % {"version": terms.version},
        reverse("customers:terms"),
        _("Read the Terms of Service"),
    )


class TermsAcceptForm(ShownTermsMixin, PortalForm):
    """K1: accept the version shown on the page (its id travels in the form)."""

    submit_label = _("Accept and continue")
    accept_field = "accept"

    accept = forms.BooleanField(
        label=_("I have read and accept this version of the Terms of Service"),
        required=True,
        error_messages={
            "required": _("Tick the box to accept; without it the portal stays locked.")
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._init_shown_terms()


class CustomerForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = ["kind", "name", "address", "city", "postal_code", "phone", "npwp"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "name": _(
                "The person's full name as on the KTP/passport, or the company's legal name."
            ),
            "npwp": _("Required for a company; 15 or 16 digits."),
        }

    def clean_npwp(self):
        npwp = self.cleaned_data.get("npwp", "")
        if npwp:
            validate_npwp(npwp)
        return digits_only(npwp)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == Customer.Kind.COMPANY and not cleaned.get("npwp"):
            self.add_error("npwp", _("A company account needs its NPWP."))
        return cleaned


class CustomerSetupForm(CustomerForm):
    """K7: creating the account also names its responsible contact (the user)."""

    contact_name = forms.CharField(label=_("Your full name"), max_length=200)
    contact_phone = forms.CharField(
        label=_("Your phone number"),
        max_length=30,
        help_text=_("We call this number about invoices and problems with your services."),
    )
    contact_position = forms.CharField(
        label=_("Your position (for companies)"), max_length=100, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Create account")))

    def clean_contact_phone(self):
        return _clean_phone(self.cleaned_data["contact_phone"])

    def clean_phone(self):
        return _clean_phone(self.cleaned_data["phone"])


def _clean_phone(value: str) -> str:
    digits = digits_only(value)
    if not 8 <= len(digits) <= 15:
        raise forms.ValidationError(
            _("Enter a phone number of 8 to 15 digits, for example 0812 3456 7890.")
        )
    return value.strip()


class CustomerEditForm(CustomerForm):
    class Meta(CustomerForm.Meta):
        fields = ["name", "address", "city", "postal_code", "phone", "npwp"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Save")))

    def clean(self):
        cleaned = forms.ModelForm.clean(self)
        if self.instance.kind == Customer.Kind.COMPANY and not cleaned.get("npwp"):
            self.add_error("npwp", _("A company account needs its NPWP."))
        return cleaned

    def clean_phone(self):
        return _clean_phone(self.cleaned_data["phone"])


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["full_name", "phone", "position"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.is_responsible:
            self.fields["phone"].required = True
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Save")))

    def clean_phone(self):
        phone = self.cleaned_data.get("phone", "")
        return _clean_phone(phone) if phone else phone


class InvitationForm(PortalForm):
    submit_label = _("Send invitation")

    email = forms.EmailField(label=_("E-mail address"))
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[(Role.BILLING, Role.BILLING.label), (Role.TECHNICAL, Role.TECHNICAL.label)],
        help_text=_(
            "Billing contacts see invoices and confirm payments but cannot order. "
            "Technical contacts open tickets about services and see no invoices."
        ),
    )


class InvitationAcceptForm(PortalForm):
    submit_label = _("Join the account")

    full_name = forms.CharField(label=_("Your full name"), max_length=200)
    phone = forms.CharField(label=_("Your phone number"), max_length=30, required=False)


class HandoverForm(PortalForm):
    """K7: pick the contact who becomes responsible, and what the current one keeps."""

    submit_label = _("Hand over the responsible role")

    to_contact = forms.ModelChoiceField(label=_("New responsible contact"), queryset=None)
    previous_role = forms.ChoiceField(
        label=_("Your role afterwards"),
        choices=[(Role.BILLING, Role.BILLING.label), (Role.TECHNICAL, Role.TECHNICAL.label)],
    )
    confirm = forms.BooleanField(
        label=_("I understand that the new responsible contact administers the account"),
        required=True,
    )

    def __init__(self, *args, contacts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_contact"].queryset = contacts


NUMBER_VALIDATORS = {
    DocumentKind.KTP: validate_nik,
    DocumentKind.NPWP: validate_npwp,
    DocumentKind.NIB: validate_nib,
    DocumentKind.PASSPORT: validate_passport,
}


class IdentityDocumentForm(PortalForm):
    """K8: a document's number (checked by its format) and its scan (checked by content)."""

    submit_label = _("Upload document")

    kind = forms.ChoiceField(label=_("Document"))
    number = forms.CharField(label=_("Document number"), max_length=30)
    holder_name = forms.CharField(label=_("Name as written on the document"), max_length=200)
    scan = forms.FileField(
        label=_("Scan or photo"),
        help_text=_("JPEG, PNG or PDF, at most 5 MB. All text must be readable."),
    )

    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(kind, DocumentKind(kind).label) for kind in kinds]
        self.helper.form_enctype = "multipart/form-data"
        self.scan_kind = None

    def clean_scan(self):
        scan = self.cleaned_data["scan"]
        self.scan_kind = detect_scan_kind(scan)
        return scan

    def clean(self):
        cleaned = super().clean()
        kind, number = cleaned.get("kind"), cleaned.get("number")
        if kind and number:
            try:
                NUMBER_VALIDATORS[kind](number)
            except forms.ValidationError as exc:
                self.add_error("number", exc)
            else:
                if kind != DocumentKind.PASSPORT:
                    cleaned["number"] = digits_only(number)
                else:
                    cleaned["number"] = number.strip().upper()
        return cleaned


class DataDeletionRequestForm(forms.Form):
    """UU PDP: the erasure request; only an optional message is typed."""

    message = forms.CharField(
        label=_("Message to our staff (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
