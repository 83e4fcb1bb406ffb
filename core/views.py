"""Pages that belong to no single part of the policy."""

from django.shortcuts import redirect
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView
from django.views.i18n import set_language

from customers.models import Language


class HomeView(TemplateView):
    template_name = "core/home.html"

    def get(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.is_staff:
            return redirect("customers:dashboard")
        return super().get(request, *args, **kwargs)


@require_POST
def switch_language(request):
    """Django's set_language, remembering the choice on the user for their e-mail."""
    response = set_language(request)
    language = request.POST.get("language")
    if request.user.is_authenticated and language in Language.values:
        request.user.language = language
        request.user.save(update_fields=["language"])
    return response
