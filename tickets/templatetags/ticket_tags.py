"""The ticket list's rows and a ticket's badges (also on the ticket's page): its status,
and outside warranty (H7).

Built here, as Django's admin builds its change list's cells (``core.html``):
rendered from a template, a row's variables, filters and tags cost about twice what its
own formatting does, and the list shows twenty rows.
"""

from django import template
from django.utils.timezone import get_current_timezone, localtime
from django.utils.translation import gettext as _

from core.html import format_row, format_rows
from core.templatetags.dates import short_datetime
from core.templatetags.links import row_urls
from tickets.models import Ticket

register = template.Library()

STATUS_CLASSES = {
    Ticket.Status.CLOSED: "text-bg-secondary",
    Ticket.Status.AWAITING_CUSTOMER: "text-bg-warning",
    Ticket.Status.ON_HOLD: "text-bg-light border",
}
ROW = """
<tr>
    <td><a href="{}">{}</a></td>
    <td>{}</td>
    <td>{}</td>
    <td>{}</td>
    <td>{}</td>
</tr>"""


@register.simple_tag
def ticket_badges(ticket: Ticket) -> str:
    """The status, and H7: a ticket about a service outside its warranty is marked so."""
    badges = format_row(
        '<span class="badge {}" data-testid="ticket-status">{}</span>',
        STATUS_CLASSES.get(ticket.status, "text-bg-primary"),
        ticket.get_status_display(),
    )
    if ticket.outside_warranty:
        badges = format_row(
            '{}\n<span class="badge text-bg-danger" data-testid="outside-warranty-badge">{}</span>',
            badges,
            _("Outside warranty"),
        )
    return badges


@register.simple_tag(takes_context=True)
def ticket_rows(context, tickets) -> str:
    """The list's rows: number (a link to the ticket), subject, the service it is about
    (K6: its product, and its domain or label) or the account, badges (H7), and when
    its last message came (WIB)."""
    url = row_urls("tickets:detail", context)
    timezone = get_current_timezone()
    account = format_row('<span class="text-secondary">{}</span>', _("Account or billing"))
    badges = {}  # once a page for each status and warranty mark the rows have

    def badges_of(ticket):
        key = (ticket.status, ticket.outside_warranty)
        if key not in badges:
            badges[key] = ticket_badges(ticket)
        return badges[key]

    return format_rows(
        ROW,
        (
            (
                url(ticket.number),
                ticket.number,
                ticket.subject,
                _service(ticket.service) if ticket.service else account,
                badges_of(ticket),
                short_datetime(localtime(ticket.last_message_at, timezone)),
            )
            for ticket in tickets
        ),
    )


def _service(service) -> str:
    if service.detail:
        return format_row('{} <div class="small">{}</div>', service.product.name, service.detail)
    return service.product.name
