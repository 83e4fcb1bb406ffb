"""Reads for the catalogue and the customer's services, scoped to their owner."""

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from customers.models import Customer
from orders.models import Plan, Product, ProductGroup, Service, TldPrice


def catalogue() -> QuerySet[ProductGroup]:
    """Groups with their products on sale and those products' plans: three queries."""
    plans = Plan.objects.filter(is_active=True).order_by("price")
    products = (
        Product.objects.filter(is_active=True)
        .order_by("position", "pk")
        .prefetch_related(Prefetch("plans", queryset=plans))
    )
    return ProductGroup.objects.prefetch_related(Prefetch("products", queryset=products))


def product_on_sale(*, slug: str) -> Product:
    return get_object_or_404(
        Product.objects.select_related("group").prefetch_related(
            Prefetch("plans", queryset=Plan.objects.filter(is_active=True).order_by("price"))
        ),
        slug=slug,
        is_active=True,
    )


def tld_prices() -> QuerySet[TldPrice]:
    return TldPrice.objects.filter(is_active=True)


def services_for(*, customer: Customer) -> QuerySet[Service]:
    """H1: the customer's services with what the list shows, in one query."""
    return (
        Service.objects.filter(customer=customer)
        .select_related("product__group", "plan")
        .order_by("-created_at", "-pk")
    )


def service_of(*, customer: Customer, pk: int) -> Service:
    """A service of this customer; another customer's is a 404."""
    return get_object_or_404(services_for(customer=customer), pk=pk)


def service_history(*, service: Service):
    return service.history.select_related("history_user").order_by("-history_date")[:50]
