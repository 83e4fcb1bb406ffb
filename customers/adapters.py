"""allauth hooks: K1 terms acceptance and the user's language at sign-up, and the
client's address (``core.client_ip``) for allauth's rate limits and records."""

from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import PermissionDenied

from core.client_ip import client_ip
from customers.services import terms_accept


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request) -> str:
        """The client behind ``TRUSTED_PROXY_COUNT`` proxies, as axes and the portal
        see it (allauth's rate limits count per IP with this)."""
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")
        return ip

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        user.language = form.cleaned_data.get("language") or user.language
        if not commit:
            return user
        user.save()
        # K1: the version the sign-up form showed, validated there as still current.
        terms = getattr(form, "accepted_terms", None)
        if terms is not None:
            terms_accept(
                user=user,
                terms=terms,
                ip_address=client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
            )
        return user
