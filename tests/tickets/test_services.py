"""Ticket life cycle (K6, H2): notifications after commit in the recipient's language,
internal notes kept out of the customer's mail, close, the reopen window, rating, audit."""

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from customers.models import User
from tests.concurrency import at_once
from tests.factories import ContactFactory, ServiceFactory
from tickets import services
from tickets.models import DepartmentMember, Ticket

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def agent(db):
    """A staff member of the hosting department who reads e-mail in English."""
    user = User.objects.create_user("agent@masternet.test", "agent-pass-123", is_staff=True)
    user.language = "en"
    user.save()
    DepartmentMember.objects.create(user=user, department="hosting")
    return user


def test_k6_staff_of_the_department_hear_of_a_new_ticket_after_commit(
    hosting, open_ticket, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ticket = open_ticket(hosting)
    assert mail.outbox == []  # nothing before the transaction commits
    for callback in callbacks:
        callback()
    assert [message.to for message in mail.outbox] == [[agent.email]]
    sent = mail.outbox[0]
    assert ticket.number in sent.subject and "New ticket" in sent.subject  # English
    assert reverse("admin:tickets_ticket_change", args=[ticket.pk]) in sent.body


def test_k6_an_assigned_ticket_tells_only_its_assignee(
    hosting, open_ticket, agent, staff_user, django_capture_on_commit_callbacks
):
    ticket = open_ticket(hosting)
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_update(ticket=ticket, staff=agent, assignee=staff_user)
    assert [m.to for m in mail.outbox] == [[staff_user.email]]  # the assignment
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply(ticket=ticket, author=ticket.opened_by, body="Still broken.")
    assert [m.to for m in mail.outbox] == [[staff_user.email]]
    assert "Still broken." in mail.outbox[0].body


def test_each_recipient_gets_mail_in_their_own_language(
    contact, hosting, open_ticket, agent, monkeypatch, django_capture_on_commit_callbacks
):
    from core.mail import send_templated_mail
    from tickets import tasks

    sent = []

    def recording(**kwargs):
        sent.append((kwargs["to"], kwargs["language"]))
        send_templated_mail(**kwargs)

    monkeypatch.setattr(tasks, "send_templated_mail", recording)
    contact.user.language = "id"
    contact.user.save()
    with django_capture_on_commit_callbacks(execute=True):
        ticket = open_ticket(hosting)
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_staff_reply(ticket=ticket, staff=agent, body="Kami sudah restart server.")
    assert sent == [([agent.email], "en"), ([contact.user.email], "id")]
    customer_mail = mail.outbox[-1]
    assert "Kami sudah restart server." in customer_mail.body
    assert reverse("tickets:detail", args=[ticket.number]) in customer_mail.body


def test_internal_notes_never_reach_the_customers_mail(
    contact, hosting, open_ticket, agent, django_capture_on_commit_callbacks
):
    ticket = open_ticket(hosting)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.ticket_staff_reply(
            ticket=ticket, staff=agent, body="SECRET: customer abuses the CPU.", internal=True
        )
    assert callbacks == [] and mail.outbox == []
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN  # the customer sees no change
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_staff_reply(ticket=ticket, staff=agent, body="We are looking into it.")
    customer_mail = [m for m in mail.outbox if contact.user.email in m.to]
    assert len(customer_mail) == 1
    assert "SECRET" not in customer_mail[0].body and "SECRET" not in customer_mail[0].subject


def test_the_reply_task_refuses_an_internal_note(hosting, open_ticket, agent):
    from tickets.tasks import send_staff_reply

    ticket = open_ticket(hosting)
    note = services.ticket_staff_reply(ticket=ticket, staff=agent, body="Note.", internal=True)
    send_staff_reply(note.pk)
    assert mail.outbox == []


def test_a_customer_cannot_write_an_internal_note_or_act_on_another_account(
    contact, hosting, open_ticket
):
    ticket = open_ticket(hosting)
    with pytest.raises(PermissionDenied):
        services.ticket_staff_reply(ticket=ticket, staff=contact.user, body="x", internal=True)
    stranger = ContactFactory()
    with pytest.raises(PermissionDenied):
        services.ticket_reply(ticket=ticket, author=stranger.user, body="Hello")
    with pytest.raises(PermissionDenied):
        services.ticket_close(ticket=ticket, actor=stranger.user)


def test_staff_reply_sets_the_status_and_the_first_reply(hosting, open_ticket, agent):
    ticket = open_ticket(hosting)
    assert ticket.status == Ticket.Status.OPEN and ticket.response_due_at
    services.ticket_staff_reply(ticket=ticket, staff=agent, body="Please send the log.")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.AWAITING_CUSTOMER
    assert ticket.response_due_at is None and ticket.first_response_at
    services.ticket_staff_reply(
        ticket=ticket, staff=agent, body="Waiting for the datacentre.", status="on_hold"
    )
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.ON_HOLD


def test_every_change_is_audited_with_its_author(hosting, open_ticket, agent, staff_user):
    ticket = open_ticket(hosting)
    services.ticket_update(
        ticket=ticket,
        staff=agent,
        status="on_hold",
        assignee=staff_user,
        priority=3,
        reason="waiting for the registry",
    )
    record = ticket.history.latest()
    assert record.history_user == agent
    assert "status: open -> on_hold" in record.history_change_reason
    assert "priority: 2 -> 3" in record.history_change_reason
    assert "waiting for the registry" in record.history_change_reason
    first = ticket.history.earliest()
    assert first.history_user == ticket.opened_by and first.history_change_reason == "ticket opened"


def test_only_staff_can_be_assigned(hosting, open_ticket, agent, contact):
    ticket = open_ticket(hosting)
    with pytest.raises(ValidationError):
        services.ticket_update(ticket=ticket, staff=agent, assignee=contact.user)


def test_a_new_priority_moves_the_pending_reply_target(hosting, open_ticket, agent):
    ticket = open_ticket(hosting)
    services.ticket_update(ticket=ticket, staff=agent, priority=4)
    ticket.refresh_from_db()
    assert ticket.response_due_at == ticket.last_message_at + timedelta(hours=4)


# --- Close, reopen within the window, rate -------------------------------------------


def test_close_then_reopen_within_the_window(contact, hosting, open_ticket, settings):
    settings.TICKET_REOPEN_DAYS = 7
    ticket = open_ticket(hosting)
    services.ticket_close(ticket=ticket, actor=contact.user)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED and ticket.closed_at
    with pytest.raises(ValidationError):
        services.ticket_reply(ticket=ticket, author=contact.user, body="One more thing")
    with time_machine.travel(ticket.closed_at + timedelta(days=7) - timedelta(minutes=1)):
        services.ticket_reopen(ticket=ticket, actor=contact.user)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.AWAITING_STAFF and ticket.closed_at is None
    assert ticket.response_due_at is not None


def test_reopen_after_the_window_is_refused_with_the_way_forward(
    contact, hosting, open_ticket, settings
):
    settings.TICKET_REOPEN_DAYS = 7
    ticket = open_ticket(hosting)
    services.ticket_close(ticket=ticket, actor=contact.user)
    ticket.refresh_from_db()
    with (
        time_machine.travel(ticket.closed_at + timedelta(days=7, minutes=1)),
        pytest.raises(ValidationError) as refused,
    ):
        services.ticket_reopen(ticket=ticket, actor=contact.user)
    assert "7" in refused.value.messages[0] and ticket.number in refused.value.messages[0]
    ticket.refresh_from_db()
    assert ticket.is_closed


def test_the_reopen_button_disappears_after_the_window(
    customer_client, contact, hosting, open_ticket, settings
):
    settings.TICKET_REOPEN_DAYS = 3
    ticket = open_ticket(hosting)
    services.ticket_close(ticket=ticket, actor=contact.user)
    url = reverse("tickets:detail", args=[ticket.number])
    assert customer_client.get(url).context["can_reopen"] is True
    with time_machine.travel(timezone.now() + timedelta(days=4)):
        assert customer_client.get(url).context["can_reopen"] is False
        customer_client.post(reverse("tickets:reopen", args=[ticket.number]))
    ticket.refresh_from_db()
    assert ticket.is_closed


def test_the_reopen_window_is_a_documented_setting_read_from_the_environment():
    """``TICKET_REOPEN_DAYS`` comes from the environment (default 14 days) and is in the
    README's Configuration table, like every variable the settings read."""
    script = (
        "import django; django.setup(); from django.conf import settings; "
        "from tickets.rules import reopen_window; "
        "print(settings.TICKET_REOPEN_DAYS, reopen_window().days)"
    )

    def run(**env):
        environment = {k: v for k, v in os.environ.items() if k != "TICKET_REOPEN_DAYS"}
        environment.update(DJANGO_SETTINGS_MODULE="masternet.settings.test", **env)
        result = subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        return result.stdout.split()

    assert run() == ["14", "14"]
    assert run(TICKET_REOPEN_DAYS="3") == ["3", "3"]
    readme = (ROOT / "README.md").read_text()
    assert re.search(r"^\| `TICKET_REOPEN_DAYS` \| `14` \|", readme, re.MULTILINE)


def test_rating_after_close_once(customer_client, contact, hosting, open_ticket):
    ticket = open_ticket(hosting)
    rate = reverse("tickets:rate", args=[ticket.number])
    customer_client.post(rate, {"rating": 5})
    ticket.refresh_from_db()
    assert ticket.rating is None  # an open ticket cannot be rated
    customer_client.post(reverse("tickets:close", args=[ticket.number]))
    page = customer_client.get(reverse("tickets:detail", args=[ticket.number]))
    assert 'data-testid="rating"' in page.content.decode()
    customer_client.post(rate, {"rating": 4, "comment": "Fast, thank you"})
    customer_client.post(rate, {"rating": 1})
    ticket.refresh_from_db()
    assert (ticket.rating, ticket.rating_comment) == (4, "Fast, thank you")
    assert ticket.history.latest().history_user == contact.user
    page = customer_client.get(reverse("tickets:detail", args=[ticket.number])).content.decode()
    assert 'data-testid="rated"' in page and 'data-testid="rating"' not in page


@pytest.mark.parametrize("rating", ["0", "6", "abc"])
def test_a_rating_outside_1_to_5_is_refused(customer_client, contact, hosting, open_ticket, rating):
    ticket = open_ticket(hosting)
    services.ticket_close(ticket=ticket, actor=contact.user)
    customer_client.post(reverse("tickets:rate", args=[ticket.number]), {"rating": rating})
    ticket.refresh_from_db()
    assert ticket.rating is None


def test_reopening_forgets_the_rating_of_the_previous_answer(contact, hosting, open_ticket):
    ticket = open_ticket(hosting)
    services.ticket_close(ticket=ticket, actor=contact.user)
    services.ticket_rate(ticket=ticket, actor=contact.user, rating=2)
    services.ticket_reopen(ticket=ticket, actor=contact.user)
    ticket.refresh_from_db()
    assert ticket.rating is None
    assert ticket.history.filter(rating=2).exists()  # still in the history


def test_staff_closing_tells_the_customer(
    contact, hosting, open_ticket, agent, django_capture_on_commit_callbacks
):
    ticket = open_ticket(hosting)
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_update(ticket=ticket, staff=agent, status="closed")
    assert [m.to for m in mail.outbox] == [[contact.user.email]]
    assert ticket.number in mail.outbox[0].subject


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_tickets_never_share_or_skip_a_number():
    contact = ContactFactory()
    service = ServiceFactory(customer=contact.customer)

    def open_one():
        return services.ticket_open(
            customer=contact.customer,
            opened_by=contact.user,
            category="billing",
            service=service,
            subject="Question about my invoice",
            description="Why does this month's invoice show a different amount than usual?",
        )

    outcomes = at_once(*[open_one] * 6)
    assert len(outcomes) == 6 and all(isinstance(o, Ticket) for o in outcomes), outcomes
    year = timezone.localdate().year
    numbers = sorted(Ticket.objects.values_list("number", flat=True))
    assert numbers == [f"TKT-{year}-{n:06d}" for n in range(1, 7)]
