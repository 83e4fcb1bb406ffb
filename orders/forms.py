"""Input validation for the cart and checkout. No side effects."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from orders.models import Service
from orders.validators import normalise_domain, split_domain, validate_domain_name


class _Form(forms.Form):
    submit_label = _("Save")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", self.submit_label))


def _clean_domain(value: str, tlds) -> str:
    validate_domain_name(value)
    name = normalise_domain(value)
    if split_domain(name, tlds) is None:
        raise forms.ValidationError(
            _("We do not sell this extension. Extensions on sale: %(tlds)s.")
            % {"tlds": ", ".join(sorted(tlds))}
        )
    return name


class AddPlanForm(_Form):
    """K2: choose a plan (with its billing cycle) and, where needed, the domain."""

    submit_label = _("Add to cart")

    plan = forms.ModelChoiceField(
        label=_("Plan and billing cycle"), queryset=None, widget=forms.RadioSelect, empty_label=None
    )
    domain_name = forms.CharField(
        label=_("Domain for this hosting"),
        max_length=253,
        help_text=_("A domain you own or order separately, for example tokosaya.co.id."),
    )

    def __init__(self, *args, product, tlds, **kwargs):
        super().__init__(*args, **kwargs)
        self.tlds = tlds
        self.fields["plan"].queryset = product.plans.all()
        self.fields["plan"].label_from_instance = lambda plan: plan.label
        if not product.needs_domain:
            del self.fields["domain_name"]

    def clean_domain_name(self):
        value = self.cleaned_data["domain_name"]
        validate_domain_name(value)
        return normalise_domain(value)


class AddDomainForm(_Form):
    submit_label = _("Add to cart")

    domain_name = forms.CharField(label=_("Domain"), max_length=253)
    domain_action = forms.ChoiceField(
        label=_("What to do"),
        choices=Service.DomainAction.choices,
        widget=forms.RadioSelect,
        initial=Service.DomainAction.REGISTER,
    )

    def __init__(self, *args, tlds, **kwargs):
        super().__init__(*args, **kwargs)
        self.tlds = tlds

    def clean_domain_name(self):
        return _clean_domain(self.cleaned_data["domain_name"], self.tlds)


class CheckoutForm(_Form):
    submit_label = _("Place order")

    accept_aup = forms.BooleanField(
        label=_(
            "I have read the Terms of Service and am fully responsible for how the ordered "
            "services are used"
        ),
        required=True,
        error_messages={
            "required": _("Confirm that you are responsible for how the services are used.")
        },
    )
