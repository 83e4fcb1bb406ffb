"""Reads of custom projects, scoped to the customer that owns them."""

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from customers.models import Customer
from invoices.models import Invoice
from orders.models import Service
from projects.models import CustomProject, ScopeChange


def projects_for(*, customer: Customer) -> QuerySet[CustomProject]:
    """The customer's projects, newest first, in one query."""
    return CustomProject.objects.filter(customer=customer).order_by("-created_at", "-pk")


def project_of(*, customer: Customer, pk: int) -> CustomProject:
    """A project of this customer with its scope changes (and who asked for each), its
    invoice and its service (H1); another customer's project is a 404."""
    scope_changes = ScopeChange.objects.select_related("requested_by__contact").order_by(
        "recorded_at", "pk"
    )
    return get_object_or_404(
        projects_for(customer=customer)
        .select_related("order")
        .prefetch_related(
            Prefetch("scope_changes", queryset=scope_changes),
            Prefetch("order__invoices", queryset=Invoice.objects.order_by("pk")),
            Prefetch(
                "order__services",
                queryset=Service.objects.select_related("product", "plan").order_by("pk"),
            ),
        ),
        pk=pk,
    )


def project_file_of(*, customer: Customer, pk: int) -> CustomProject:
    """A project of this customer that has a design file; otherwise a 404."""
    return get_object_or_404(
        CustomProject.objects.exclude(design_reference_file=""), customer=customer, pk=pk
    )
