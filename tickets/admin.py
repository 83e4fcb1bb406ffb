"""Staff screens for tickets: triage list and reply screen (K6, H2, H7).

The changelist stays fast at a million tickets: every filter has an index that also
serves the default order (newest first), no full count, no facet counts, and a ticket
number is searched on its unique index. The reply screen shows the whole thread with
internal notes, the customer's services with their support status, and canned replies.
Every change goes through the services, so it is audited in the ticket's history.
"""

import re
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core import clock
from core.downloads import private_file_response
from customers.models import Customer
from orders.models import Priority
from tickets import selectors, services
from tickets.forms import AttachmentsField
from tickets.models import Attachment, CannedReply, DepartmentMember, Ticket

TRIAGE_FIELDS = ("status", "assignee", "department", "priority")
# "TKT-2026-000123", "2026-123", "000123" or "123"
TICKET_NUMBER = re.compile(r"^(?:TKT-?)?(?:(\d{4})-)?(\d{1,9})$", re.IGNORECASE)
SEARCH_YEARS = 10
SEARCH_CUSTOMERS = 200
# Badge classes of static/css/admin.css (the CSP allows no inline style).
PRIORITY_BADGES = {
    Priority.LOW: "priority-low",
    Priority.NORMAL: "priority-normal",
    Priority.HIGH: "priority-high",
    Priority.URGENT: "priority-urgent",
}
BADGE = '<span class="badge {}">{}</span>'


def _staff():
    return get_user_model().objects.filter(is_staff=True, is_active=True).order_by("email")


