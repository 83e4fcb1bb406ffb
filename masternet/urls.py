from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import include, path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from core.health import HealthView
from core.views import HomeView, switch_language

admin.site.site_header = _("Masternet Indonesia — staff")
admin.site.site_title = _("Masternet staff")
admin.site.index_title = _("Customer portal administration")


def admin_login(request, extra_context=None):
    """Staff log in through allauth's login, so its lockout and two-factor step apply.

    Django's own admin login form would check the password alone.
    """
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = ""
    target = target or reverse("admin:index")
    if request.user.is_authenticated:
        if not request.user.is_staff:
            raise PermissionDenied
        return redirect(target)
    return redirect(f"{reverse('account_login')}?{urlencode({'next': target})}")


admin.site.login = admin_login

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("health/", HealthView.as_view(), name="health"),
    path("i18n/setlang/", switch_language, name="set_language"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("", include("customers.urls")),
    path("", include("orders.urls")),
    path("", include("invoices.urls")),
    path("", include("projects.urls")),
    path("", include("policy.urls")),
    path("", include("tickets.urls")),
    path("", include("help.urls")),
]
