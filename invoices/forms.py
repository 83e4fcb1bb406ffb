"""K3: the payment confirmation form. Input validation only."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from core.validators import detect_scan_kind


class PaymentConfirmationForm(forms.Form):
    bank_name = forms.CharField(
        label=_("Your bank"), max_length=50, help_text=_("For example BCA, Mandiri, BRI, BNI.")
    )
    sender_account_name = forms.CharField(
        label=_("Account holder's name"),
        max_length=100,
        help_text=_("As printed on the transfer proof."),
    )
    amount = forms.DecimalField(
        label=_("Amount transferred (Rp)"), max_digits=14, decimal_places=2, min_value=1
    )
    transfer_date = forms.DateField(
        label=_("Transfer date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    to_account = forms.ModelChoiceField(
        label=_("Transferred to"), queryset=None, empty_label=None, widget=forms.RadioSelect
    )
    proof = forms.FileField(
        label=_("Transfer proof"),
        help_text=_("A photo, screenshot or PDF of the transfer: JPEG, PNG or PDF, at most 5 MB."),
    )
    note = forms.CharField(
        label=_("Note for our staff"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_account"].queryset = accounts
        self.proof_kind = None
        self.helper = FormHelper()
        self.helper.form_enctype = "multipart/form-data"
        self.helper.add_input(Submit("submit", _("Send confirmation")))

    def clean_proof(self):
        proof = self.cleaned_data["proof"]
        self.proof_kind = detect_scan_kind(proof)
        return proof
