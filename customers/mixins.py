"""View mixins that scope every client-area page to the logged-in user's customer."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from customers.models import Role
from customers.selectors import contact_for


class CustomerRequiredMixin(LoginRequiredMixin):
    """Sets ``self.contact`` and ``self.customer``; a user without an account is sent
    to create one. ``allowed_roles`` limits the page to those roles (403 otherwise)."""

    allowed_roles: tuple[str, ...] = (Role.RESPONSIBLE, Role.BILLING, Role.TECHNICAL)

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.contact = request.contact = contact_for(user=request.user)
        if self.contact is None:
            messages.info(request, _("First create your customer account."))
            return redirect("customers:setup")
        self.customer = self.contact.customer
        if self.contact.role not in self.allowed_roles:
            raise PermissionDenied(_("Your role in this account does not allow this page."))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(contact=self.contact, customer=self.customer)
        return context


class ResponsibleRequiredMixin(CustomerRequiredMixin):
    """K7: only the responsible contact administers the account."""

    allowed_roles = (Role.RESPONSIBLE,)
