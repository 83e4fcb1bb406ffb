"""Ticket mail, sent by the worker after the change committed, each recipient in their
own language. Internal notes never reach a customer's mail."""

from celery import shared_task
from django.urls import reverse

from core.mail import absolute_url, send_templated_mail
from customers.models import Contact, Role
from tickets.models import Message, Ticket
from tickets.rules import reopen_window
from tickets.selectors import staff_to_notify

MAIL_RETRY = {"autoretry_for": (OSError,), "retry_backoff": True, "max_retries": 5}


def _customer_recipient(ticket):
    """The contact who opened the ticket, or the responsible contact when the opener is
    no longer a contact of the account (or was staff)."""
    contact = (
        Contact.objects.select_related("user")
        .filter(customer_id=ticket.customer_id, user_id=ticket.opened_by_id)
        .first()
    )
    if contact is None:
        contact = Contact.objects.select_related("user").get(
            customer_id=ticket.customer_id, role=Role.RESPONSIBLE
        )
    return contact


def _ticket_url(ticket) -> str:
    return absolute_url(reverse("tickets:detail", args=[ticket.number]))


def _admin_url(ticket) -> str:
    return absolute_url(reverse("admin:tickets_ticket_change", args=[ticket.pk]))


def _tell_staff(ticket, *, template: str, context: dict) -> None:
    for user in staff_to_notify(ticket=ticket):
        send_templated_mail(
            to=[user.email],
            language=user.language,
            template=template,
            context={"ticket": ticket, "admin_url": _admin_url(ticket), **context},
        )


def _ticket(ticket_id: int):
    return Ticket.objects.select_related("customer", "service__product", "assignee").get(
        pk=ticket_id
    )


@shared_task(**MAIL_RETRY)
def notify_staff_new_ticket(ticket_id: int) -> None:
    """K6: staff of the ticket's department hear of a new ticket."""
    ticket = _ticket(ticket_id)
    first = ticket.messages.order_by("created_at", "pk").first()
    _tell_staff(ticket, template="tickets/email/staff_new_ticket", context={"message": first})


@shared_task(**MAIL_RETRY)
def notify_staff_customer_message(message_id: int) -> None:
    """K6: staff hear of the customer's reply."""
    message = Message.objects.select_related("ticket", "author").get(pk=message_id)
    ticket = _ticket(message.ticket_id)
    _tell_staff(ticket, template="tickets/email/staff_customer_reply", context={"message": message})


@shared_task(**MAIL_RETRY)
def notify_staff_reopened(ticket_id: int) -> None:
    ticket = _ticket(ticket_id)
    _tell_staff(ticket, template="tickets/email/staff_reopened", context={})


@shared_task(**MAIL_RETRY)
def notify_assignee(ticket_id: int) -> None:
    ticket = _ticket(ticket_id)
    if ticket.assignee is None or not ticket.assignee.is_active:
        return
    send_templated_mail(
        to=[ticket.assignee.email],
        language=ticket.assignee.language,
        template="tickets/email/staff_assigned",
        context={"ticket": ticket, "admin_url": _admin_url(ticket)},
    )


@shared_task(**MAIL_RETRY)
def send_staff_reply(message_id: int) -> None:
    """The customer is told of every staff reply; an internal note is never sent."""
    message = Message.objects.select_related("ticket", "author").get(pk=message_id)
    if message.internal or not message.from_staff:
        return
    ticket = message.ticket
    contact = _customer_recipient(ticket)
    send_templated_mail(
        to=[contact.user.email],
        language=contact.user.language,
        template="tickets/email/staff_reply",
        context={
            "ticket": ticket,
            "message": message,
            "contact": contact,
            "ticket_url": _ticket_url(ticket),
        },
    )


@shared_task(**MAIL_RETRY)
def send_ticket_closed(ticket_id: int) -> None:
    """Staff closed the ticket: the customer may reopen it for a while, or rate it."""
    ticket = _ticket(ticket_id)
    contact = _customer_recipient(ticket)
    send_templated_mail(
        to=[contact.user.email],
        language=contact.user.language,
        template="tickets/email/closed",
        context={
            "ticket": ticket,
            "contact": contact,
            "ticket_url": _ticket_url(ticket),
            "reopen_days": reopen_window().days,
        },
    )
