"""The navigation needs the user's role in its account; one query per page."""

from django.utils.functional import SimpleLazyObject

from customers.selectors import contact_for


def membership(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def load():
        # Client-area views already loaded it (CustomerRequiredMixin).
        if hasattr(request, "contact"):
            return request.contact
        return contact_for(user=user)

    return {"membership": SimpleLazyObject(load)}
