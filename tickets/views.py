"""Support tickets in the client area (K6, K10, H2, H7): thin views over selectors and
services. Every contact of the account (any role) sees and opens its tickets; another
account's ticket or attachment is a 404."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from core import clock
from core.downloads import private_file_response
from core.pagination import CountingPaginator
from customers.mixins import CustomerRequiredMixin
from customers.views import add_form_errors
from tickets import selectors, services
from tickets.forms import RatingForm, ReplyForm, TicketForm
from tickets.models import Category, Ticket
from tickets.rules import CATEGORY_DEPARTMENT, REQUIREMENTS, reopen_window, response_hours


class TicketListView(CustomerRequiredMixin, ListView):
    template_name = "tickets/list.html"
    context_object_name = "tickets"
    paginate_by = 20
    paginator_class = CountingPaginator

    def get_queryset(self):
        return selectors.ticket_list_for(customer=self.customer)


class TicketCategoryView(CustomerRequiredMixin, TemplateView):
    """H2: the kinds of ticket the account's active services entitle it to, and the
    support status of each service (H1, H7), before anything is typed."""

    template_name = "tickets/new.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        entitlement = selectors.entitlement_for(customer=self.customer)
        context["entitlement"] = entitlement
        context["categories"] = [
            (category, entitlement.allows(category), REQUIREMENTS[category])
            for category in Category
        ]
        context["statuses"] = statuses = selectors.support_statuses_for(customer=self.customer)
        # K6: ``?service=<pk>`` ("open a ticket about this service") is carried to the
        # form of the chosen kind, only when it is one of the account's own services.
        wanted = self.request.GET.get("service", "")
        context["service_pk"] = next(
            (status.service.pk for status in statuses if str(status.service.pk) == wanted), ""
        )
        return context


class TicketCreateView(CustomerRequiredMixin, FormView):
    """K6, K10: the form for one category: only the services it applies to, and the
    details it needs. A refused field keeps everything else that was typed."""

    template_name = "tickets/create.html"
    form_class = TicketForm

    def dispatch(self, request, *args, **kwargs):
        if kwargs["category"] not in Category.values:
            raise Http404
        self.category = Category(kwargs["category"])
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        if not self.entitlement.allows(self.category):
            messages.info(request, _("Your account has no active service for this kind of ticket."))
            return redirect("tickets:new")
        return super().get(request, *args, **kwargs)

    @property
    def entitlement(self):
        if not hasattr(self, "_entitlement"):
            self._entitlement = selectors.entitlement_for(customer=self.customer)
        return self._entitlement

    def eligible_statuses(self):
        """The services a ticket of this category can be about."""
        if not hasattr(self, "_statuses"):
            statuses = selectors.support_statuses_for(customer=self.customer)
            if REQUIREMENTS[self.category].needs_service:
                department = CATEGORY_DEPARTMENT[self.category]
                statuses = [status for status in statuses if status.department == department]
            self._statuses = statuses
        return self._statuses

    def get_initial(self):
        statuses = self.eligible_statuses()
        wanted = self.request.GET.get("service", "")
        chosen = next((s for s in statuses if str(s.service.pk) == wanted), None)
        if chosen is None and REQUIREMENTS[self.category].needs_service:
            active = [status for status in statuses if status.active]
            chosen = active[0] if len(active) == 1 else None
        return {"service": chosen.service.pk} if chosen else {}

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "category": self.category,
            "statuses": self.eligible_statuses(),
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["form"]
        context["category"] = self.category
        context["statuses"] = self.eligible_statuses()
        context["selected"] = form.selected_status()
        context["entitlement"] = self.entitlement
        context["technical"] = REQUIREMENTS[self.category].needs_service
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            ticket = services.ticket_open(
                customer=self.customer,
                opened_by=self.request.user,
                category=self.category,
                service=data.get("service"),
                subject=data["subject"],
                description=data["description"],
                domain_name=data.get("domain_name") or "",
                error_message=data.get("error_message") or "",
                steps_taken=data.get("steps_taken") or "",
                started_on=data.get("started_on"),
                attachments=data.get("attachments") or [],
            )
        except ValidationError as exc:
            add_form_errors(form, exc)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Ticket %(number)s is open. We reply within %(hours)d hours.")
            % {"number": ticket.number, "hours": response_hours(ticket.priority)},
        )
        return redirect("tickets:detail", number=ticket.number)


class TicketMixin(CustomerRequiredMixin):
    def get_ticket(self) -> Ticket:
        if not hasattr(self, "ticket"):
            self.ticket = selectors.ticket_of(customer=self.customer, number=self.kwargs["number"])
        return self.ticket


class TicketDetailView(TicketMixin, FormView):
    """The thread without internal notes, the reply form, and close/reopen/rate."""

    template_name = "tickets/detail.html"
    form_class = ReplyForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        ticket = self.get_ticket()
        context["ticket"] = ticket
        context["thread"] = selectors.thread_for(ticket=ticket)
        context["response_hours"] = response_hours(ticket.priority)
        if ticket.is_closed:
            context["reopen_until"] = ticket.closed_at + reopen_window()
            context["can_reopen"] = clock.now() <= context["reopen_until"]
            if ticket.rating is None:
                rating_form = RatingForm()
                rating_form.helper.form_action = reverse("tickets:rate", args=[ticket.number])
                context["rating_form"] = rating_form
        return context

    def form_valid(self, form):
        ticket = self.get_ticket()
        try:
            services.ticket_reply(
                ticket=ticket,
                author=self.request.user,
                body=form.cleaned_data["body"],
                attachments=form.cleaned_data["attachments"],
            )
        except ValidationError as exc:
            add_form_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Your reply was sent."))
        return redirect("tickets:detail", number=ticket.number)


class TicketActionView(TicketMixin, View):
    """A POST-only button on the ticket page that calls one service."""

    success_message = ""

    def act(self, ticket):
        raise NotImplementedError

    def post(self, request, number):
        ticket = self.get_ticket()
        try:
            self.act(ticket)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, self.success_message)
        return redirect("tickets:detail", number=ticket.number)


class TicketCloseView(TicketActionView):
    success_message = gettext_lazy("The ticket is closed. Tell us how good our help was.")

    def act(self, ticket):
        services.ticket_close(ticket=ticket, actor=self.request.user)


class TicketReopenView(TicketActionView):
    success_message = gettext_lazy("The ticket is open again; write what is still wrong.")

    def act(self, ticket):
        services.ticket_reopen(ticket=ticket, actor=self.request.user)


class TicketRateView(TicketMixin, FormView):
    template_name = "tickets/detail.html"
    form_class = RatingForm

    def get(self, request, *args, **kwargs):
        return redirect("tickets:detail", number=self.get_ticket().number)

    def form_valid(self, form):
        ticket = self.get_ticket()
        try:
            services.ticket_rate(
                ticket=ticket,
                actor=self.request.user,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            messages.error(self.request, " ".join(exc.messages))
        else:
            messages.success(self.request, _("Thank you for rating our help."))
        return redirect("tickets:detail", number=ticket.number)

    def form_invalid(self, form):
        messages.error(self.request, _("Choose from 1 to 5 stars."))
        return redirect("tickets:detail", number=self.get_ticket().number)


class AttachmentView(CustomerRequiredMixin, View):
    """An attachment, only for the contacts of the ticket's account (staff use admin)."""

    def get(self, request, pk):
        attachment = selectors.attachment_of(customer=self.customer, pk=pk)
        return private_file_response(
            attachment.file,
            filename=attachment.download_name,
            content_type=attachment.content_type,
        )
