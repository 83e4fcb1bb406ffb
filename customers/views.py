"""Client-area pages for the account: thin, each calls a selector or a service."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import FormView, TemplateView

from core.client_ip import client_ip
from core.downloads import private_file_response
from customers import selectors, services
from customers.forms import (
    ContactForm,
    CustomerEditForm,
    CustomerSetupForm,
    HandoverForm,
    IdentityDocumentForm,
    InvitationAcceptForm,
    InvitationForm,
    TermsAcceptForm,
    newer_terms_message,
)
from customers.middleware import SESSION_KEY
from customers.mixins import CustomerRequiredMixin, ResponsibleRequiredMixin
from customers.models import Invitation


def add_form_errors(form, exc: ValidationError):
    """Put a service's ValidationError on the form, beside the field when it names one."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class DashboardView(LoginRequiredMixin, TemplateView):
    """The client area's home: the checklist of what the customer still has to do."""

    template_name = "customers/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        contact = self.request.contact = selectors.contact_for(user=user)
        identity = None
        if contact is None:
            context["invitations"] = selectors.open_invitations_to(user=user)
        else:
            identity = selectors.identity_state(customer=contact.customer)
            context.update(customer=contact.customer, identity=identity)
        context["contact"] = contact
        context["steps"] = selectors.missing_steps(
            user=user,
            require_verified_identity=True,
            contact=contact,
            identity=identity,
            # TermsAcceptanceMiddleware let this request through: accepted.
            terms_accepted=getattr(self.request, "terms_accepted", False),
        )
        return context


class CustomerSetupView(LoginRequiredMixin, FormView):
    """K7: create the customer account; its creator is the responsible contact."""

    template_name = "customers/setup.html"
    form_class = CustomerSetupForm
    success_url = reverse_lazy("customers:dashboard")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and selectors.contact_for(user=request.user):
            return redirect("customers:dashboard")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["invitations"] = selectors.open_invitations_to(user=self.request.user)
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            services.customer_create(
                user=self.request.user,
                kind=data["kind"],
                name=data["name"],
                address=data["address"],
                city=data["city"],
                postal_code=data["postal_code"],
                phone=data["phone"],
                npwp=data["npwp"],
                contact_name=data["contact_name"],
                contact_phone=data["contact_phone"],
                contact_position=data["contact_position"],
            )
        except ValidationError as exc:
            add_form_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Your customer account is ready."))
        return super().form_valid(form)


class AccountView(CustomerRequiredMixin, TemplateView):
    template_name = "customers/account.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["contacts"] = selectors.contacts_for(customer=self.customer)
        if self.contact.is_responsible:
            context["invitations"] = selectors.open_invitations_for(customer=self.customer)
        return context


class CustomerEditView(ResponsibleRequiredMixin, FormView):
    template_name = "customers/form_page.html"
    form_class = CustomerEditForm
    success_url = reverse_lazy("customers:account")
    extra_context = {"title": gettext_lazy("Edit account details")}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.customer}

    def form_valid(self, form):
        try:
            services.customer_update(
                customer=self.customer, actor=self.request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            add_form_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Account details saved."))
        return super().form_valid(form)


class ContactEditView(CustomerRequiredMixin, FormView):
    """The responsible contact edits any contact of the account; others only themselves."""

    template_name = "customers/form_page.html"
    form_class = ContactForm
    success_url = reverse_lazy("customers:account")
    extra_context = {"title": gettext_lazy("Edit contact")}

    def get_form_kwargs(self):
        target = selectors.contact_of(customer=self.customer, pk=self.kwargs["pk"])
        if target.pk != self.contact.pk and not self.contact.is_responsible:
            raise PermissionDenied
        self.target = target
        return {**super().get_form_kwargs(), "instance": target}

    def form_valid(self, form):
        try:
            services.contact_update(
                contact=self.target, actor=self.request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            add_form_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Contact saved."))
        return super().form_valid(form)


class ContactRemoveView(ResponsibleRequiredMixin, View):
    def post(self, request, pk):
        target = selectors.contact_of(customer=self.customer, pk=pk)
        try:
            services.contact_remove(contact=target, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("%(name)s no longer has access.") % {"name": target})
        return redirect("customers:account")


class InvitationCreateView(ResponsibleRequiredMixin, FormView):
    template_name = "customers/form_page.html"
    form_class = InvitationForm
    success_url = reverse_lazy("customers:account")
    extra_context = {"title": gettext_lazy("Invite a contact")}

    def form_valid(self, form):
        try:
            services.contact_invite(
                customer=self.customer,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                invited_by=self.request.user,
            )
        except ValidationError as exc:
            add_form_errors(form, exc)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]},
        )
        return super().form_valid(form)


