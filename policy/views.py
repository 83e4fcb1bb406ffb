"""The policy's request forms, reached from a service's page (K4, K5, H4, H5)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import FormView

from core.downloads import private_file_response
from customers.mixins import CustomerRequiredMixin
from customers.models import Role
from orders.selectors import service_of
from policy import selectors, services
from policy.forms import (
    DeferralForm,
    MigrationForm,
    ServiceChangeForm,
    TechnicalChangeForm,
    put_errors_on_form,
)


class ServiceRequestView(CustomerRequiredMixin, FormView):
    """A request form about one of the customer's services; another's is a 404."""

    template_name = "policy/request_form.html"
    title = ""
    success_message = _("Your request was sent. We will e-mail you the decision.")

    def get_service(self):
        if not hasattr(self, "service"):
            self.service = service_of(customer=self.customer, pk=self.kwargs["pk"])
        return self.service

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(service=self.get_service(), title=self.title)
        context["deadlines"] = selectors.deadlines_for(service=self.service)
        return context

    def submit(self, form):
        raise NotImplementedError

    def form_valid(self, form):
        try:
            self.submit(form)
        except services.TooLate as late:
            return self.offer_next_period(form, late)
        except ValidationError as exc:
            put_errors_on_form(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message)
        return redirect("orders:service", pk=self.service.pk)

    def offer_next_period(self, form, late):
        """K4, K5: keep what was typed and offer the earliest period still open."""
        data = self.request.POST.copy()
        data["period_start"] = late.earliest.start.isoformat()
        data.update(self.carried_to(form, late))
        offer = self.get_form_class()(data=data, **self._extra_form_kwargs())
        offer.is_valid()
        return self.render_to_response(
            self.get_context_data(form=offer, late=late, **self.offer_context)
        )

    offer_context: dict = {}

    def carried_to(self, form, late) -> dict:
        """What else changes in the form when it is offered for ``late.earliest``."""
        return {}

    def _extra_form_kwargs(self):
        return {}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), **self._extra_form_kwargs()}


class DeferralView(ServiceRequestView):
    """K4: payment deferral, for the contacts who handle payments."""

    allowed_roles = (Role.RESPONSIBLE, Role.BILLING)
    form_class = DeferralForm
    title = _("Ask to defer a payment")

    def carried_to(self, form, late) -> dict:
        """K4: the proposed payment date moves with the period (shown to the customer)."""
        typed = form.cleaned_data["proposed_due_date"]
        offered = services.offered_due_date(service=self.service, late=late, proposed=typed)
        if offered == typed:
            return {}
        self.offer_context = {"date_moved": {"typed": typed, "offered": offered}}
        return {"proposed_due_date": offered.isoformat()}

    def submit(self, form):
        services.deferral_submit(
            service=self.get_service(),
            requested_by=self.request.user,
            reason=form.cleaned_data["reason"],
            proposed_due_date=form.cleaned_data["proposed_due_date"],
            period_start=form.cleaned_data.get("period_start"),
        )


class ServiceChangeView(ServiceRequestView):
    """K5: upgrade, downgrade, add-on or cancellation, from a period's invoice on."""

    allowed_roles = (Role.RESPONSIBLE,)
    form_class = ServiceChangeForm
    title = _("Change this service")

    def _extra_form_kwargs(self):
        return {"service": self.get_service()}

    def submit(self, form):
        data = form.cleaned_data
        services.service_change_submit(
            service=self.get_service(),
            requested_by=self.request.user,
            kind=data["kind"],
            new_plan=data.get("new_plan"),
            addon_description=data.get("addon_description", ""),
            note=data.get("note", ""),
            period_start=data.get("period_start"),
        )


class TechnicalChangeView(ServiceRequestView):
    """H4: change of technical data, gated by proof of authority."""

    allowed_roles = (Role.RESPONSIBLE, Role.TECHNICAL)
    form_class = TechnicalChangeForm
    title = _("Change technical data")

    def submit(self, form):
        services.technical_change_submit(
            service=self.get_service(),
            requested_by=self.request.user,
            kind=form.cleaned_data["kind"],
            details=form.cleaned_data["details"],
            letter=form.cleaned_data.get("letter"),
            letter_kind=form.letter_kind,
        )


class MigrationView(ServiceRequestView):
    """H5: free migration, only for a paid hosting service that includes it."""

    allowed_roles = (Role.RESPONSIBLE, Role.TECHNICAL)
    form_class = MigrationForm
    title = _("Free migration to our servers")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["blocker"] = services.migration_blocker(service=self.service)
        return context

    def submit(self, form):
        services.migration_submit(
            service=self.get_service(), requested_by=self.request.user, **form.cleaned_data
        )


class AuthorisationLetterView(CustomerRequiredMixin, View):
    """H4: the letter of authorisation, for its own account only."""

    def get(self, request, pk):
        change = selectors.technical_change_of(customer=self.customer, pk=pk)
        if not change.letter:
            return redirect("orders:service", pk=change.service_id)
        return private_file_response(
            change.letter,
            filename=f"surat-kuasa-{change.pk}{change.letter_extension}",
            content_type=change.letter_content_type,
        )
