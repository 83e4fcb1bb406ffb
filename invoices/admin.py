"""Staff screens for invoices and payment confirmations (K3, H3).

Lists stay fast at a million rows: indexed ordering and filters, no full count,
``list_select_related``. Decisions go through the services, decided once.
"""

import re

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core import clock
from core.admin_actions import error_text, reason_action
from core.downloads import private_file_response
from core.templatetags.money import rupiah
from invoices import services
from invoices.jobs import enqueue_reminders
from invoices.models import (
    BankAccount,
    Invoice,
    InvoiceLine,
    MailFailure,
    Payment,
    PaymentConfirmation,
    Receipt,
    Reminder,
    ReminderKind,
    SuspensionWaiver,
)

INVOICE_NUMBER = re.compile(r"INV/\d{4}/\d{6}")
RECEIPT_NUMBER = re.compile(r"KW/\d{4}/\d{6}")


def _by_number(parent, request, queryset, search_term, *, lookup: str, pattern):
    """A document number is looked up exactly, through its unique index; anything
    else goes to the name search. One OR across two tables would scan a million rows."""
    term = search_term.strip().upper()
    if pattern.fullmatch(term):
        return queryset.filter(**{lookup: term}), False
    return parent.get_search_results(request, queryset, search_term)


@admin.register(BankAccount)
class BankAccountAdmin(SimpleHistoryAdmin):
    list_display = ["bank", "account_number", "holder", "is_active", "position"]
    list_editable = ["is_active", "position"]
    fields = ["bank", "account_number", "holder", "is_active", "position"]


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    fields = ["description", "quantity", "unit_price", "amount", "applies_ppn", "service"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class PaymentInline(admin.TabularInline):
    model = Payment
    fields = ["amount", "received_on", "recorded_by", "recorded_at", "receipt_number"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("receipt"))
    def receipt_number(self, obj):
        return obj.receipt.number


def _cancel(invoice, *, staff, reason):
    services.invoice_cancel(invoice=invoice, staff=staff, reason=reason)


@admin.register(Invoice)
class InvoiceAdmin(SimpleHistoryAdmin):
    list_display = ["number", "customer", "issue_date", "due_date", "total_rp", "status"]
    list_filter = ["status"]
    list_select_related = ["customer"]
    search_fields = ["customer__name"]
    ordering = ["-issue_date", "-id"]
    show_full_result_count = False
    list_per_page = 50
    inlines = [InvoiceLineInline, PaymentInline]
    readonly_fields = [
        "number",
        "customer",
        "order",
        "status",
        "issue_date",
        "due_date",
        "subtotal",
        "ppn_rate",
        "ppn_amount",
        "total",
        "unique_code",
        "amount_paid",
        "paid_at",
    ]
    fields = readonly_fields
    actions = [
        reason_action(
            name="cancel_invoices",
            description=_("Cancel (kept, never deleted)"),
            apply=_cancel,
            done_message=_("%(count)d invoice(s) cancelled."),
        )
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_search_results(self, request, queryset, search_term):
        return _by_number(
            super(), request, queryset, search_term, lookup="number", pattern=INVOICE_NUMBER
        )

    @admin.display(description=_("total"), ordering="total")
    def total_rp(self, obj):
        return rupiah(obj.total)


class ConfirmationDecisionForm(forms.ModelForm):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("", "—"), ("approve", _("Approve")), ("reject", _("Reject"))],
    )
    reason = forms.CharField(
        label=_("Why it is rejected"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown to the customer: say what to fix."),
    )

    class Meta:
        model = PaymentConfirmation
        fields = []

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "reject" and not cleaned.get("reason", "").strip():
            self.add_error("reason", _("Say why, so the customer can fix it."))
        return cleaned


def _reject(confirmation, *, staff, reason):
    services.payment_reject(confirmation=confirmation, staff=staff, reason=reason)


@admin.register(PaymentConfirmation)
class PaymentConfirmationAdmin(SimpleHistoryAdmin):
    """K3: approve or reject; an amount that differs from the invoice is flagged."""

    list_display = [
        "invoice",
        "customer_name",
        "amount_rp",
        "expected_rp",
        "amount_check",
        "transfer_date",
        "bank_name",
        "status",
        "submitted_at",
    ]
    list_filter = ["status"]
    list_select_related = ["invoice__customer"]
    search_fields = ["sender_account_name", "invoice__customer__name"]
    ordering = ["-submitted_at", "-id"]
    show_full_result_count = False
    list_per_page = 50
    readonly_fields = [
        "invoice",
        "customer_name",
        "amount_rp",
        "expected_rp",
        "amount_check",
        "bank_name",
        "sender_account_name",
        "transfer_date",
        "to_account",
        "proof_link",
        "note",
        "submitted_by",
        "submitted_at",
        "status",
        "rejection_reason",
        "decided_by",
        "decided_at",
    ]
    actions = [
        "approve_selected",
        reason_action(
            name="reject_selected",
            description=_("Reject selected confirmations"),
            apply=_reject,
            done_message=_("%(count)d confirmation(s) rejected."),
            errors=(ValidationError, services.AlreadyDecided),
        ),
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_search_results(self, request, queryset, search_term):
        return _by_number(
            super(),
            request,
            queryset,
            search_term,
            lookup="invoice__number",
            pattern=INVOICE_NUMBER,
        )

    def get_fieldsets(self, request, obj=None):
        fieldsets = [(None, {"fields": self.readonly_fields})]
        if obj is not None and obj.status == PaymentConfirmation.Status.PENDING:
            fieldsets.append((_("Decision"), {"fields": ["decision", "reason"]}))
        return fieldsets

    def get_form(self, request, obj=None, change=False, **kwargs):
        pending = obj is not None and obj.status == PaymentConfirmation.Status.PENDING
        kwargs["form"] = ConfirmationDecisionForm if pending else forms.ModelForm
        if not pending:
            kwargs["fields"] = []
        return super().get_form(request, obj, change, **kwargs)

    def get_urls(self):
        return [
            path(
                "<int:pk>/proof/",
                self.admin_site.admin_view(self.proof_view),
                name="invoices_paymentconfirmation_proof",
            ),
            *super().get_urls(),
        ]

    def proof_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        confirmation = get_object_or_404(PaymentConfirmation, pk=pk)
        return private_file_response(
            confirmation.proof,
            filename=confirmation.download_name,
            content_type=confirmation.proof_content_type,
        )

    @admin.display(description=_("customer"))
    def customer_name(self, obj):
        return obj.invoice.customer.name

    @admin.display(description=_("amount"))
    def amount_rp(self, obj):
        return rupiah(obj.amount)

    @admin.display(description=_("expected"))
    def expected_rp(self, obj):
        return rupiah(obj.invoice.amount_to_transfer or obj.invoice.total)

    @admin.display(description=_("check"))
    def amount_check(self, obj):
        if obj.status != PaymentConfirmation.Status.PENDING:
            return "—"
        if obj.amount_differs:
            return format_html('<strong class="amount-differs">{}</strong>', _("differs"))
        return _("matches")

    @admin.display(description=_("transfer proof"))
    def proof_link(self, obj):
        url = reverse("admin:invoices_paymentconfirmation_proof", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download the proof"))

    def save_model(self, request, obj, form, change):
        decision = form.cleaned_data.get("decision")
        try:
            if decision == "approve":
                services.payment_approve(confirmation=obj, staff=request.user)
            elif decision == "reject":
                services.payment_reject(
                    confirmation=obj, staff=request.user, reason=form.cleaned_data["reason"]
                )
        except services.AlreadyDecided:
            self.message_user(
                request,
                _("Another staff member already decided this confirmation."),
                messages.ERROR,
            )
        except ValidationError as exc:
            self.message_user(request, error_text(exc), messages.ERROR)

    @admin.action(description=_("Approve selected confirmations"), permissions=["change"])
    def approve_selected(self, request, queryset):
        approved = 0
        for confirmation in queryset:
            try:
                services.payment_approve(confirmation=confirmation, staff=request.user)
            except services.AlreadyDecided:
                self.message_user(
                    request, _("%(c)s was already decided.") % {"c": confirmation}, messages.WARNING
                )
            except ValidationError as exc:
                self.message_user(request, f"{confirmation}: {error_text(exc)}", messages.ERROR)
            else:
                approved += 1
        self.message_user(request, _("%(count)d payment(s) approved.") % {"count": approved})


@admin.register(Receipt)
class ReceiptAdmin(admin.ModelAdmin):
    list_display = ["number", "payment", "issued_at"]
    list_select_related = ["payment__invoice"]
    search_fields = []

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip().upper()
        if RECEIPT_NUMBER.fullmatch(term):
            return queryset.filter(number=term), False
        if INVOICE_NUMBER.fullmatch(term):
            return queryset.filter(payment__invoice__number=term), False
        return queryset.none() if term else queryset, False

    show_full_result_count = False
    fields = ["number", "payment", "issued_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReminderKind)
class ReminderKindAdmin(SimpleHistoryAdmin):
    """The reminder schedule, relative to the due date."""

    list_display = ["name", "code", "offset_days", "is_active"]
    list_editable = ["is_active"]
    fields = ["code", "name", "offset_days", "is_active"]


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    """Every reminder, with its delivery state; a send that kept failing shows its error."""

    list_display = ["invoice", "kind", "status", "attempts", "sent_at", "created_at", "last_error"]
    list_filter = ["status", "kind"]
    list_select_related = ["invoice", "kind"]
    search_fields = ["=invoice__number"]
    ordering = ["-created_at", "-id"]
    show_full_result_count = False
    fields = [
        "invoice",
        "kind",
        "status",
        "attempts",
        "enqueued_at",
        "claimed_by",
        "claimed_at",
        "sent_at",
        "created_at",
        "last_error",
    ]
    readonly_fields = fields
    actions = ["send_again"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Queue failed reminders again"), permissions=["change"])
    def send_again(self, request, queryset):
        count = queryset.filter(status=Reminder.Status.FAILED).update(
            status=Reminder.Status.QUEUED, claimed_by="", enqueued_at=None
        )
        enqueue_reminders()
        self.message_user(request, _("%(count)d reminder(s) queued.") % {"count": count})


@admin.register(MailFailure)
class MailFailureAdmin(admin.ModelAdmin):
    """Billing e-mails whose task failed for good, with the error; staff send them again."""

    list_display = ["failed_at", "task_name", "args", "recipient", "error", "retried_at"]
    list_filter = [("retried_at", admin.EmptyFieldListFilter), "task_name"]
    search_fields = ["recipient"]
    ordering = ["-failed_at", "-id"]
    show_full_result_count = False
    fields = [
        "task_name",
        "task_id",
        "args",
        "kwargs",
        "recipient",
        "error",
        "failed_at",
        "retried_at",
        "retried_by",
    ]
    readonly_fields = fields
    actions = ["send_again"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Send again"), permissions=["change"])
    def send_again(self, request, queryset):
        """Each failure is sent again once (a conditional UPDATE claims it); if it fails
        again, a new failure is recorded."""
        from celery import current_app

        count = 0
        for failure in queryset.filter(retried_at__isnull=True):
            claimed = MailFailure.objects.filter(pk=failure.pk, retried_at__isnull=True).update(
                retried_at=clock.now(), retried_by=request.user
            )
            if claimed:
                task = current_app.tasks[failure.task_name]
                transaction.on_commit(
                    lambda t=task, f=failure: t.apply_async(args=f.args, kwargs=f.kwargs)
                )
                count += 1
        self.message_user(request, _("%(count)d e-mail(s) queued again.") % {"count": count})


@admin.register(SuspensionWaiver)
class SuspensionWaiverAdmin(admin.ModelAdmin):
    """Overdue invoices for which staff kept a service running (recorded when they
    restore a suspended service); the overdue run does not suspend it for them."""

    list_display = ["created_at", "service", "invoice", "waived_by", "reason"]
    list_select_related = ["service__product", "invoice", "waived_by"]
    search_fields = ["=invoice__number"]
    ordering = ["-created_at", "-id"]
    show_full_result_count = False
    fields = ["service", "invoice", "waived_by", "reason", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
