"""The ticket list's rows and a ticket's badges (tickets.templatetags.ticket_tags): its
status, and H7 outside warranty, on the list and the ticket's page."""

from datetime import UTC, datetime

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from tests.factories import ProductFactory, ServiceFactory, TicketFactory
from tickets.models import Ticket

BADGES = Template("{% load ticket_tags %}{% ticket_badges ticket %}")
OUTSIDE = '<span class="badge text-bg-danger" data-testid="outside-warranty-badge">{}</span>'


def badges(**fields) -> str:
    return BADGES.render(Context({"ticket": Ticket(**fields)}))


def span(css: str, label: str) -> str:
    return f'<span class="badge {css}" data-testid="ticket-status">{label}</span>'


@pytest.mark.parametrize(
    ("status", "css", "label"),
    [
        ("open", "text-bg-primary", "Open"),
        ("awaiting_staff", "text-bg-primary", "Awaiting staff reply"),
        ("awaiting_customer", "text-bg-warning", "Awaiting customer reply"),
        ("on_hold", "text-bg-light border", "On hold"),
        ("closed", "text-bg-secondary", "Closed"),
    ],
)
def test_each_status_has_its_colour(status, css, label):
    with translation.override("en"):
        assert badges(status=status) == span(css, label)


def test_h7_outside_warranty_is_marked_beside_the_status():
    with translation.override("en"):
        shown = badges(status="open", outside_warranty=True)
    assert shown == span("text-bg-primary", "Open") + "\n" + OUTSIDE.format("Outside warranty")


def test_the_badges_are_in_indonesian():
    with translation.override("id"):
        shown = badges(status="closed", outside_warranty=True)
    assert shown == span("text-bg-secondary", "Ditutup") + "\n" + OUTSIDE.format(
        "Di luar masa garansi"
    )


def test_k6_a_row_shows_the_service_or_the_account_and_escapes_what_was_typed(
    customer_client, customer
):
    hosting = ServiceFactory(
        customer=customer, product=ProductFactory(name_id="Hosting <Pro>", name_en="Hosting")
    )
    project = ServiceFactory(customer=customer, domain_name="", label="Toko & Co")
    moment = datetime(2026, 3, 5, 17, 30, tzinfo=UTC)  # 00:30 WIB, 6 March
    about_hosting = TicketFactory(
        customer=customer, service=hosting, subject="<b>500</b> error", last_message_at=moment
    )
    TicketFactory(customer=customer, service=project, last_message_at=moment)
    TicketFactory(customer=customer, service=None, last_message_at=moment)
    page = customer_client.get(reverse("tickets:list")).content.decode()  # in Indonesian
    assert f'<a href="/tickets/{about_hosting.number}/">{about_hosting.number}</a>' in page
    assert "<td>&lt;b&gt;500&lt;/b&gt; error</td>" in page
    assert 'Hosting &lt;Pro&gt; <div class="small">tokosaya.co.id</div>' in page
    assert f'{project.product.name_id} <div class="small">Toko &amp; Co</div>' in page
    assert '<span class="text-secondary">Akun atau penagihan</span>' in page
    assert page.count("<td>6 Mar 2026 00:30</td>") == 3
