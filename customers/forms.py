"""Input validation for accounts. No side effects: views call services."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from core.validators import detect_scan_kind
from customers.models import Contact, Customer, DocumentKind, Language, Role
from customers.selectors import current_terms
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


class SignupTermsForm(forms.Form):
    """K1: sign-up requires accepting the current Terms of Service.

    allauth calls ``signup()`` after creating the user; the acceptance itself is
    recorded by the account adapter (with the request's IP address).
    """

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
        self.terms = current_terms()
        if self.terms is None:
            del self.fields["accept_terms"]
        else:
            self.fields["accept_terms"].help_text = _("Version %(version)s") % {
                "version": self.terms.version
            }

    def signup(self, request, user):
        """Nothing left to do: the account adapter saved the language and the
        terms acceptance together with the user."""


class TermsAcceptForm(PortalForm):
    submit_label = _("Accept and continue")

    accept = forms.BooleanField(
        label=_("I have read and accept this version of the Terms of Service"),
        required=True,
        error_messages={
            "required": _("Tick the box to accept; without it the portal stays locked.")
        },
    )


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
