"""The customer's ticket pages: K6 the form with the support status before typing,
K10 errors beside the field with nothing lost, H7 the outside-warranty mark, the
404 matrix, escaping, internal-note secrecy and the query counts."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from customers.models import Role
from tests.factories import (
    ContactFactory,
    MessageFactory,
    ServiceFactory,
    TicketFactory,
    png_bytes,
    upload,
)
from tickets import services
from tickets.models import Attachment, Ticket


def _post(client, category, **fields):
    data = {
        "subject": "Website shows error 500 since this morning",
        "description": "Every page of tokosaya.co.id shows error 500 since eight this morning.",
        "error_message": "500 Internal Server Error",
        "steps_taken": "Cleared the browser cache and tried another network.",
        "started_on": timezone.localdate().isoformat(),
        **fields,
    }
    return client.post(reverse("tickets:create", args=[category]), data)


def _client_for(contact):
    client = Client()
    client.force_login(contact.user)
    return client


# --- K6, H2, H7: the form before anything is typed -----------------------------------


def test_h2_the_category_page_offers_only_what_active_services_entitle(
    customer_client, domain_service
):
    page = customer_client.get(reverse("tickets:new")).content.decode()
    assert 'data-testid="category-domain"' in page
    assert 'data-testid="category-billing"' in page
    assert 'data-testid="category-technical-unavailable"' in page
    assert 'data-testid="category-technical"' not in page
    response = customer_client.get(reverse("tickets:create", args=["technical"]))
    assert response.status_code == 302


def test_k6_the_form_shows_the_warranty_and_reply_target_before_typing(customer_client, hosting):
    response = customer_client.get(
        reverse("tickets:create", args=["technical"]) + f"?service={hosting.pk}"
    )
    page = response.content.decode()
    assert 'data-testid="inside-warranty"' in page
    assert hosting.warranty_end.strftime("%Y") in page
    assert 'data-testid="response-target"' in page
    assert "24" in page  # normal priority: 24 hours
    assert response.context["form"].initial == {"service": hosting.pk}


def test_the_service_parameter_preselects_only_one_of_the_customers_services(
    customer_client, hosting, expired_hosting
):
    """K6: ``?service=<pk>`` (the "open a ticket about this service" link) carries the
    service from the category page to the form and preselects it there; another
    customer's service is ignored, never named or linked."""
    stranger = ServiceFactory(customer=ContactFactory().customer, product__name_en="Stranger")
    create = reverse("tickets:create", args=["technical"])
    new = customer_client.get(reverse("tickets:new") + f"?service={expired_hosting.pk}")
    assert f'href="{create}?service={expired_hosting.pk}"' in new.content.decode()
    response = customer_client.get(f"{create}?service={expired_hosting.pk}")
    assert response.context["form"].initial == {"service": expired_hosting.pk}
    assert response.context["selected"].service == expired_hosting

    new = customer_client.get(reverse("tickets:new") + f"?service={stranger.pk}")
    assert f"{create}?service={stranger.pk}" not in new.content.decode()
    response = customer_client.get(f"{create}?service={stranger.pk}")
    assert response.status_code == 200
    assert response.context["form"].initial == {}  # two hosting services: the customer picks
    assert response.context["selected"] is None
    assert "Stranger" not in response.content.decode()


def test_h2_the_form_names_the_plans_priority(customer_client, contact):
    """H2: the reply target shown before typing is the plan's, not the product's."""
    from orders.models import Priority
    from tests.factories import PlanFactory

    plan = PlanFactory(
        product__support_department="hosting",
        product__support_priority=Priority.LOW,
        support_priority=Priority.URGENT,
    )
    service = ServiceFactory(customer=contact.customer, product=plan.product, plan=plan)
    customer_client.cookies["django_language"] = "en"
    page = customer_client.get(
        reverse("tickets:create", args=["technical"]) + f"?service={service.pk}"
    ).content.decode()
    assert "Priority Urgent: we reply within 4 hours." in page
    assert "Priority Low" not in page


def test_h7_the_form_warns_before_typing_when_the_service_is_outside_warranty(
    customer_client, expired_hosting
):
    page = customer_client.get(reverse("tickets:create", args=["technical"])).content.decode()
    # The only hosting service is chosen for the customer, and its status shown.
    assert 'data-testid="outside-warranty"' in page
    assert 'data-testid="warranty-warning"' in page
    assert "outside warranty" in page.lower() or "di luar masa garansi" in page.lower()


