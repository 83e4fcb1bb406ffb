"""The invoice list's rows and an invoice's status badge (also on the invoice's page).

Built here, as Django's admin builds its change list's cells (``core.html``):
rendered from a template, a row's variables, filters and tags cost about twice what its
own formatting does, and the list shows twenty rows.
"""

from django import template
from django.utils.translation import gettext as _

from core.html import format_row, format_rows
from core.templatetags.dates import short_date
from core.templatetags.links import row_urls
from core.templatetags.money import rupiah
from invoices.models import Invoice

register = template.Library()

ROW = """
<tr>
    <td><a href="{}">{}</a></td>
    <td>{}</td>
    <td>{}</td>
    <td class="text-end">{}</td>
    <td>{}</td>
</tr>"""


@register.simple_tag
def invoice_status_badge(invoice: Invoice, awaiting: bool = False) -> str:
    """K3: an unpaid invoice whose payment confirmation waits for staff (``awaiting``)
    says so, one paid in part says that, any other shows its status."""
    status = invoice.status
    if status == Invoice.Status.PAID:
        css, label = "text-bg-success", invoice.get_status_display()
    elif status == Invoice.Status.UNPAID and awaiting:
        css, label = "text-bg-info", _("Waiting for verification")
    elif invoice.is_partly_paid:
        css, label = "text-bg-warning", _("Partly paid")
    elif status == Invoice.Status.UNPAID:
        css, label = "text-bg-danger", invoice.get_status_display()
    else:
        css, label = "text-bg-secondary", invoice.get_status_display()
    return format_row('<span class="badge {}" data-testid="invoice-status">{}</span>', css, label)


@register.simple_tag(takes_context=True)
def invoice_rows(context, invoices) -> str:
    """The list's rows: number (a link to the invoice), issue and due dates, total and
    status badge (K3; ``awaiting_verification`` comes with ``selectors.invoices_for``)."""
    url = row_urls("invoices:detail", context)
    badges = {}  # once a page for each kind of badge the rows have

    def badge_of(invoice):
        key = (invoice.status, invoice.awaiting_verification, invoice.is_partly_paid)
        if key not in badges:
            badges[key] = invoice_status_badge(invoice, invoice.awaiting_verification)
        return badges[key]

    return format_rows(
        ROW,
        (
            (
                url(invoice.pk),
                invoice.number,
                short_date(invoice.issue_date),
                short_date(invoice.due_date),
                rupiah(invoice.total),
                badge_of(invoice),
            )
            for invoice in invoices
        ),
    )
