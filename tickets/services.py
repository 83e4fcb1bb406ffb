"""Every state change of tickets (K6, K10, H2, H7).

Keyword-only; the actor is passed in; changes are audited (who and why) in the
ticket's history; mail goes out after commit. Customers and staff go through the
same functions, so a ticket opened for a customer obeys the same rules.
"""

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core import clock
from core.audit import audited
from core.validators import UploadKind
from customers.models import Contact, Customer, User
from invoices.services import next_number
from orders.models import Service
from tickets import tasks
from tickets.models import Attachment, Message, Ticket
from tickets.rules import (
    check_service_fits,
    reopen_window,
    response_hours,
    support_status,
    ticket_terms,
    validate_ticket_details,
)
from tickets.selectors import entitlement_for

MAX_ATTACHMENTS = 5
MAX_BODY_CHARS = 20_000
WAITING_ON_STAFF = (Ticket.Status.OPEN, Ticket.Status.AWAITING_STAFF)
_UNSET = object()

AttachmentUpload = tuple[object, UploadKind]  # (uploaded file, what its content is)


def _require_contact(*, user: User, customer: Customer) -> None:
    """Only the account's own contacts (any role) act on its tickets as the customer."""
    if not Contact.objects.filter(user=user, customer=customer).exists():
        raise PermissionDenied


def _require_staff(user: User) -> None:
    if not (user.is_active and user.is_staff):
        raise PermissionDenied


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write your message first.")})
    if len(body) > MAX_BODY_CHARS:
        raise ValidationError(
            {
                "body": _("Keep a message under %(count)d characters; attach a log instead.")
                % {"count": MAX_BODY_CHARS}
            }
        )
    return body


def _check_attachments(attachments) -> list[AttachmentUpload]:
    attachments = list(attachments)
    if len(attachments) > MAX_ATTACHMENTS:
        raise ValidationError(
            {
                "attachments": _("Attach at most %(count)d files to one message.")
                % {"count": MAX_ATTACHMENTS}
            }
        )
    return attachments


def _add_message(
    *, ticket: Ticket, author: User, body: str, from_staff: bool, internal: bool, attachments, now
) -> Message:
    message = Message(
        ticket=ticket,
        author=author,
        from_staff=from_staff,
        internal=internal,
        body=body,
        created_at=now,
    )
    message.save()
    for upload, kind in attachments:
        Attachment.objects.create(
            message=message,
            file=upload,
            original_name=(upload.name or "file")[-200:],
            content_type=kind.mime,
            extension=kind.extension,
            size=upload.size,
        )
    return message


def _set_status(ticket: Ticket, status: str, *, now) -> None:
    """The one place a status is set. While the ticket waits on staff it has a reply
    target (H2); closing stamps the time; reopening forgets the rating of the answer."""
    if status in WAITING_ON_STAFF:
        if ticket.response_due_at is None:
            ticket.response_due_at = now + timedelta(hours=response_hours(ticket.priority))
    else:
        ticket.response_due_at = None
    if status == Ticket.Status.CLOSED and not ticket.is_closed:
        ticket.closed_at = now
    elif status != Ticket.Status.CLOSED and ticket.is_closed:
        ticket.closed_at = None
        ticket.rating, ticket.rating_comment, ticket.rated_at = None, "", None
    ticket.status = status


