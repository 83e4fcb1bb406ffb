"""Catalogue → cart → checkout (K2, K9), and the customer's services (H1)."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, FormView, ListView, TemplateView

from core import clock
from core.client_ip import client_ip
from customers.mixins import CustomerRequiredMixin, ResponsibleRequiredMixin
from customers.views import add_form_errors
from invoices.services import compute_totals
from orders import selectors, services
from orders.cart import Cart, CartItem
from orders.forms import AddDomainForm, AddPlanForm, CheckoutForm
from orders.pricing import price_items
from policy import selectors as policy_selectors


class CatalogueView(TemplateView):
    """Public: what Masternet sells, with prices."""

    template_name = "orders/catalogue.html"
    terms_exempt = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["groups"] = selectors.catalogue()
        context["tlds"] = selectors.tld_prices()
        return context


class ProductView(FormView):
    """Public to read; adding to the cart needs a login (the form sends you there)."""

    template_name = "orders/product.html"
    terms_exempt = True

    def dispatch(self, request, *args, **kwargs):
        self.product = selectors.product_on_sale(slug=kwargs["slug"])
        self.tlds = {t.tld for t in selectors.tld_prices()}
        return super().dispatch(request, *args, **kwargs)

    def get_form_class(self):
        return AddDomainForm if self.product.is_domain else AddPlanForm

    def get_form_kwargs(self):
        kwargs = {**super().get_form_kwargs(), "tlds": self.tlds}
        if not self.product.is_domain:
            kwargs["product"] = self.product
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["product"] = self.product
        if self.product.is_domain:
            context["tld_prices"] = selectors.tld_prices()
        return context

    def post(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(f"{reverse('account_login')}?next={request.path}")
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        plan = data.get("plan")
        Cart(self.request.session).add(
            CartItem(
                product_id=self.product.pk,
                plan_id=plan.pk if plan else None,
                domain_name=data.get("domain_name", ""),
                domain_action=data.get("domain_action", ""),
            )
        )
        messages.success(self.request, _("Added to your cart."))
        return redirect("orders:cart")


class CartView(ResponsibleRequiredMixin, TemplateView):
    template_name = "orders/cart.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        items = price_items(Cart(self.request.session).items, start=clock.today())
        context["items"] = items
        context["first_payment"] = sum((item.first_payment for item in items), 0)
        return context


class CartRemoveView(ResponsibleRequiredMixin, View):
    def post(self, request, index):
        Cart(request.session).remove(index)
        return redirect("orders:cart")


class CheckoutView(ResponsibleRequiredMixin, FormView):
    """K2: shows the missing steps with links instead of the order button; K9: the
    acceptable-use acknowledgement is required."""

    template_name = "orders/checkout.html"
    form_class = CheckoutForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        items = price_items(Cart(self.request.session).items, start=clock.today())
        context["items"] = items
        context["steps"] = services.order_blockers(customer=self.customer, items=items)
        context["first_payment"] = sum((item.first_payment for item in items), 0)
        context["totals"] = compute_totals(
            [line for item in items for line in item.lines],
            ppn_rate=settings.PPN_RATE,
        )
        return context

    def form_valid(self, form):
        cart = Cart(self.request.session)
        try:
            order = services.order_place(
                customer=self.customer,
                placed_by=self.request.user,
                items=cart.items,
                aup_accepted=form.cleaned_data["accept_aup"],
                ip_address=client_ip(self.request),
            )
        except services.OrderBlocked:
            return self.form_invalid(form)  # the page lists the missing steps
        except ValidationError as exc:
            add_form_errors(form, exc)
            return self.form_invalid(form)
        cart.clear()
        invoice = order.invoices.get()
        messages.success(
            self.request,
            _("Thank you. Your order is placed; invoice %(number)s is waiting for payment.")
            % {"number": invoice.number},
        )
        return redirect("invoices:detail", pk=invoice.pk)


class ServiceListView(CustomerRequiredMixin, ListView):
    """H1: each service with status, period, next due date and warranty end."""

    template_name = "orders/service_list.html"
    context_object_name = "services"
    paginate_by = 20

    def get_queryset(self):
        return selectors.services_for(customer=self.customer)


class ServiceDetailView(CustomerRequiredMixin, DetailView):
    template_name = "orders/service_detail.html"
    context_object_name = "service"

    def get_object(self, queryset=None):
        return selectors.service_of(customer=self.customer, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["history"] = selectors.service_history(service=self.object)
        context["today"] = clock.today()
        context["deadlines"] = policy_selectors.deadlines_for(service=self.object)
        context["requests"] = policy_selectors.requests_for(service=self.object)
        return context
