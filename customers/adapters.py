"""allauth hooks: K1 terms acceptance and the user's language at sign-up."""

from allauth.account.adapter import DefaultAccountAdapter

from customers.services import terms_accept


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        user.language = form.cleaned_data.get("language") or user.language
        if not commit:
            return user
        user.save()
        terms = getattr(form, "terms", None)
        if terms is not None and form.cleaned_data.get("accept_terms"):
            terms_accept(
                user=user,
                terms=terms,
                ip_address=self.get_client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
            )
        return user
