"""Custom projects are supported like any service (K2, K6, H1, H2, H7).

Accepting the quote orders the project through ``orders.services`` (K2: the same code
as the checkout and staff orders): an Order, a pending Service of the custom-project
product (department "projects") and its invoice. Once the invoice is paid the service
is active, so the customer may open a "Custom project" ticket about it (K6, H2); its
warranty runs from the delivery (H7), and a technical ticket after it is marked.
"""

from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.urls import reverse

from core import clock
from core.validators import detect_scan_kind
from invoices.models import BankAccount
from invoices.services import payment_approve, payment_confirmation_submit
from orders import services as order_services
from orders.models import BillingCycle, Department, Priority, ProductGroup, Service
from projects import services
from projects.services import project_product
from tests.factories import png_bytes, upload
from tests.projects.conftest import client_for
from tickets.models import Category, Ticket
from tickets.services import ticket_open

DETAILS = {
    "subject": "The product filter shows no results",
    "description": (
        "On the catalogue page the colour filter shows no products at all, even for "
        "colours we have in stock."
    ),
    "steps_taken": "Tried the filter in two browsers and after clearing the cache.",
}


def _pay(project, *, user, staff):
    invoice = project.order.invoices.get()
    proof = upload("bukti.png", png_bytes())
    confirmation = payment_confirmation_submit(
        invoice=invoice,
        submitted_by=user,
        bank_name="BCA",
        sender_account_name="Budi",
        amount=invoice.amount_to_transfer,
        transfer_date=invoice.issue_date,
        to_account=BankAccount.objects.first(),
        proof=proof,
        proof_kind=detect_scan_kind(proof),
    )
    payment_approve(confirmation=confirmation, staff=staff)


@pytest.fixture
def paid(accepted, verified, staff_user):
    """The accepted project's invoice is paid: its service is active."""
    _pay(accepted, user=verified.user, staff=staff_user)
    accepted.refresh_from_db()
    return accepted


def _service(project) -> Service:
    return Service.objects.select_related("product__group").get(order=project.order)


def test_k2_accepting_the_quote_orders_through_the_order_service(quoted, verified, bank):
    """K2: the project's Order, Service and invoice come from ``orders.services``,
    the code the checkout and staff orders use."""
    with mock.patch.object(
        order_services, "order_place_quoted", wraps=order_services.order_place_quoted
    ) as placed:
        project = services.project_accept_quote(
            project=quoted,
            accepted_by=verified.user,
            revision=quoted.quote_revision,
            aup_accepted=True,
            ip_address="198.51.100.7",
        )
    placed.assert_called_once()
    service = _service(project)
    assert service.product == project_product()
    assert service.product.group.kind == ProductGroup.Kind.PROJECT
    assert service.product.support_department == Department.PROJECTS
    assert not service.product.is_active  # ordered by accepting a quote, not in the cart
    assert (service.customer, service.status, service.cycle) == (
        verified.customer,
        Service.Status.PENDING,
        BillingCycle.ONE_TIME,
    )
    assert service.label == "Toko Batik Sari" and "Toko Batik Sari" in str(service)
    invoice = project.order.invoices.get()
    assert invoice.lines.get().service == service
    assert invoice.subtotal == project.quoted_price
    record = service.history.get()
    assert (record.history_user, record.history_change_reason) == (
        verified.user,
        f"ordered in order {project.order.pk}",
    )
    # H7: until the delivery, the warranty is counted from the estimated delivery date.
    assert service.warranty_end == project.estimated_delivery_date + timedelta(
        days=service.product.warranty_days
    )


def test_h2_an_unpaid_project_opens_no_project_department(accepted, verified):
    page = client_for(verified).get(reverse("tickets:new")).content.decode()
    assert 'data-testid="category-project-unavailable"' in page


def test_k6_h2_the_customer_opens_a_custom_project_ticket_about_the_paid_project(paid, verified):
    service = _service(paid)
    assert service.status == Service.Status.ACTIVE
    assert service.warranty_end == paid.estimated_delivery_date + timedelta(
        days=service.product.warranty_days
    )  # payment does not restart the warranty
    client = client_for(verified)
    # H1: the project page shows the service's support and links the ticket form.
    project_page = client.get(reverse("projects:detail", args=[paid.pk])).content.decode()
    form_url = reverse("tickets:create", args=[Category.PROJECT]) + f"?service={service.pk}"
    assert 'data-testid="inside-warranty"' in project_page
    assert form_url in project_page
    # H1: the service pages name the project it is.
    for url in (reverse("orders:services"), reverse("orders:service", args=[service.pk])):
        assert "Toko Batik Sari" in client.get(url).content.decode()
    page = client.get(reverse("tickets:new")).content.decode()
    assert 'data-testid="category-project"' in page
    response = client.get(form_url)
    assert response.context["form"].initial == {"service": service.pk}
    assert "Toko Batik Sari" in response.content.decode()
    response = client.post(
        reverse("tickets:create", args=[Category.PROJECT]),
        {**DETAILS, "service": service.pk, "started_on": clock.today().isoformat()},
    )
    assert response.status_code == 302, response.context["form"].errors
    ticket = Ticket.objects.get()
    assert (ticket.service, ticket.category, ticket.department) == (
        service,
        Category.PROJECT,
        Department.PROJECTS,
    )
    assert ticket.priority == service.product.support_priority == Priority.HIGH
    assert ticket.outside_warranty is False
    assert ticket.warranty_end == service.warranty_end


def test_h7_the_warranty_runs_from_delivery_and_a_later_ticket_is_marked(
    paid, verified, staff_user, contact
):
    service = _service(paid)
    days = service.product.warranty_days
    services.project_start(project=paid, staff=staff_user)
    change = services.scope_change_record(
        project=paid,
        staff=staff_user,
        requested_by=verified.user,
        description="Add a blog section with categories.",
        extra_days=10,
    )
    service.refresh_from_db()
    assert service.warranty_end == change.new_date + timedelta(days=days)
    delivered_on = change.new_date + timedelta(days=5)  # delivered late
    with time_machine.travel(delivered_on, tick=False):
        services.project_deliver(project=paid, staff=staff_user)
    service.refresh_from_db()
    assert service.warranty_end == delivered_on + timedelta(days=days)
    record = service.history.first()
    assert record.history_user == staff_user and "delivered" in record.history_change_reason

    def open_on(day):
        with time_machine.travel(day, tick=False):
            return _open_project_ticket(service, by=contact.user)

    assert open_on(service.warranty_end).outside_warranty is False  # its last day
    late = open_on(service.warranty_end + timedelta(days=1))
    assert late.outside_warranty is True
    page = client_for(verified).get(reverse("tickets:detail", args=[late.number]))
    assert 'data-testid="outside-warranty-badge"' in page.content.decode()


def _open_project_ticket(service, *, by):
    return ticket_open(
        customer=service.customer,
        opened_by=by,
        category=Category.PROJECT,
        service=service,
        started_on=clock.today(),
        **DETAILS,
    )


def test_the_custom_project_product_is_created_once_and_staff_may_tune_it(db):
    product = project_product()
    product.warranty_days = 14
    product.save()
    assert project_product() == product
    assert project_product().warranty_days == 14
