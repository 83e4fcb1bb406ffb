"""Custom projects in the client area: thin, each calls a selector or a service.

Every contact of the account sees its projects; only the responsible contact (K7)
requests one, accepts a quote (K2, K9) or withdraws a request.
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, FormView, ListView

from core import clock
from core.client_ip import client_ip
from core.downloads import private_file_response
from customers.mixins import CustomerRequiredMixin, ResponsibleRequiredMixin
from customers.models import Role
from customers.views import add_form_errors
from invoices.services import compute_totals
from orders.pricing import LineSpec
from orders.services import OrderBlocked, order_blockers
from projects import selectors, services
from projects.forms import AcceptQuoteForm, ProjectRequestForm
from projects.models import CustomProject
from tickets.models import Category
from tickets.rules import support_status


def _detail_context(*, project: CustomProject, contact) -> dict:
    """What the project page shows, for the detail view and a refused acceptance; once
    ordered, the support its service is entitled to (H1, H7)."""
    invoices = list(project.order.invoices.all()) if project.order else []
    services = list(project.order.services.all()) if project.order else []
    context = {
        "project": project,
        "scope_changes": list(project.scope_changes.all()),
        "invoice": invoices[0] if invoices else None,
        "support": support_status(services[0], today=clock.today()) if services else None,
        "ticket_category": Category.PROJECT,
        "sees_invoices": contact.role in (Role.RESPONSIBLE, Role.BILLING),
        "can_decide": contact.is_responsible,
        "steps": [],
        "quote_totals": None,
    }
    if project.quoted_price:
        # What the invoice will say: the quoted price plus PPN, computed the same way.
        context["quote_totals"] = compute_totals(
            [LineSpec("", project.quoted_price)], ppn_rate=settings.PPN_RATE
        )
    if contact.is_responsible and project.status == CustomProject.Status.QUOTED:
        context["steps"] = order_blockers(customer=project.customer, items=[])
    return context


class ProjectListView(CustomerRequiredMixin, ListView):
    template_name = "projects/list.html"
    context_object_name = "projects"
    paginate_by = 20

    def get_queryset(self):
        return selectors.projects_for(customer=self.customer)


class ProjectCreateView(ResponsibleRequiredMixin, FormView):
    """Custom projects: the request form requires the basics the policy names."""

    template_name = "projects/create.html"
    form_class = ProjectRequestForm

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            project = services.project_submit(
                customer=self.customer,
                requested_by=self.request.user,
                title=data["title"],
                design_reference_url=data["design_reference_url"],
                design_reference_file=data["design_reference_file"],
                design_file_kind=form.design_file_kind,
                requirements=data["requirements"],
                technology=data["technology"],
                workflow=data["workflow"],
            )
        except ValidationError as exc:
            add_form_errors(form, exc)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Thank you. Our staff will study your request and send you a quote."),
        )
        return redirect("projects:detail", pk=project.pk)


class ProjectDetailView(CustomerRequiredMixin, DetailView):
    """The project's status, its quote, the scope changes with who asked for each, and
    the current estimated delivery date."""

    template_name = "projects/detail.html"
    context_object_name = "project"

    def get_object(self, queryset=None):
        return selectors.project_of(customer=self.customer, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(_detail_context(project=self.object, contact=self.contact))
        if context["can_decide"] and self.object.status == CustomProject.Status.QUOTED:
            context["form"] = AcceptQuoteForm(
                initial={"revision": self.object.quote_revision},
                action=reverse_lazy("projects:accept", args=[self.object.pk]),
            )
        return context


class ProjectAcceptView(ResponsibleRequiredMixin, FormView):
    """K2, K9: accepting the quote orders the project and issues its invoice."""

    template_name = "projects/detail.html"
    form_class = AcceptQuoteForm

    def get(self, request, *args, **kwargs):
        return redirect("projects:detail", pk=kwargs["pk"])

    def get_project(self) -> CustomProject:
        if not hasattr(self, "project"):
            self.project = selectors.project_of(customer=self.customer, pk=self.kwargs["pk"])
        return self.project

    def get_form_kwargs(self):
        action = reverse_lazy("projects:accept", args=[self.get_project().pk])
        return {**super().get_form_kwargs(), "action": action}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(_detail_context(project=self.get_project(), contact=self.contact))
        return context

    def form_valid(self, form):
        project = self.get_project()
        try:
            accepted = services.project_accept_quote(
                project=project,
                accepted_by=self.request.user,
                revision=form.cleaned_data["revision"],
                aup_accepted=form.cleaned_data["accept_aup"],
                ip_address=client_ip(self.request),
            )
        except OrderBlocked:
            return self.form_invalid(form)  # the page lists the missing steps
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                add_form_errors(form, exc)
                return self.form_invalid(form)
            # The quote changed or was decided meanwhile: show the project as it is now.
            messages.error(self.request, " ".join(exc.messages))
            return redirect("projects:detail", pk=project.pk)
        invoice = accepted.order.invoices.get()
        messages.success(
            self.request,
            _("Thank you. The project is ordered; invoice %(number)s is waiting for payment.")
            % {"number": invoice.number},
        )
        return redirect("invoices:detail", pk=invoice.pk)


class ProjectCancelView(ResponsibleRequiredMixin, View):
    """The responsible contact withdraws a request that was not accepted yet."""

    def post(self, request, pk):
        project = selectors.project_of(customer=self.customer, pk=pk)
        try:
            services.project_cancel(project=project, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The request was withdrawn."))
        return redirect("projects:detail", pk=project.pk)


class ProjectDesignFileView(CustomerRequiredMixin, View):
    """The uploaded design reference, only for contacts of its own account."""

    def get(self, request, pk):
        project = selectors.project_file_of(customer=self.customer, pk=pk)
        return private_file_response(
            project.design_reference_file,
            filename=project.design_download_name,
            content_type=project.design_file_content_type,
        )