def ticket_open(
    *,
    customer: Customer,
    opened_by: User,
    category: str,
    subject: str,
    description: str,
    service: Service | None = None,
    domain_name: str = "",
    error_message: str = "",
    steps_taken: str = "",
    started_on=None,
    attachments=(),
) -> Ticket:
    """K6: a ticket about one of the customer's services, or about the account.

    K10: the category's details must be there (errors name their field). H2: the
    category must be one the account's active services entitle it to; the priority and
    reply target come from the service's product. H7: a technical ticket on a service
    outside its warranty is opened, and marked so. Staff are told after commit.
    """
    if not opened_by.is_staff:
        _require_contact(user=opened_by, customer=customer)
    if service is not None and service.customer_id != customer.pk:
        raise ValidationError({"service": _("Choose one of your own services.")})
    entitlement = entitlement_for(customer=customer)
    if not entitlement.allows(category):
        raise ValidationError(
            {
                "category": _(
                    "Your account has no active service for this kind of question. "
                    "Choose “Billing or account” or “Something else”."
                )
            }
        )
    today = clock.today()
    status = support_status(service, today=today) if service is not None else None
    check_service_fits(category=category, status=status)
    details = validate_ticket_details(
        category=category,
        subject=subject,
        description=description,
        today=today,
        domain_name=domain_name,
        error_message=error_message,
        steps_taken=steps_taken,
        started_on=started_on,
    )
    body = _clean_body(description)
    attachments = _check_attachments(attachments)
    terms = ticket_terms(category=category, status=status, entitlement=entitlement)
    now = clock.now()
    with transaction.atomic():
        sequence = next_number(kind="TKT", year=today.year)
        ticket = Ticket(
            number=f"TKT-{today.year}-{sequence:06d}",
            customer=customer,
            service=service,
            category=category,
            department=terms.department,
            priority=terms.priority,
            subject=" ".join(subject.split()),
            outside_warranty=terms.outside_warranty,
            warranty_end=terms.warranty_end,
            opened_by=opened_by,
            created_at=now,
            last_message_at=now,
            **details,
        )
        _set_status(ticket, Ticket.Status.OPEN, now=now)
        ticket.full_clean()
        audited(ticket, actor=opened_by, reason="ticket opened").save()
        _add_message(
            ticket=ticket,
            author=opened_by,
            body=body,
            from_staff=opened_by.is_staff,
            internal=False,
            attachments=attachments,
            now=now,
        )
        transaction.on_commit(lambda: tasks.notify_staff_new_ticket.delay(ticket.pk))
    return ticket


def ticket_reply(*, ticket: Ticket, author: User, body: str, attachments=()) -> Message:
    """K6: the customer writes again; the ticket waits for staff, with a reply target."""
    _require_contact(user=author, customer=ticket.customer)
    body = _clean_body(body)
    attachments = _check_attachments(attachments)
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if locked.is_closed:
            raise ValidationError(_("This ticket is closed. Reopen it to write again."))
        now = clock.now()
        message = _add_message(
            ticket=locked,
            author=author,
            body=body,
            from_staff=False,
            internal=False,
            attachments=attachments,
            now=now,
        )
        _set_status(locked, Ticket.Status.AWAITING_STAFF, now=now)
        locked.last_message_at = now
        audited(locked, actor=author, reason="customer replied").save()
        transaction.on_commit(lambda: tasks.notify_staff_customer_message.delay(message.pk))
    return message


def ticket_staff_reply(
    *,
    ticket: Ticket,
    staff: User,
    body: str,
    internal: bool = False,
    attachments=(),
    status: str | None = None,
) -> Message:
    """A staff reply: the customer is told by e-mail after commit, and the ticket waits
    for them (or takes ``status``). An internal note is for staff only: no mail, no
    change the customer can see, unless ``status`` is given."""
    _require_staff(staff)
    body = _clean_body(body)
    attachments = _check_attachments(attachments)
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        now = clock.now()
        message = _add_message(
            ticket=locked,
            author=staff,
            body=body,
            from_staff=True,
            internal=internal,
            attachments=attachments,
            now=now,
        )
        if internal:
            if status and status != locked.status:
                _set_status(locked, status, now=now)
                audited(locked, actor=staff, reason="internal note; status changed").save()
        else:
            _set_status(locked, status or Ticket.Status.AWAITING_CUSTOMER, now=now)
            locked.first_response_at = locked.first_response_at or now
            locked.last_message_at = now
            audited(locked, actor=staff, reason="staff replied").save()
            transaction.on_commit(lambda: tasks.send_staff_reply.delay(message.pk))
    return message


