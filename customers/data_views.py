"""UU PDP 27/2022: a person sees and downloads their personal data and asks for its
deletion. Reachable before accepting new terms: these rights do not depend on them."""

import json

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from customers import personal_data
from customers.forms import DataDeletionRequestForm
from customers.models import DataDeletionRequest


def _private(response):
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class PersonalDataView(LoginRequiredMixin, TemplateView):
    """The readable copy of the data (print or save the page), and the two actions."""

    template_name = "customers/personal_data.html"
    terms_exempt = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["data"] = personal_data.personal_data_export(user=self.request.user)
        context["open_request"] = DataDeletionRequest.objects.filter(
            requested_by=self.request.user, status=DataDeletionRequest.Status.PENDING
        ).first()
        return context

    def render_to_response(self, context, **kwargs):
        return _private(super().render_to_response(context, **kwargs))


class PersonalDataExportView(LoginRequiredMixin, View):
    """The same data as a JSON file: always an attachment, never sniffed or cached."""

    terms_exempt = True

    def get(self, request):
        data = personal_data.personal_data_export(user=request.user)
        body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        filename = f"masternet-personal-data-{timezone.localdate().isoformat()}.json"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return _private(response)


class DataDeletionRequestView(LoginRequiredMixin, FormView):
    template_name = "customers/personal_data_delete.html"
    form_class = DataDeletionRequestForm
    terms_exempt = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        contact = getattr(self.request.user, "contact", None)
        context["whole_account"] = contact is not None and contact.is_responsible
        return context

    def form_valid(self, form):
        try:
            personal_data.deletion_request_create(
                user=self.request.user, message=form.cleaned_data["message"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("We received your request. Our staff will process it and tell you by e-mail."),
        )
        return redirect("customers:personal-data")