class InvitationAcceptView(LoginRequiredMixin, FormView):
    template_name = "customers/invitation_accept.html"
    form_class = InvitationAcceptForm
    success_url = reverse_lazy("customers:dashboard")

    def dispatch(self, request, *args, **kwargs):
        self.invitation = get_object_or_404(
            Invitation.objects.select_related("customer"), token=kwargs["token"]
        )
        if not self.invitation.is_open():
            # K7: an old link says why it no longer works (expired, replaced by a newer
            # invitation, or used), before any login: nothing of the account is shown.
            return TemplateResponse(
                request,
                "customers/invitation_closed.html",
                {"message": services.invitation_closed_message(self.invitation)},
                status=410,
            )
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "invitation": self.invitation}

    def form_valid(self, form):
        try:
            services.invitation_accept(
                invitation=self.invitation, user=self.request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            add_form_errors(form, exc)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("You are now a contact of %(customer)s.") % {"customer": self.invitation.customer},
        )
        return super().form_valid(form)


class HandoverView(ResponsibleRequiredMixin, FormView):
    """K7: hand the responsible role to another contact."""

    template_name = "customers/form_page.html"
    form_class = HandoverForm
    success_url = reverse_lazy("customers:account")
    extra_context = {"title": gettext_lazy("Hand over the responsible role")}

    def get_form_kwargs(self):
        contacts = selectors.contacts_for(customer=self.customer).exclude(pk=self.contact.pk)
        return {**super().get_form_kwargs(), "contacts": contacts}

    def form_valid(self, form):
        try:
            services.responsible_handover(
                customer=self.customer,
                to_contact=form.cleaned_data["to_contact"],
                previous_role=form.cleaned_data["previous_role"],
                actor=self.request.user,
            )
        except ValidationError as exc:
            add_form_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("The responsible role was handed over."))
        return super().form_valid(form)


class IdentityView(ResponsibleRequiredMixin, FormView):
    """K8: the account's identity documents, their status, and the upload form."""

    template_name = "customers/identity.html"
    form_class = IdentityDocumentForm
    success_url = reverse_lazy("customers:identity")

    def get_form_kwargs(self):
        kinds = self.customer.required_document_kinds()
        return {**super().get_form_kwargs(), "kinds": kinds}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["documents"] = selectors.documents_for(customer=self.customer)
        context["identity"] = selectors.identity_state(customer=self.customer)
        return context

    def form_valid(self, form):
        try:
            services.identity_document_submit(
                customer=self.customer,
                uploaded_by=self.request.user,
                kind=form.cleaned_data["kind"],
                number=form.cleaned_data["number"],
                holder_name=form.cleaned_data["holder_name"],
                scan=form.cleaned_data["scan"],
                scan_kind=form.scan_kind,
            )
        except ValidationError as exc:
            add_form_errors(form, exc)
            return self.form_invalid(form)
        messages.success(
            self.request, _("Document uploaded. Our staff will verify it within one working day.")
        )
        return super().form_valid(form)


class IdentityDocumentFileView(ResponsibleRequiredMixin, View):
    """K8: the scan, only for its own account's responsible contact (staff use admin)."""

    def get(self, request, pk):
        document = selectors.document_of(customer=self.customer, pk=pk)
        return private_file_response(
            document.scan,
            filename=document.download_name,
            content_type=document.scan_content_type,
        )


class TermsView(TemplateView):
    """K1: the current Terms of Service, readable by anyone."""

    template_name = "customers/terms.html"
    terms_exempt = True

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "terms": selectors.current_terms()}


class TermsAcceptView(LoginRequiredMixin, FormView):
    """K1: accept the newest version (showing what changed) before using the client area.

    The form names the version the page showed; an acceptance is recorded only for
    that version and only while it is still the current one. When staff published a
    newer one meanwhile, nothing is recorded and the page shows the newer text, what
    changed, and why the box must be ticked again.
    """

    template_name = "customers/terms_accept.html"
    form_class = TermsAcceptForm
    terms_exempt = True

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        self.terms = form.terms
        return form

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["terms"] = self.terms
        context["already_accepted"] = selectors.has_accepted_current_terms(user=self.request.user)
        return context

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        if not form.shows_current():
            messages.warning(
                request, newer_terms_message(shown_id=form.shown_terms_id(), current=self.terms)
            )
            fresh = self.get_form_class()(initial=self.get_initial())
            return self.render_to_response(self.get_context_data(form=fresh))
        return self.form_valid(form) if form.is_valid() else self.form_invalid(form)

    def form_valid(self, form):
        if self.terms is not None:
            services.terms_accept(
                user=self.request.user,
                terms=self.terms,
                ip_address=client_ip(self.request),
                user_agent=self.request.META.get("HTTP_USER_AGENT", ""),
            )
            self.request.session[SESSION_KEY] = self.terms.pk
        messages.success(self.request, _("Thank you. You accepted the Terms of Service."))
        return HttpResponseRedirect(self.get_success_url())

    def get_success_url(self):
        target = self.request.GET.get("next", "")
        if url_has_allowed_host_and_scheme(target, allowed_hosts={self.request.get_host()}):
            return target
        return reverse("customers:dashboard")
