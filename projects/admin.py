"""Staff screens for custom projects: quote or reject a request, start, record a
scope change, deliver. Every action calls the same services as the portal, so each
decision is audited with its actor and reason."""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from core import clock
from core.admin_actions import reason_action
from core.downloads import private_file_response
from customers.models import User
from customers.views import add_form_errors
from projects import services
from projects.models import SCOPE_CHANGE_MIN_CHARS, CustomProject, ScopeChange
from projects.validators import MinimumRealLength

Status = CustomProject.Status


class AgeFilter(admin.SimpleListFilter):
    """How long ago the request came in, so the oldest waiting ones are found first."""

    title = _("age")
    parameter_name = "age"

    def lookups(self, request, model_admin):
        return [
            ("2", _("Less than 2 days")),
            ("7", _("2 to 7 days")),
            ("30", _("8 to 30 days")),
            ("old", _("More than 30 days")),
        ]

    def queryset(self, request, queryset):
        now = clock.now()
        bounds = {"2": (0, 2), "7": (2, 8), "30": (8, 31), "old": (31, None)}
        if self.value() not in bounds:
            return queryset
        newest, oldest = bounds[self.value()]
        queryset = queryset.filter(created_at__lte=now - timedelta(days=newest))
        if oldest is not None:
            queryset = queryset.filter(created_at__gt=now - timedelta(days=oldest))
        return queryset


