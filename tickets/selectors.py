"""Every read a ticket page needs, scoped to the customer that owns it."""

from functools import cache

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, QuerySet
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from core import clock
from customers.models import Customer
from orders.models import Service
from tickets.models import Attachment, CannedReply, DepartmentMember, Message, Ticket
from tickets.rules import Entitlement, SupportStatus, entitlement_from, support_status


def entitlement_for(*, customer: Customer) -> Entitlement:
    """H2: from the customer's active services: each product's department, and the
    priority of its plan or else of its product. One query."""
    rows = Service.objects.filter(customer=customer, status=Service.Status.ACTIVE).values_list(
        "product__support_department",
        Coalesce("plan__support_priority", "product__support_priority"),
    )
    return entitlement_from(rows)


def support_statuses_for(*, customer: Customer) -> list[SupportStatus]:
    """H1, H7: each of the customer's services (cancelled ones left out) with the help it
    is entitled to today; active services first. One query."""
    today = clock.today()
    services = (
        Service.objects.filter(customer=customer)
        .exclude(status=Service.Status.CANCELLED)
        .select_related("product", "plan")
        .order_by("-created_at", "-pk")
    )
    statuses = [support_status(service, today=today) for service in services]
    return sorted(statuses, key=lambda status: not status.active)


def tickets_for(*, customer: Customer) -> QuerySet[Ticket]:
    """K6: the account's tickets, latest activity first, with their service and product."""
    return (
        Ticket.objects.filter(customer=customer)
        .select_related("service__product")
        .order_by("-last_message_at", "-pk")
    )


@cache
def _ticket_list() -> QuerySet[Ticket]:
    # Built once: the joins, order and columns cost more to build than the page's rows.
    # Never evaluated itself; each request's filter makes a new queryset.
    return (
        Ticket.objects.select_related("service__product")
        .order_by("-last_message_at", "-pk")
        .only(
            "number",
            "subject",
            "status",
            "outside_warranty",
            "last_message_at",
            "service__domain_name",
            "service__label",
            "service__product__name_id",
            "service__product__name_en",
        )
    )


def ticket_list_for(*, customer: Customer) -> QuerySet[Ticket]:
    """K6: the ticket list: the columns it shows, not the details asked for per category
    nor those of the service and its product."""
    return _ticket_list().filter(customer=customer)


def ticket_of(*, customer: Customer, number: str) -> Ticket:
    """A ticket of this customer; another customer's is a 404."""
    return get_object_or_404(tickets_for(customer=customer), number=number)


def thread_for(*, ticket: Ticket, include_internal: bool = False) -> QuerySet[Message]:
    """The ticket's messages, oldest first, with authors and attachments: two queries
    however long the thread. Internal notes only when ``include_internal`` (staff)."""
    messages = Message.objects.filter(ticket=ticket)
    if not include_internal:
        messages = messages.filter(internal=False)
    return (
        messages.select_related("author")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("pk")))
        .order_by("created_at", "pk")
    )


def attachment_of(*, customer: Customer, pk: int) -> Attachment:
    """An attachment of this customer's tickets. Another customer's, or one on an
    internal note, is a 404."""
    return get_object_or_404(
        Attachment.objects.select_related("message__ticket"),
        message__ticket__customer=customer,
        message__internal=False,
        pk=pk,
    )


def canned_replies_for(*, department: str) -> QuerySet[CannedReply]:
    return CannedReply.objects.filter(is_active=True, department__in=[department, ""])


def staff_to_notify(*, ticket: Ticket) -> list:
    """Who hears of a new ticket or a customer reply: the assignee; otherwise the
    members of the ticket's department; otherwise every staff member who may answer
    tickets."""
    if ticket.assignee_id and ticket.assignee.is_active:
        return [ticket.assignee]
    members = [
        member.user
        for member in DepartmentMember.objects.filter(
            department=ticket.department, user__is_active=True, user__is_staff=True
        ).select_related("user")
    ]
    if members:
        return members
    staff = get_user_model().objects.filter(is_staff=True, is_active=True)
    return [user for user in staff if user.has_perm("tickets.change_ticket")]
