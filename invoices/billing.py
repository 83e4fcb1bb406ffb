"""K5: what a period's invoice bills, in one place, for the recurring invoice run
(``invoices.jobs``) and for an issued invoice corrected after a change was approved
(``policy.services.invoicing``), so a corrected invoice reads like any other."""

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from django.conf import settings
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from customers.models import Contact, Role
from orders.models import Service
from orders.pricing import LineSpec


@dataclass
class PeriodBill:
    lines: list[LineSpec]
    plan: object
    price: Decimal
    cancelled: bool = False


def contact_language(customer_id: int) -> str:
    """K7: the language of the account's responsible contact, who receives its
    invoices: every line billed to the account is written in it."""
    contact = Contact.objects.filter(customer_id=customer_id, role=Role.RESPONSIBLE)
    return contact.values_list("user__language", flat=True).first() or settings.LANGUAGE_CODE


def contact_languages(customer_ids) -> dict[int, str]:
    """``contact_language`` of many accounts in one query (the recurring run's)."""
    ids = set(customer_ids)
    found = dict(
        Contact.objects.filter(customer__in=ids, role=Role.RESPONSIBLE).values_list(
            "customer_id", "user__language"
        )
    )
    return {pk: found.get(pk) or settings.LANGUAGE_CODE for pk in ids}


@lru_cache(maxsize=1024)
def _period_words(language: str, start, end) -> str:
    """ "(1 Jan 2027 – 31 Jan 2027)" in ``language``; a run's services share a few periods."""
    with translation.override(language):
        return f"({date_format(start, 'j M Y')} – {date_format(end, 'j M Y')})"


def period_bill(*, service: Service, period, changes, language: str | None = None) -> PeriodBill:
    """K5: what a period's invoice bills, after the approved ``changes`` (oldest first).

    The service's plan is what its last invoice billed, with every later change on it
    (a mid-period override upgrade sets it at once), so only a plan change *for this
    period* is applied; an older one is on the service already, and replaying it would
    undo what came after. An add-on recurs from its period on (it is not stored on the
    service); a cancellation applies from its period on. The lines are written in
    ``language``, the responsible contact's (looked up when not given)."""
    from policy.models import ServiceChange

    if language is None:
        language = contact_language(service.customer_id)

    plan, price, addons = service.plan, service.recurring_price, []
    for change in (c for c in changes if c.period_start <= period.start):
        if change.kind == ServiceChange.Kind.CANCEL:
            return PeriodBill([], plan, price, cancelled=True)
        if change.kind in (ServiceChange.Kind.UPGRADE, ServiceChange.Kind.DOWNGRADE):
            if change.period_start == period.start:
                plan, price = change.new_plan, change.new_plan.price
        elif change.kind == ServiceChange.Kind.ADDON:
            addons.append((change.addon_description, change.addon_price or Decimal(0)))
    with translation.override(language):  # K7: the responsible contact reads the invoice
        when = _period_words(language, period.start, period.end)
        name = service.product.name + (f" {plan.name}" if plan else "")
        if service.domain_name:
            name += f" — {service.domain_name}"
        descriptions = [f"{name} {when}"] + [
            _("Add-on: %(addon)s %(period)s") % {"addon": text, "period": when}
            for text, _amount in addons
        ]
    ppn = service.product.applies_ppn
    prices = [price] + [amount for _text, amount in addons]
    lines = [
        LineSpec(text, amount, ppn, period_start=period.start, period_end=period.end)
        for text, amount in zip(descriptions, prices, strict=True)
    ]
    return PeriodBill(lines, plan, price)