class ProjectDecisionForm(forms.ModelForm):
    """Quote (price before PPN, delivery date) or reject with a reason the customer reads."""

    decision = forms.ChoiceField(
        label=_("Decision"),
        required=False,
        choices=[("", "—"), ("quote", _("Quote")), ("reject", _("Reject"))],
    )
    price = forms.DecimalField(
        label=_("Price before PPN (Rp)"),
        required=False,
        max_digits=14,
        decimal_places=2,
        min_value=1,
    )
    delivery_date = forms.DateField(
        label=_("Estimated delivery date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    note = forms.CharField(
        label=_("Note with the quote"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown to the customer: what the price includes, milestones."),
    )
    reason = forms.CharField(
        label=_("Why it is rejected"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown to the customer."),
    )

    class Meta:
        model = CustomProject
        fields = []

    def clean(self):
        cleaned = super().clean()
        decision = cleaned.get("decision")
        if decision == "quote":
            if not cleaned.get("price") and "price" not in self.errors:
                self.add_error("price", _("A quote needs a price."))
            delivery = cleaned.get("delivery_date")
            if delivery is None and "delivery_date" not in self.errors:
                self.add_error("delivery_date", _("A quote needs an estimated delivery date."))
            elif delivery is not None and delivery <= clock.today():
                self.add_error("delivery_date", _("The delivery date must be after today."))
        elif decision == "reject" and not cleaned.get("reason", "").strip():
            self.add_error("reason", _("Say why, so the customer knows."))
        return cleaned


class ScopeChangeForm(forms.Form):
    """Custom projects: what changed after work started, who asked, how many days it adds."""

    requested_by = forms.ModelChoiceField(label=_("Requested by"), queryset=User.objects.none())
    description = forms.CharField(
        label=_("What changed"),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        validators=[MinimumRealLength(SCOPE_CHANGE_MIN_CHARS, min_words=3)],
        help_text=_("Shown to the customer with the new delivery date."),
    )
    extra_days = forms.IntegerField(
        label=_("Extra days"),
        min_value=1,
        max_value=services.MAX_EXTRA_DAYS,
        help_text=_("The estimated delivery date moves later by this many days."),
    )

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        people = User.objects.filter(
            Q(contact__customer_id=project.customer_id) | Q(is_staff=True, is_active=True)
        ).select_related("contact")
        self.fields["requested_by"].queryset = people.order_by("-is_staff", "email")
        self.fields["requested_by"].label_from_instance = _person


def _person(user) -> str:
    if user.is_staff:
        return f"{user.get_full_name() or user.email} (Masternet)"
    return f"{user.contact.full_name} <{user.email}> ({user.contact.get_role_display()})"


class ScopeChangeInline(admin.TabularInline):
    model = ScopeChange
    fields = [
        "recorded_at",
        "description",
        "requested_by",
        "requested_by_side",
        "extra_days",
        "previous_date",
        "new_date",
        "recorded_by",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def _reject(project, *, staff, reason):
    services.project_reject(project=project, staff=staff, reason=reason)


def _cancel(project, *, staff, reason):
    services.project_cancel(project=project, actor=staff, reason=reason)


@admin.register(CustomProject)
class CustomProjectAdmin(SimpleHistoryAdmin):
    form = ProjectDecisionForm
    list_display = [
        "__str__",
        "customer",
        "status",
        "created_at",
        "age",
        "quoted_price",
        "estimated_delivery_date",
    ]
    list_filter = ["status", AgeFilter, ("created_at", admin.DateFieldListFilter)]
    list_select_related = ["customer"]
    search_fields = ["=id", "title", "customer__name"]
    show_full_result_count = False
    inlines = [ScopeChangeInline]
    request_fields = [
        "customer",
        "requested_by",
        "created_at",
        "title",
        "design_reference_url",
        "design_file_link",
        "requirements",
        "technology",
        "workflow",
    ]
    state_fields = [
        "status",
        "status_reason",
        "quoted_price",
        "quoted_delivery_date",
        "quote_note",
        "quote_revision",
        "quoted_by",
        "quoted_at",
        "accepted_by",
        "accepted_at",
        "order_link",
        "estimated_delivery_date",
        "started_at",
        "delivered_at",
        "decided_by",
        "scope_change_link",
    ]
    readonly_fields = [*request_fields, *state_fields]
    actions = [
        "start_selected",
        "deliver_selected",
        "record_scope_change",
        reason_action(
            name="reject_selected",
            description=_("Reject selected requests"),
            apply=_reject,
            done_message=_("%(count)d project(s) rejected."),
        ),
        reason_action(
            name="cancel_selected",
            description=_("Cancel selected requests (not yet accepted)"),
            apply=_cancel,
            done_message=_("%(count)d project(s) cancelled."),
        ),
    ]

    def has_add_permission(self, request):
        # Projects are requested by the customer through the portal, with the basics.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_fieldsets(self, request, obj=None):
        """An open request asks for a decision; otherwise the page is read-only."""
        fieldsets = [
            (_("Request"), {"fields": self.request_fields}),
            (_("Status"), {"fields": self.state_fields}),
        ]
        if obj is not None and obj.is_open_for_quote:
            fieldsets.append(
                (
                    _("Decision"),
                    {"fields": ["decision", "price", "delivery_date", "note", "reason"]},
                )
            )
        return fieldsets

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None or not obj.is_open_for_quote:
            kwargs["form"] = forms.ModelForm
            kwargs["fields"] = []
        return super().get_form(request, obj, change, **kwargs)

    def get_urls(self):
        return [
            path(
                "<int:pk>/design/",
                self.admin_site.admin_view(self.design_view),
                name="projects_customproject_design",
            ),
            path(
                "<int:pk>/scope-change/",
                self.admin_site.admin_view(self.scope_change_view),
                name="projects_customproject_scope_change",
            ),
            *super().get_urls(),
        ]

    def design_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        project = get_object_or_404(CustomProject.objects.exclude(design_reference_file=""), pk=pk)
        return private_file_response(
            project.design_reference_file,
            filename=project.design_download_name,
            content_type=project.design_file_content_type,
        )

    def scope_change_view(self, request, pk):
        """Custom projects: record a scope change; the service moves the date."""
        project = get_object_or_404(CustomProject.objects.select_related("customer"), pk=pk)
        if not self.has_change_permission(request, project):
            raise PermissionDenied
        form = ScopeChangeForm(request.POST or None, project=project)
        if request.method == "POST" and form.is_valid():
            try:
                change = services.scope_change_record(
                    project=project,
                    staff=request.user,
                    requested_by=form.cleaned_data["requested_by"],
                    description=form.cleaned_data["description"],
                    extra_days=form.cleaned_data["extra_days"],
                )
            except ValidationError as exc:
                add_form_errors(form, exc)
            else:
                self.message_user(
                    request,
                    _("Scope change recorded; the estimated delivery date is now %(date)s.")
                    % {"date": date_format(change.new_date, "j F Y")},
                    messages.SUCCESS,
                )
                return redirect("admin:projects_customproject_change", project.pk)
        return TemplateResponse(
            request,
            "projects/admin/scope_change.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Record a scope change"),
                "project": project,
                "form": form,
                "opts": self.model._meta,
                "original": project,
            },
        )

    @admin.display(description=_("age"))
    def age(self, obj):
        days = (clock.now() - obj.created_at).days
        return ngettext("%(days)d day", "%(days)d days", days) % {"days": days}

    @admin.display(description=_("design file"))
    def design_file_link(self, obj):
        if not obj.design_reference_file:
            return "—"
        url = reverse("admin:projects_customproject_design", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download the design file"))

    @admin.display(description=_("order and invoice"))
    def order_link(self, obj):
        if obj.order_id is None:
            return "—"
        invoice = obj.order.invoices.order_by("pk").first()
        if invoice is None:
            return f"#{obj.order_id}"
        url = reverse("admin:invoices_invoice_change", args=[invoice.pk])
        return format_html(
            '#{} · <a href="{}">{}</a> ({})',
            obj.order_id,
            url,
            invoice.number,
            invoice.get_status_display(),
        )

    @admin.display(description=_("scope change"))
    def scope_change_link(self, obj):
        if obj.status != Status.IN_PROGRESS:
            return _("Possible once the work has started.")
        url = reverse("admin:projects_customproject_scope_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Record a scope change"))

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        decision = data.get("decision")
        try:
            if decision == "quote":
                services.project_quote(
                    project=obj,
                    staff=request.user,
                    price=data["price"],
                    delivery_date=data["delivery_date"],
                    note=data.get("note", ""),
                )
            elif decision == "reject":
                services.project_reject(project=obj, staff=request.user, reason=data["reason"])
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)

    def _each(self, request, queryset, service, done: str):
        count = 0
        for project in queryset:
            try:
                service(project=project, staff=request.user)
            except ValidationError as exc:
                self.message_user(request, f"{project}: {' '.join(exc.messages)}", messages.ERROR)
            else:
                count += 1
        self.message_user(request, done % {"count": count}, messages.SUCCESS)

    @admin.action(
        description=_("Start the work on selected accepted projects"), permissions=["change"]
    )
    def start_selected(self, request, queryset):
        self._each(request, queryset, services.project_start, _("%(count)d project(s) started."))

    @admin.action(description=_("Mark selected projects delivered"), permissions=["change"])
    def deliver_selected(self, request, queryset):
        self._each(
            request, queryset, services.project_deliver, _("%(count)d project(s) delivered.")
        )

    @admin.action(
        description=_("Record a scope change (one project in progress)"), permissions=["change"]
    )
    def record_scope_change(self, request, queryset):
        projects = list(queryset[:2])
        if len(projects) != 1:
            self.message_user(request, _("Select exactly one project."), messages.ERROR)
            return None
        return redirect("admin:projects_customproject_scope_change", projects[0].pk)
