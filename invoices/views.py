"""Invoices, payment confirmation (K3) and receipts (H3) for the billing roles."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, FormView, ListView

from core.downloads import private_file_response
from core.pagination import CountingPaginator
from customers.mixins import CustomerRequiredMixin
from customers.models import Role
from customers.views import add_form_errors
from invoices import selectors, services
from invoices.forms import PaymentConfirmationForm
from invoices.models import PENDING_CONFIRMATION_EXISTS, Invoice
from invoices.pdf import invoice_filename, invoice_pdf, receipt_filename, receipt_pdf


class BillingMixin(CustomerRequiredMixin):
    """Invoices are for the responsible and billing contacts, not technical ones."""

    allowed_roles = (Role.RESPONSIBLE, Role.BILLING)


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store, private"
    return response


class InvoiceListView(BillingMixin, ListView):
    template_name = "invoices/list.html"
    context_object_name = "invoices"
    paginate_by = 20
    paginator_class = CountingPaginator

    def get_queryset(self):
        return selectors.invoice_list_for(customer=self.customer)


class InvoiceDetailView(BillingMixin, DetailView):
    template_name = "invoices/detail.html"
    context_object_name = "invoice"

    def get_object(self, queryset=None):
        return selectors.invoice_of(customer=self.customer, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["banks"] = selectors.bank_accounts()
        confirmations = list(self.object.confirmations.all())
        context["confirmations"] = confirmations
        context["awaiting_verification"] = any(c.status == "pending" for c in confirmations)
        return context


class InvoicePdfView(BillingMixin, View):
    def get(self, request, pk):
        invoice = selectors.invoice_of(customer=self.customer, pk=pk)
        return pdf_response(
            invoice_pdf(invoice, language=request.LANGUAGE_CODE), invoice_filename(invoice)
        )


class PaymentConfirmView(BillingMixin, FormView):
    """K3: confirm a transfer against one unpaid invoice, with the proof."""

    template_name = "invoices/confirm.html"
    form_class = PaymentConfirmationForm

    def get_invoice(self):
        if not hasattr(self, "invoice"):
            self.invoice = selectors.invoice_of(customer=self.customer, pk=self.kwargs["pk"])
        return self.invoice

    def get(self, request, *args, **kwargs):
        invoice = self.get_invoice()
        if invoice.status != Invoice.Status.UNPAID:
            messages.info(
                request,
                _("Invoice %(number)s is %(status)s; there is nothing left to pay.")
                % {"number": invoice.number, "status": invoice.get_status_display().lower()},
            )
            return redirect("invoices:detail", pk=invoice.pk)
        if invoice.awaiting_verification:  # K3: the form would be refused; say so first
            messages.info(request, PENDING_CONFIRMATION_EXISTS)
            return redirect("invoices:detail", pk=invoice.pk)
        return super().get(request, *args, **kwargs)

    def get_initial(self):
        invoice = self.get_invoice()
        amount = invoice.amount_to_transfer
        return {"amount": int(amount) if amount == int(amount) else amount}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "accounts": selectors.bank_accounts()}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "invoice": self.get_invoice()}

    def form_valid(self, form):
        invoice = self.get_invoice()
        try:
            services.payment_confirmation_submit(
                invoice=invoice,
                submitted_by=self.request.user,
                proof_kind=form.proof_kind,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            add_form_errors(form, exc)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Thank you. Our staff will verify your payment, usually within one working day."),
        )
        return redirect("invoices:detail", pk=invoice.pk)


class ProofFileView(BillingMixin, View):
    def get(self, request, pk):
        confirmation = selectors.confirmation_of(customer=self.customer, pk=pk)
        return private_file_response(
            confirmation.proof,
            filename=confirmation.download_name,
            content_type=confirmation.proof_content_type,
        )


class ReceiptPdfView(BillingMixin, View):
    """H3: the receipt of an approved payment, as a PDF."""

    def get(self, request, pk):
        receipt = selectors.receipt_of(customer=self.customer, pk=pk)
        return pdf_response(
            receipt_pdf(receipt, language=request.LANGUAGE_CODE), receipt_filename(receipt)
        )