def ticket_update(
    *,
    ticket: Ticket,
    staff: User,
    status=_UNSET,
    assignee=_UNSET,
    department=_UNSET,
    priority=_UNSET,
    reason: str = "",
) -> Ticket:
    """Staff triage: status, assignee, department, priority. Each change is written in
    the history with who made it and what changed; a new assignee is told by e-mail. A
    new priority moves a pending reply target (H2)."""
    _require_staff(staff)
    if assignee not in (_UNSET, None) and not (assignee.is_staff and assignee.is_active):
        raise ValidationError({"assignee": _("Tickets are assigned to active staff only.")})
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        now = clock.now()
        changes = []
        if assignee is not _UNSET and locked.assignee_id != getattr(assignee, "pk", None):
            changes.append(f"assignee: {locked.assignee or '-'} -> {assignee or '-'}")
            locked.assignee = assignee
            if assignee is not None and assignee.pk != staff.pk:
                transaction.on_commit(lambda: tasks.notify_assignee.delay(locked.pk))
        if department is not _UNSET and department != locked.department:
            changes.append(f"department: {locked.department} -> {department}")
            locked.department = department
        if priority is not _UNSET and int(priority) != locked.priority:
            changes.append(f"priority: {locked.priority} -> {priority}")
            locked.priority = int(priority)
            if locked.response_due_at is not None:
                locked.response_due_at = locked.last_message_at + timedelta(
                    hours=response_hours(locked.priority)
                )
        if status is not _UNSET and status != locked.status:
            changes.append(f"status: {locked.status} -> {status}")
            _set_status(locked, status, now=now)
            if status == Ticket.Status.CLOSED:
                transaction.on_commit(lambda: tasks.send_ticket_closed.delay(locked.pk))
        if not changes:
            return locked
        locked.full_clean()
        text = "; ".join(changes) + (f" ({reason.strip()})" if reason.strip() else "")
        audited(locked, actor=staff, reason=text).save()
    return locked


def ticket_close(*, ticket: Ticket, actor: User) -> Ticket:
    """The customer closes a ticket that is solved; they may rate the answer now."""
    _require_contact(user=actor, customer=ticket.customer)
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if locked.is_closed:
            raise ValidationError(_("This ticket is already closed."))
        _set_status(locked, Ticket.Status.CLOSED, now=clock.now())
        audited(locked, actor=actor, reason="closed by the customer").save()
    return locked


def ticket_reopen(*, ticket: Ticket, actor: User) -> Ticket:
    """The customer reopens a closed ticket within ``TICKET_REOPEN_DAYS`` of closing;
    later, a new ticket is the way. Staff are told after commit."""
    _require_contact(user=actor, customer=ticket.customer)
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if not locked.is_closed:
            raise ValidationError(_("This ticket is not closed."))
        now = clock.now()
        window = reopen_window()
        if locked.closed_at + window < now:
            raise ValidationError(
                _(
                    "This ticket was closed more than %(days)d days ago and can no longer be "
                    "reopened. Please open a new ticket and mention %(number)s."
                )
                % {"days": window.days, "number": locked.number}
            )
        _set_status(locked, Ticket.Status.AWAITING_STAFF, now=now)
        locked.last_message_at = now
        audited(locked, actor=actor, reason="reopened by the customer").save()
        transaction.on_commit(lambda: tasks.notify_staff_reopened.delay(locked.pk))
    return locked


def ticket_rate(*, ticket: Ticket, actor: User, rating: int, comment: str = "") -> Ticket:
    """The customer rates the answer of a closed ticket, once per closing. The
    conditional UPDATE lets one of two simultaneous ratings through."""
    _require_contact(user=actor, customer=ticket.customer)
    if not 1 <= int(rating) <= 5:
        raise ValidationError({"rating": _("Choose from 1 to 5 stars.")})
    with transaction.atomic():
        updated = Ticket.objects.filter(
            pk=ticket.pk, status=Ticket.Status.CLOSED, rating__isnull=True
        ).update(rating=int(rating), rating_comment=(comment or "").strip(), rated_at=clock.now())
        if not updated:
            raise ValidationError(_("Only a closed ticket can be rated, and only once."))
        rated = Ticket.objects.get(pk=ticket.pk)
        # The UPDATE decided; this save records the rating, with its author, in the history.
        audited(rated, actor=actor, reason="rated by the customer").save(
            update_fields=["rating", "rating_comment", "rated_at"]
        )
    return rated
