"""The staff side in Django admin (K6, H2, H7): triage list (filters, search, badges, bulk
actions) and the reply screen (thread with internal notes, canned replies, services)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    CannedReplyFactory,
    ContactFactory,
    MessageFactory,
    TicketFactory,
    png_bytes,
    upload,
)
from tickets.models import Message, Ticket

CHANGELIST = reverse("admin:tickets_ticket_changelist")


def _change_url(ticket):
    return reverse("admin:tickets_ticket_change", args=[ticket.pk])


def _shown(response):
    return [ticket.number for ticket in response.context["cl"].result_list]


@pytest.mark.parametrize(
    "query",
    [
        "status__exact=open",
        "department__exact=hosting",
        "priority__exact=3",
        "assignee=me",
        "assignee=none",
        "outside_warranty__exact=1",
        "age=day",
        "age=older",
        "reply=overdue",
        "reply=soon",
        "o=1",
        "o=7",
        "o=-10",
    ],
)
def test_every_filter_and_sort_works(staff_client, hosting, open_ticket, query):
    open_ticket(hosting)
    response = staff_client.get(f"{CHANGELIST}?{query}")
    assert response.status_code == 200


def test_sorting_by_reply_due_puts_the_most_urgent_first(staff_client, contact):
    now = timezone.now()
    later = TicketFactory(customer=contact.customer, response_due_at=now + timedelta(hours=5))
    sooner = TicketFactory(customer=contact.customer, response_due_at=now - timedelta(hours=1))
    assert _shown(staff_client.get(f"{CHANGELIST}?o=7"))[:2] == [sooner.number, later.number]


def test_filters_select_the_right_tickets(staff_client, staff_user, contact):
    now = timezone.now()
    overdue = TicketFactory(
        customer=contact.customer,
        response_due_at=now - timedelta(hours=1),
        priority=4,
        created_at=now - timedelta(days=40),
    )
    mine = TicketFactory(customer=contact.customer, assignee=staff_user, status="on_hold")
    warranty = TicketFactory(customer=contact.customer, outside_warranty=True)
    assert _shown(staff_client.get(f"{CHANGELIST}?reply=overdue")) == [overdue.number]
    assert _shown(staff_client.get(f"{CHANGELIST}?assignee=me")) == [mine.number]
    assert _shown(staff_client.get(f"{CHANGELIST}?outside_warranty__exact=1")) == [warranty.number]
    assert _shown(staff_client.get(f"{CHANGELIST}?age=older")) == [overdue.number]
    assert _shown(staff_client.get(f"{CHANGELIST}?priority__exact=4")) == [overdue.number]
    page = staff_client.get(CHANGELIST).content.decode()
    assert "overdue" in page or "terlambat" in page


def test_the_assignee_filter_lists_staff_only(staff_client, contact):
    response = staff_client.get(CHANGELIST)
    specs = response.context["cl"].filter_specs
    spec = next(f for f in specs if getattr(f, "parameter_name", "") == "assignee")
    emails = [label for _value, label in spec.lookup_choices]
    assert contact.user.email not in emails


def test_search_by_ticket_number_subject_and_customer(staff_client, contact):
    first = TicketFactory(number="TKT-2026-000123", customer=contact.customer, subject="Email down")
    TicketFactory(number="TKT-2026-001230", customer=contact.customer, subject="DNS question")
    other = TicketFactory(customer=ContactFactory(customer__name="PT Sinar Jaya").customer)
    assert _shown(staff_client.get(f"{CHANGELIST}?q=TKT-2026-000123")) == [first.number]
    assert _shown(staff_client.get(f"{CHANGELIST}?q=tkt-2026-123")) == [first.number]
    assert _shown(staff_client.get(f"{CHANGELIST}?q=123")) == [first.number]
    assert _shown(staff_client.get(f"{CHANGELIST}?q=email")) == [first.number]
    assert _shown(staff_client.get(f"{CHANGELIST}?q=sinar")) == [other.number]


@pytest.mark.parametrize("rows", [1, 50])
def test_the_changelist_costs_a_fixed_number_of_queries(
    staff_client, contact, staff_user, rows, django_assert_max_num_queries
):
    TicketFactory.create_batch(rows, customer=contact.customer, assignee=staff_user)
    with django_assert_max_num_queries(12):
        response = staff_client.get(CHANGELIST)
    assert len(response.context["cl"].result_list) == rows


def test_bulk_assign_and_change_status_are_audited(staff_client, staff_user, contact):
    tickets = TicketFactory.create_batch(2, customer=contact.customer)
    ids = [str(t.pk) for t in tickets]
    staff_client.post(CHANGELIST, {"action": "assign_to_me", "_selected_action": ids})
    assert set(Ticket.objects.values_list("assignee", flat=True)) == {staff_user.pk}
    asked = staff_client.post(CHANGELIST, {"action": "change_status", "_selected_action": ids})
    assert asked.status_code == 200 and "status" in asked.context["form"].fields
    staff_client.post(
        CHANGELIST,
        {
            "action": "change_status",
            "_selected_action": ids,
            "apply": "1",
            "status": "on_hold",
            "reason": "waiting for the registry",
        },
    )
    for ticket in Ticket.objects.all():
        assert ticket.status == "on_hold"
        record = ticket.history.latest()
        assert record.history_user == staff_user
        assert "waiting for the registry" in record.history_change_reason


def test_bulk_assign_to_another_staff_member(
    staff_client, contact, django_user_model, django_capture_on_commit_callbacks
):
    colleague = django_user_model.objects.create_user("rina@masternet.test", "x", is_staff=True)
    ticket = TicketFactory(customer=contact.customer)
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            CHANGELIST,
            {
                "action": "assign_to",
                "_selected_action": [ticket.pk],
                "apply": "1",
                "assignee": colleague.pk,
            },
        )
    ticket.refresh_from_db()
    assert ticket.assignee == colleague
    assert [m.to for m in mail.outbox] == [[colleague.email]]


def test_the_reply_screen_shows_thread_notes_and_services(
    staff_client, staff_user, expired_hosting, hosting, open_ticket
):
    ticket = open_ticket(expired_hosting)
    MessageFactory(
        ticket=ticket, author=staff_user, from_staff=True, internal=True, body="Check CPU abuse"
    )
    response = staff_client.get(_change_url(ticket))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="admin-thread"' in page and "Check CPU abuse" in page
    assert 'data-testid="admin-services"' in page
    assert str(hosting) in page and str(expired_hosting) in page
    assert "support-limited" in page and "support-ok" in page
    assert "outside warranty" in page.lower() or "di luar masa garansi" in page.lower()


def _reply_data(ticket, **fields):
    return {
        "status": ticket.status,
        "assignee": "",
        "department": ticket.department,
        "priority": ticket.priority,
        "canned_reply": "",
        "reply": "",
        "_continue": "1",
        **fields,
    }


def test_a_canned_reply_is_sent_in_the_customers_language_after_commit(
    staff_client, contact, hosting, open_ticket, django_capture_on_commit_callbacks
):
    ticket = open_ticket(hosting)
    canned = CannedReplyFactory()
    contact.user.language = "en"
    contact.user.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            _change_url(ticket), _reply_data(ticket, canned_reply=canned.pk)
        )
    assert response.status_code == 302
    message = Message.objects.filter(from_staff=True).get()
    assert message.body == canned.body_en and not message.internal
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.AWAITING_CUSTOMER
    assert [m.to for m in mail.outbox] == [[contact.user.email]]
    assert canned.body_en in mail.outbox[0].body


def test_an_internal_note_with_a_status_change_sends_nothing_to_the_customer(
    staff_client, staff_user, contact, hosting, open_ticket, django_capture_on_commit_callbacks
):
    ticket = open_ticket(hosting)
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            _change_url(ticket),
            _reply_data(
                ticket,
                reply="Escalated to the server team.",
                internal="on",
                status="on_hold",
                assignee=staff_user.pk,
                attachments=[upload("graph.png", png_bytes())],
            ),
        )
    note = Message.objects.get(internal=True)
    assert note.body == "Escalated to the server team."
    assert note.attachments.count() == 1
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == ("on_hold", staff_user)
    assert all(contact.user.email not in m.to for m in mail.outbox)
    page = staff_client.get(_change_url(ticket)).content.decode()
    attachment_url = reverse("admin:tickets_ticket_attachment", args=[note.attachments.get().pk])
    assert attachment_url in page
    assert staff_client.get(attachment_url).status_code == 200


def test_a_staff_attachment_of_the_wrong_type_is_refused(staff_client, hosting, open_ticket):
    ticket = open_ticket(hosting)
    response = staff_client.post(
        _change_url(ticket),
        _reply_data(ticket, reply="See file", attachments=[upload("x.png", b"MZ" + b"\0" * 99)]),
    )
    assert response.status_code == 200
    assert "attachments" in response.context["adminform"].form.errors
    assert not Message.objects.filter(from_staff=True).exists()


def test_customers_cannot_reach_the_admin_or_its_files(customer_client, hosting, open_ticket):
    ticket = open_ticket(hosting)
    assert customer_client.get(_change_url(ticket)).status_code == 302
    assert customer_client.get(CHANGELIST).status_code == 302


# --- A change the services refuse -------------------------------------------------------


def test_a_reply_the_service_refuses_is_shown_beside_the_field_not_a_500(
    staff_client, hosting, open_ticket
):
    """A canned reply longer than a message may be: the service refuses it, and the
    reply screen comes back with the reason beside the reply; nothing is saved."""
    from tickets.services import MAX_BODY_CHARS

    ticket = open_ticket(hosting)
    canned = CannedReplyFactory(body_id="x " * MAX_BODY_CHARS, body_en="x " * MAX_BODY_CHARS)
    response = staff_client.post(
        _change_url(ticket),
        _reply_data(ticket, canned_reply=canned.pk, status="on_hold", assignee=""),
    )
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "reply" in form.errors
    assert str(MAX_BODY_CHARS) in " ".join(form.errors["reply"])
    assert form["status"].value() == "on_hold"  # what the staff member chose is kept
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert not Message.objects.filter(from_staff=True).exists()


def test_a_refused_triage_change_rolls_back_the_reply_and_says_why(
    staff_client, hosting, open_ticket, monkeypatch
):
    """The triage change goes first; when it is refused, the reply is not written
    either, and the form says why, with the reply text still in it."""
    from django.core.exceptions import ValidationError

    from tickets import services

    def refuse(**kwargs):
        raise ValidationError({"assignee": "Tickets are assigned to active staff only."})

    monkeypatch.setattr(services, "ticket_update", refuse)
    ticket = open_ticket(hosting)
    response = staff_client.post(
        _change_url(ticket), _reply_data(ticket, reply="We restarted PHP.", priority=4)
    )
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["assignee"] == ["Tickets are assigned to active staff only."]
    assert "We restarted PHP." in response.content.decode()
    assert not Message.objects.filter(from_staff=True).exists()
    ticket.refresh_from_db()
    assert ticket.priority == 2


def test_h2_staff_set_a_plans_support_priority_in_the_product_admin(staff_client):
    """H2: a plan's own support priority, beside its price."""
    from tests.factories import PlanFactory

    plan = PlanFactory()
    page = staff_client.get(
        reverse("admin:orders_product_change", args=[plan.product_id])
    ).content.decode()
    assert 'name="plans-0-support_priority"' in page