class AssigneeFilter(admin.SimpleListFilter):
    """Staff only (the users table also holds every customer), "me" and "nobody"."""

    title = _("assigned to")
    parameter_name = "assignee"

    def lookups(self, request, model_admin):
        return [
            ("me", _("Me")),
            ("none", _("Nobody")),
            *((str(user.pk), user.get_full_name() or user.email) for user in _staff()),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "me":
            return queryset.filter(assignee=request.user)
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        if value and value.isdigit():
            return queryset.filter(assignee_id=int(value))
        return queryset


class AgeFilter(admin.SimpleListFilter):
    """How long ago the ticket was opened."""

    title = _("opened")
    parameter_name = "age"
    RANGES = {
        "day": (None, 1),
        "week": (1, 7),
        "month": (7, 30),
        "older": (30, None),
    }

    def lookups(self, request, model_admin):
        return [
            ("day", _("In the last 24 hours")),
            ("week", _("1 to 7 days ago")),
            ("month", _("7 to 30 days ago")),
            ("older", _("More than 30 days ago")),
        ]

    def queryset(self, request, queryset):
        if self.value() not in self.RANGES:
            return queryset
        now = clock.now()
        newest, oldest = self.RANGES[self.value()]
        if newest is not None:
            queryset = queryset.filter(created_at__lte=now - timedelta(days=newest))
        if oldest is not None:
            queryset = queryset.filter(created_at__gt=now - timedelta(days=oldest))
        return queryset


class ReplyDueFilter(admin.SimpleListFilter):
    """H2: tickets whose reply target has passed, or will within two hours."""

    title = _("reply target")
    parameter_name = "reply"

    def lookups(self, request, model_admin):
        return [("overdue", _("Overdue")), ("soon", _("Due within 2 hours"))]

    def queryset(self, request, queryset):
        now = clock.now()
        if self.value() == "overdue":
            return queryset.filter(response_due_at__lt=now)
        if self.value() == "soon":
            return queryset.filter(response_due_at__gte=now, response_due_at__lt=now + _SOON)
        return queryset


_SOON = timedelta(hours=2)


# The services' names for the fields this form calls otherwise.
SERVICE_FIELDS = {"body": "reply"}


class _Refused(Exception):
    """A service refused the change ``save_model`` asked for (``error``)."""

    def __init__(self, error: ValidationError):
        super().__init__(error)
        self.error = error


class TicketAdminForm(forms.ModelForm):
    """Triage fields of the ticket, plus the reply: a canned reply to start from, the
    text, whether it is an internal note, and attachments.

    ``refusal`` is the ValidationError a service raised for this very submission
    (``TicketAdmin.changeform_view``): the form is then invalid, with each message
    beside the field it concerns."""

    refusal: ValidationError | None = None

    canned_reply = forms.ModelChoiceField(
        label=_("Start from a canned reply"),
        queryset=CannedReply.objects.none(),
        required=False,
        help_text=_("Fills in the reply in the customer's language; edit it before sending."),
    )
    reply = forms.CharField(
        label=_("Reply"),
        required=False,
        max_length=services.MAX_BODY_CHARS,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 90}),
        help_text=_("Sent to the customer by e-mail, unless it is an internal note."),
    )
    internal = forms.BooleanField(
        label=_("Internal note: staff only, the customer never sees it"), required=False
    )
    attachments = AttachmentsField()

    class Meta:
        model = Ticket
        fields = list(TRIAGE_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = _staff()
        self.fields["canned_reply"].queryset = selectors.canned_replies_for(
            department=self.instance.department
        )

    def clean(self):
        cleaned = super().clean()
        has_text = bool((cleaned.get("reply") or "").strip() or cleaned.get("canned_reply"))
        if not has_text and cleaned.get("attachments"):
            self.add_error("reply", _("Write a few words to go with the attachments."))
        if not has_text and cleaned.get("internal"):
            self.add_error("reply", _("Write the internal note."))
        if self.refusal is not None:
            self._add_refusal(self.refusal)
        return cleaned

    def _add_refusal(self, refusal: ValidationError) -> None:
        if not hasattr(refusal, "error_dict"):
            self.add_error(None, refusal.messages)
            return
        for name, errors in refusal.error_dict.items():
            name = SERVICE_FIELDS.get(name, name)
            self.add_error(name if name in self.fields else None, errors)


def _bulk_form_action(*, name: str, description, form_class, apply, done_message):
    """An action that asks for ``form_class`` first, then calls
    ``apply(ticket, staff=..., **form.cleaned_data)`` (a service) on each ticket."""

    @admin.action(description=description, permissions=["change"])
    def action(modeladmin, request, queryset):
        form = form_class(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            done = 0
            for ticket in queryset:
                try:
                    apply(ticket, staff=request.user, **form.cleaned_data)
                except ValidationError as exc:
                    modeladmin.message_user(
                        request, f"{ticket.number}: {' '.join(exc.messages)}", messages.ERROR
                    )
                else:
                    done += 1
            modeladmin.message_user(request, done_message % {"count": done}, messages.SUCCESS)
            return None
        return TemplateResponse(
            request,
            "admin/reason_action.html",
            {
                **modeladmin.admin_site.each_context(request),
                "title": description,
                "form": form,
                "queryset": queryset,
                "action": request.POST.get("action"),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "opts": modeladmin.model._meta,
            },
        )

    action.__name__ = name
    return action


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(label=_("Assign to"), queryset=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = _staff()


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=Ticket.Status.choices)
    reason = forms.CharField(
        label=_("Reason (kept in the ticket's history)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )


def _assign(ticket, *, staff, assignee):
    services.ticket_update(ticket=ticket, staff=staff, assignee=assignee)


def _change_status(ticket, *, staff, status, reason):
    services.ticket_update(ticket=ticket, staff=staff, status=status, reason=reason)


@admin.register(Ticket)
class TicketAdmin(SimpleHistoryAdmin):
    form = TicketAdminForm
    change_form_template = "tickets/admin/change_form.html"
    list_display = [
        "ticket_number",
        "subject",
        "customer",
        "department",
        "priority_badge",
        "status",
        "reply_badge",
        "warranty_badge",
        "assignee",
        "created_at",
    ]
    list_filter = [
        "status",
        "department",
        "priority",
        AssigneeFilter,
        "outside_warranty",
        AgeFilter,
        ReplyDueFilter,
    ]
    list_display_links = ["ticket_number"]
    list_select_related = ["customer", "assignee"]
    search_fields = ["=number", "subject", "customer__name"]
    search_help_text = _(
        "A ticket number (TKT-2026-000123 or just 123), or words of the subject or the "
        "customer's name."
    )
    ordering = ["-id"]
    sortable_by = ["ticket_number", "reply_badge", "created_at"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50
    readonly_fields = [
        "number",
        "customer_link",
        "service_link",
        "category",
        "subject",
        "warranty_badge",
        "opened_by",
        "created_at",
        "reply_badge",
        "first_response_at",
        "closed_at",
        "rating_display",
        "domain_name",
        "error_message",
        "steps_taken",
        "started_on",
    ]
    actions = [
        "assign_to_me",
        _bulk_form_action(
            name="assign_to",
            description=_("Assign to a staff member"),
            form_class=AssignForm,
            apply=_assign,
            done_message=_("%(count)d ticket(s) assigned."),
        ),
        _bulk_form_action(
            name="change_status",
            description=_("Change the status"),
            form_class=StatusForm,
            apply=_change_status,
            done_message=_("%(count)d ticket(s) changed."),
        ),
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_fieldsets(self, request, obj=None):
        details = [
            name
            for name in ("domain_name", "error_message", "steps_taken", "started_on")
            if obj is not None and getattr(obj, name)
        ]
        return [
            (
                None,
                {
                    "fields": [
                        ("number", "category"),
                        "subject",
                        ("customer_link", "opened_by"),
                        ("service_link", "warranty_badge"),
                        ("created_at", "reply_badge"),
                        ("first_response_at", "closed_at", "rating_display"),
                        *details,
                    ]
                },
            ),
            (_("Triage"), {"fields": [("status", "assignee"), ("department", "priority")]}),
            (_("Reply"), {"fields": ["canned_reply", "reply", "internal", "attachments"]}),
        ]

    def get_object(self, request, object_id, from_field=None):
        queryset = self.get_queryset(request).select_related(
            "customer", "opened_by", "assignee", "service__product"
        )
        return queryset.filter(pk=object_id).first() if str(object_id).isdigit() else None

    def get_search_results(self, request, queryset, search_term):
        """A ticket number is looked up on its unique index (with or without the year);
        other words search the subject and the customer's name."""
        term = search_term.strip()
        if not term:
            return queryset, False
        match = TICKET_NUMBER.match(term)
        if match:
            year, sequence = match.groups()
            this_year = clock.today().year
            years = [int(year)] if year else range(this_year - SEARCH_YEARS + 1, this_year + 1)
            numbers = [f"TKT-{y}-{int(sequence):06d}" for y in years]
            return queryset.filter(number__in=numbers), False
        # The matching customers' ids first (a short list), so that the database can
        # combine the subject's trigram index with the customer index.
        customers = list(
            Customer.objects.filter(name__icontains=term).values_list("pk", flat=True)[
                :SEARCH_CUSTOMERS
            ]
        )
        return queryset.filter(Q(subject__icontains=term) | Q(customer_id__in=customers)), False

    def get_urls(self):
        return [
            path(
                "attachments/<int:pk>/",
                self.admin_site.admin_view(self.attachment_view),
                name="tickets_ticket_attachment",
            ),
            *super().get_urls(),
        ]

    def attachment_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        attachment = get_object_or_404(Attachment.objects.select_related("message__ticket"), pk=pk)
        return private_file_response(
            attachment.file,
            filename=attachment.download_name,
            content_type=attachment.content_type,
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        ticket = get_object_or_404(
            Ticket.objects.select_related("customer", "opened_by"), pk=object_id
        )
        canned = selectors.canned_replies_for(department=ticket.department)
        extra_context = {
            **(extra_context or {}),
            "ticket": ticket,
            "thread": selectors.thread_for(ticket=ticket, include_internal=True),
            "statuses": selectors.support_statuses_for(customer=ticket.customer),
            "canned_texts": {
                str(reply.pk): reply.body_in(ticket.opened_by.language) for reply in canned
            },
            "customer_language": ticket.opened_by.get_language_display(),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """A change the services refuse (``save_model``) is not a server error: the
        admin's transaction is rolled back, and the form comes back with the reason
        beside its field and everything the staff member typed (files are chosen again)."""
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except _Refused as refused:
            request.ticket_refusal = refused.error
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, "ticket_refusal", None)
        if refusal is not None:
            form = type(form.__name__, (form,), {"refusal": refusal})
        return form

    def save_model(self, request, obj, form, change):
        """The triage changes and the reply (or internal note), through the services.
        The triage goes first, so a refused change never leaves a reply's files behind."""
        data = form.cleaned_data
        triage = {name: data[name] for name in TRIAGE_FIELDS if name in form.changed_data}
        body = (data.get("reply") or "").strip()
        if not body and data.get("canned_reply"):
            body = data["canned_reply"].body_in(obj.opened_by.language)
        status = triage.pop("status", None) if body else None
        try:
            with transaction.atomic():
                if triage:
                    services.ticket_update(ticket=obj, staff=request.user, **triage)
                if body:
                    services.ticket_staff_reply(
                        ticket=obj,
                        staff=request.user,
                        body=body,
                        internal=data.get("internal", False),
                        attachments=data.get("attachments") or [],
                        status=status,
                    )
        except ValidationError as exc:
            raise _Refused(exc) from exc
        obj.refresh_from_db()

    @admin.action(description=_("Assign to me"), permissions=["change"])
    def assign_to_me(self, request, queryset):
        for ticket in queryset:
            services.ticket_update(ticket=ticket, staff=request.user, assignee=request.user)
        self.message_user(request, _("Assigned to you."), messages.SUCCESS)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "assignee":  # pick a colleague; users are managed elsewhere
            for name in ("add", "change", "delete", "view"):
                setattr(formfield.widget, f"can_{name}_related", False)
        return formfield

    @admin.display(description=_("number"), ordering="id")
    def ticket_number(self, obj):
        return format_html('<span class="nowrap">{}</span>', obj.number)

    @admin.display(description=_("customer"))
    def customer_link(self, obj):
        url = reverse("admin:customers_customer_change", args=[obj.customer_id])
        return format_html('<a href="{}">{}</a>', url, obj.customer)

    @admin.display(description=_("service"))
    def service_link(self, obj):
        if obj.service is None:
            return _("None: about the account or billing")
        url = reverse("admin:orders_service_change", args=[obj.service_id])
        return format_html('<a href="{}">{}</a>', url, obj.service)

    @admin.display(description=_("priority"), ordering="priority")
    def priority_badge(self, obj):
        return format_html(BADGE, PRIORITY_BADGES[obj.priority], obj.get_priority_display())

    @admin.display(description=_("reply due"), ordering="response_due_at")
    def reply_badge(self, obj):
        """H2: how the ticket stands against its reply target."""
        due = obj.response_due_at
        if due is None:
            return "—"
        now = clock.now()
        if due < now:
            return format_html(
                BADGE, "reply-overdue", _("overdue %(time)s") % {"time": timesince(due, now)}
            )
        badge = "reply-soon" if due - now < _SOON else "reply-on-time"
        return format_html(BADGE, badge, _("in %(time)s") % {"time": timeuntil(due, now)})

    @admin.display(description=_("warranty"), ordering="outside_warranty")
    def warranty_badge(self, obj):
        """H7: outside warranty means limited or paid help."""
        if obj.outside_warranty:
            return format_html(BADGE, "outside-warranty", _("outside warranty"))
        if obj.warranty_end:
            return _("until %(date)s") % {"date": obj.warranty_end.strftime("%d-%m-%Y")}
        return "—"

    @admin.display(description=_("rating"))
    def rating_display(self, obj):
        if obj.rating is None:
            return "—"
        return f"{'★' * obj.rating}{'☆' * (5 - obj.rating)} {obj.rating_comment}".strip()


@admin.register(CannedReply)
class CannedReplyAdmin(SimpleHistoryAdmin):
    list_display = ["title", "department", "is_active"]
    list_filter = ["department", "is_active"]
    search_fields = ["title", "body_id", "body_en"]
    fields = ["title", "department", "body_id", "body_en", "is_active"]


@admin.register(DepartmentMember)
class DepartmentMemberAdmin(SimpleHistoryAdmin):
    """Staff in a department hear of its new tickets and customer replies."""

    list_display = ["user", "department"]
    list_filter = ["department"]
    list_select_related = ["user"]
    fields = ["user", "department"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = _staff()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
