"""K1: a customer who has not accepted the current terms cannot use the client area.
And a logged-in user's chosen language applies when the browser has not chosen one."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from customers.selectors import current_terms

CLIENT_AREA_NAMESPACES = {"customers", "orders", "invoices", "tickets", "policy", "projects"}
SESSION_KEY = "accepted_terms_id"


class TermsAcceptanceMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
            and user.language != translation.get_language()
        ):
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        """K1: redirect to the acceptance page while the newest version is not accepted.

        The current version is cached (``selectors.current_terms``) and the accepted
        one's id kept in the session, so a request usually costs no query for this.
        ``request.terms_accepted`` tells the view it need not ask again.
        """
        match = request.resolver_match
        if match is None or match.namespace not in CLIENT_AREA_NAMESPACES:
            return None
        # A view class with ``terms_exempt = True`` is reachable before accepting.
        if getattr(getattr(view_func, "view_class", view_func), "terms_exempt", False):
            return None
        user = request.user
        if not user.is_authenticated or user.is_staff:
            return None
        terms = current_terms()
        if terms is None or request.session.get(SESSION_KEY) == terms.pk:
            request.terms_accepted = True
            return None
        if terms.acceptances.filter(user=user).exists():
            request.session[SESSION_KEY] = terms.pk
            request.terms_accepted = True
            return None
        url = reverse("customers:terms-accept")
        return redirect(f"{url}?{urlencode({'next': request.get_full_path()})}")


class StaffMFAMiddleware:
    """Staff reach /admin/ only with two-factor authentication (README, "Security").

    A staff member without TOTP is sent to set it up; one with TOTP who has not used it
    in this session (no "mfa" record from allauth's login or reauthentication) is asked
    for a code. ``STAFF_MFA_REQUIRED`` turns this off for the test suite only.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is None or match.app_name != "admin" or not settings.STAFF_MFA_REQUIRED:
            return None
        user = request.user
        if not (user.is_authenticated and user.is_staff):
            return None
        from allauth.account.authentication import get_authentication_records
        from allauth.mfa.models import Authenticator
        from allauth.mfa.utils import is_mfa_enabled

        next_query = urlencode({"next": request.get_full_path()})
        if not is_mfa_enabled(user, types=[Authenticator.Type.TOTP]):
            messages.warning(
                request,
                _("Staff need two-factor authentication. Set up an authenticator app first."),
            )
            return redirect(f"{reverse('mfa_activate_totp')}?{next_query}")
        records = get_authentication_records(request, user)
        if not any(record.get("method") == "mfa" for record in records):
            return redirect(f"{reverse('mfa_reauthenticate')}?{next_query}")
        return None