def test_h7_the_customer_sees_the_mark_on_the_ticket(customer_client, expired_hosting):
    response = _post(customer_client, "technical", service=expired_hosting.pk)
    ticket = Ticket.objects.get()
    assert response.url == reverse("tickets:detail", args=[ticket.number])
    assert ticket.outside_warranty
    detail = customer_client.get(response.url).content.decode()
    assert 'data-testid="warranty-warning"' in detail
    listing = customer_client.get(reverse("tickets:list")).content.decode()
    assert 'data-testid="outside-warranty-badge"' in listing


# --- K10: errors beside the field, nothing typed lost --------------------------------


def test_k10_a_missing_detail_is_named_beside_its_field_and_nothing_is_lost(
    customer_client, hosting
):
    response = _post(
        customer_client,
        "technical",
        service=hosting.pk,
        error_message="",
        description="Every page shows error 500 <b>since</b> eight this morning, on all devices.",
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["error_message"]
    html = response.content.decode()
    assert 'id="error_1_id_error_message"' in html  # crispy puts it beside the field
    assert "Cleared the browser cache and tried another network." in html
    assert "eight this morning, on all devices." in html
    assert "&lt;b&gt;since&lt;/b&gt;" in html
    assert not Ticket.objects.exists()
    fixed = _post(customer_client, "technical", service=hosting.pk)
    assert fixed.status_code == 302
    assert Ticket.objects.count() == 1


def test_k10_a_vague_ticket_gets_every_error_at_once(customer_client, hosting):
    response = _post(
        customer_client,
        "technical",
        service=hosting.pk,
        subject="Help",
        description="help",
        steps_taken="",
        started_on="",
    )
    assert set(response.context["form"].errors) == {
        "subject",
        "description",
        "steps_taken",
        "started_on",
    }


def test_k10_a_domain_ticket_asks_for_the_domain(customer_client, domain_service):
    form = customer_client.get(reverse("tickets:create", args=["domain"])).context["form"]
    assert form.fields["domain_name"].required
    response = _post(customer_client, "domain", service=domain_service.pk, domain_name="")
    assert "domain_name" in response.context["form"].errors


def test_k6_a_billing_question_needs_no_service(customer_client):
    response = _post(customer_client, "billing", service="")
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.service is None and ticket.department == "billing"


def test_an_unknown_category_is_a_404(customer_client):
    assert customer_client.get(reverse("tickets:create", args=["hacking"])).status_code == 404


@pytest.mark.parametrize("role", [Role.TECHNICAL, Role.BILLING])
def test_k6_every_contact_of_the_account_can_open_and_see_tickets(contact, hosting, role):
    other = ContactFactory(customer=contact.customer, role=role, accepted_terms=None)
    from customers.models import TermsAcceptance, TermsVersion

    TermsAcceptance.objects.create(user=other.user, terms=TermsVersion.objects.get())
    client = _client_for(other)
    assert _post(client, "technical", service=hosting.pk).status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.opened_by == other.user
    assert _client_for(contact).get(reverse("tickets:list")).context["tickets"][0] == ticket


# --- The thread: reply, escaping, internal notes -------------------------------------


def test_html_typed_in_a_message_is_shown_as_text(customer_client, hosting, open_ticket):
    ticket = open_ticket(
        hosting,
        description="<script>alert('xss')</script> every page shows error 500 since today.",
        subject="<img src=x onerror=alert(1)> error 500 on shop",
    )
    page = customer_client.get(reverse("tickets:detail", args=[ticket.number])).content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#x27;xss&#x27;)&lt;/script&gt;" in page
    assert "<img src=x" not in page


def test_internal_notes_never_reach_the_customers_page(
    customer_client, hosting, open_ticket, staff_user
):
    ticket = open_ticket(hosting)
    services.ticket_staff_reply(
        ticket=ticket,
        staff=staff_user,
        body="INTERNAL: customer's plugin is outdated, bill an hour.",
        internal=True,
        attachments=[(upload("secret.png", png_bytes()), _png_kind())],
    )
    services.ticket_staff_reply(ticket=ticket, staff=staff_user, body="We restarted PHP-FPM.")
    response = customer_client.get(reverse("tickets:detail", args=[ticket.number]))
    page = response.content.decode()
    assert "We restarted PHP-FPM." in page
    assert "INTERNAL" not in page and "secret.png" not in page
    assert len(response.context["thread"]) == 2
    note_file = Attachment.objects.get(original_name="secret.png")
    assert (
        customer_client.get(reverse("tickets:attachment", args=[note_file.pk])).status_code == 404
    )


def _png_kind():
    from core.validators import UploadKind

    return UploadKind("image/png", ".png")


def test_the_customer_replies_and_the_ticket_waits_for_staff(
    customer_client, hosting, open_ticket, staff_user
):
    ticket = open_ticket(hosting)
    services.ticket_staff_reply(ticket=ticket, staff=staff_user, body="Which page exactly?")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.AWAITING_CUSTOMER and ticket.response_due_at is None
    response = customer_client.post(
        reverse("tickets:detail", args=[ticket.number]),
        {"body": "The checkout page.", "attachments": [upload("layar.png", png_bytes())]},
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.AWAITING_STAFF
    assert ticket.response_due_at is not None
    assert ticket.messages.last().attachments.count() == 1


def test_an_empty_reply_is_refused_beside_the_field(customer_client, hosting, open_ticket):
    ticket = open_ticket(hosting)
    response = customer_client.post(
        reverse("tickets:detail", args=[ticket.number]), {"body": "   "}
    )
    assert response.status_code == 200
    assert "body" in response.context["form"].errors


# --- The 404 matrix -------------------------------------------------------------------


def test_another_customers_ticket_and_attachment_are_404(customer_client, contact):
    stranger = ContactFactory()
    service = ServiceFactory(customer=stranger.customer)
    ticket = services.ticket_open(
        customer=stranger.customer,
        opened_by=stranger.user,
        category="technical",
        service=service,
        subject="Website shows error 500 since this morning",
        description="Every page of tokosaya.co.id shows error 500 since eight this morning.",
        error_message="500",
        steps_taken="Cleared the cache and tried again.",
        started_on=timezone.localdate(),
        attachments=[(upload("layar.png", png_bytes()), _png_kind())],
    )
    attachment = Attachment.objects.get()
    for name in ("detail", "close", "reopen", "rate"):
        url = reverse(f"tickets:{name}", args=[ticket.number])
        response = customer_client.post(url, {"body": "x", "rating": 5})
        assert response.status_code == 404, name
    assert customer_client.get(reverse("tickets:detail", args=[ticket.number])).status_code == 404
    assert (
        customer_client.get(reverse("tickets:attachment", args=[attachment.pk])).status_code == 404
    )
    ticket.refresh_from_db()
    assert ticket.messages.count() == 1 and ticket.status == Ticket.Status.OPEN


def test_anonymous_visitors_are_sent_to_log_in(hosting, open_ticket):
    ticket = open_ticket(hosting)
    response = Client().get(reverse("tickets:detail", args=[ticket.number]))
    assert response.status_code == 302 and "login" in response.url


# --- Query counts -----------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 50])
def test_the_ticket_list_costs_a_fixed_number_of_queries(
    customer_client, customer, hosting, rows, django_assert_max_num_queries
):
    TicketFactory.create_batch(rows, customer=customer, service=hosting)
    with django_assert_max_num_queries(10):
        response = customer_client.get(reverse("tickets:list"))
    assert response.status_code == 200
    assert len(response.context["tickets"]) == min(rows, 20)


@pytest.mark.parametrize("messages", [1, 50])
def test_a_thread_costs_a_fixed_number_of_queries(
    customer_client, contact, hosting, messages, staff_user, django_assert_max_num_queries
):
    ticket = TicketFactory(customer=contact.customer, service=hosting, opened_by=contact.user)
    for n in range(messages):
        message = MessageFactory(
            ticket=ticket,
            author=staff_user if n % 2 else contact.user,
            from_staff=bool(n % 2),
            internal=n % 4 == 3,
        )
        Attachment.objects.create(
            message=message,
            file=upload(f"f{n}.png", png_bytes()),
            original_name=f"f{n}.png",
            content_type="image/png",
            extension=".png",
            size=10,
        )
    with django_assert_max_num_queries(11):
        response = customer_client.get(reverse("tickets:detail", args=[ticket.number]))
    shown = len(response.context["thread"])
    assert shown == messages - sum(1 for n in range(messages) if n % 4 == 3)
