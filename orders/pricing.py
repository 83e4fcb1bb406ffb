"""Prices for what is in the cart, always read from the catalogue (K2)."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from invoices.periods import period_end
from orders.cart import CartItem
from orders.models import BillingCycle, Plan, Product, Service, TldPrice
from orders.validators import split_domain


@dataclass(frozen=True)
class LineSpec:
    """One invoice line before it exists."""

    description: str
    unit_price: Decimal
    applies_ppn: bool = True
    quantity: int = 1
    period_start: date | None = None
    period_end: date | None = None


@dataclass
class PricedItem:
    index: int
    product: Product
    plan: Plan | None
    tld: TldPrice | None
    domain_name: str
    domain_action: str
    cycle: str
    recurring_price: Decimal
    lines: list[LineSpec] = field(default_factory=list)
    label: str = ""  # which one it is, when the product does not say (a project's name)
    warranty_from: date | None = None  # H7: the warranty runs from here, not from activation

    @property
    def first_payment(self) -> Decimal:
        return sum((line.unit_price * line.quantity for line in self.lines), Decimal(0))

    @property
    def requires_company_documents(self) -> bool:
        return bool(self.tld and self.tld.requires_company_documents)


def _period_text(start: date, cycle: str) -> tuple[str, date | None]:
    end = period_end(start=start, cycle=cycle)
    if end is None:
        return "", None
    return f" ({date_format(start, 'j M Y')} – {date_format(end, 'j M Y')})", end


def price_items(items: list[CartItem], *, start: date) -> list[PricedItem]:
    """Price each cart item from the catalogue; items whose product, plan or TLD is no
    longer on sale are left out. Three queries whatever the cart holds."""
    products = Product.objects.filter(
        pk__in={i.product_id for i in items}, is_active=True
    ).select_related("group")
    products = {p.pk: p for p in products}
    plans = {
        p.pk: p
        for p in Plan.objects.filter(pk__in={i.plan_id for i in items if i.plan_id}, is_active=True)
    }
    tlds = {t.tld: t for t in TldPrice.objects.filter(is_active=True)}
    priced = []
    for index, item in enumerate(items):
        product = products.get(item.product_id)
        if product is None:
            continue
        if product.is_domain:
            split = split_domain(item.domain_name, tlds)
            if split is None:
                continue
            tld = tlds[split[1]]
            action = item.domain_action or Service.DomainAction.REGISTER
            price = (
                tld.transfer_price
                if action == Service.DomainAction.TRANSFER
                else tld.register_price
            )
            period, end = _period_text(start, BillingCycle.YEARLY)
            label = Service.DomainAction(action).label
            line = LineSpec(
                f"{label} {item.domain_name}{period}",
                price,
                product.applies_ppn,
                period_start=start,
                period_end=end,
            )
            priced.append(
                PricedItem(
                    index,
                    product,
                    None,
                    tld,
                    item.domain_name,
                    action,
                    BillingCycle.YEARLY,
                    tld.renew_price,
                    [line],
                )
            )
            continue
        plan = plans.get(item.plan_id)
        if plan is None or plan.product_id != product.pk:
            continue
        period, end = _period_text(start, plan.cycle)
        suffix = f" — {item.domain_name}" if item.domain_name else ""
        lines = [
            LineSpec(
                f"{product.name} {plan.name}{suffix}{period}",
                plan.price,
                product.applies_ppn,
                period_start=start,
                period_end=end,
            )
        ]
        if plan.setup_fee:
            lines.append(
                LineSpec(
                    _("Setup fee: %(product)s") % {"product": product.name},
                    plan.setup_fee,
                    product.applies_ppn,
                )
            )
        priced.append(
            PricedItem(
                index,
                product,
                plan,
                None,
                item.domain_name,
                "",
                plan.cycle,
                plan.price,
                lines,
            )
        )
    return priced
