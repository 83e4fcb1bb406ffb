"""Every state change of orders and services (K2, K9, H1).

Customers and staff place orders through the same ``order_place``; an accepted
custom-project quote through ``order_place_quoted``, with the same checks and steps.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from core import clock
from core.audit import audited
from customers.models import Customer, DocumentKind, Role, User
from customers.selectors import Step, identity_state, missing_steps, responsible_contact
from invoices.periods import CYCLE_MONTHS, Schedule
from invoices.services import invoice_issue
from orders.cart import CartItem
from orders.models import BillingCycle, Order, Product, Service, TldPrice
from orders.pricing import LineSpec, PricedItem, price_items

AUP_VERSION = "2026.1"


class OrderBlocked(Exception):
    """K2: the account is missing steps (terms, contact, identity) before it may order."""

    def __init__(self, steps):
        super().__init__(", ".join(step.code for step in steps))
        self.steps = steps


def order_blockers(*, customer: Customer, items: list[PricedItem]):
    """K2, K8: the steps still missing before ``customer`` may order ``items``."""
    contact = responsible_contact(customer=customer)
    steps = missing_steps(user=contact.user, contact=contact)
    if any(item.requires_company_documents for item in items):
        state = identity_state(customer=customer)
        if customer.kind != Customer.Kind.COMPANY or not state.submitted:
            steps.append(
                Step(
                    "company_documents",
                    _("Company documents for .co.id and similar domains"),
                    _(
                        "PANDI registers these domains only for companies with their NPWP "
                        "and NIB uploaded (%(docs)s)."
                    )
                    % {"docs": f"{DocumentKind.NPWP.label}, {DocumentKind.NIB.label}"},
                    reverse("customers:identity"),
                )
            )
    return steps


def _check_orderer(*, customer: Customer, placed_by: User, aup_accepted: bool) -> None:
    """K7: only the responsible contact or staff order; K9: with the acknowledgement."""
    if (
        not placed_by.is_staff
        and not customer.contacts.filter(user=placed_by, role=Role.RESPONSIBLE).exists()
    ):
        raise ValidationError(_("Only the account's responsible contact can place orders."))
    if not aup_accepted:
        raise ValidationError(
            {"accept_aup": _("Confirm that you are responsible for how the services are used.")}
        )


@transaction.atomic
def order_place(
    *,
    customer: Customer,
    placed_by: User,
    items: list[CartItem],
    aup_accepted: bool,
    ip_address: str | None,
    staff_note: str = "",
) -> Order:
    """K2, K9: turn the cart into an Order, its pending Services and the first Invoice,
    in one transaction. Prices come from the catalogue, never from the cart.

    Only the responsible contact (K7) or staff may order, and only once nothing is
    missing (``order_blockers``); the acceptable-use acknowledgement (K9) is recorded
    with its time, IP and policy version.
    """
    _check_orderer(customer=customer, placed_by=placed_by, aup_accepted=aup_accepted)
    today = clock.today()
    priced = price_items(items, start=today)
    if not priced:
        raise ValidationError(_("Your cart is empty, or its products are no longer on sale."))
    return _place(
        customer=customer,
        placed_by=placed_by,
        priced=priced,
        ip_address=ip_address,
        staff_note=staff_note,
        today=today,
    )


@transaction.atomic
def order_place_quoted(
    *,
    customer: Customer,
    placed_by: User,
    product: Product,
    description: str,
    price: Decimal,
    aup_accepted: bool,
    ip_address: str | None,
    label: str = "",
    warranty_from: date | None = None,
    staff_note: str = "",
) -> Order:
    """K2, K9: an order at a price staff quoted (a custom project), through the same
    checks, Order, pending Service and first invoice as ``order_place``; only the price
    comes from the quote instead of the catalogue. The service is one-time; ``label``
    says which one it is, and its warranty (H7) runs from ``warranty_from`` when given
    (an estimated delivery) instead of from its activation."""
    _check_orderer(customer=customer, placed_by=placed_by, aup_accepted=aup_accepted)
    if price is None or price <= 0:
        raise ValidationError(_("The price must be more than Rp 0."))
    line = LineSpec(description, price, product.applies_ppn)
    item = PricedItem(
        0, product, None, None, "", "", BillingCycle.ONE_TIME, price, [line],
        label=label, warranty_from=warranty_from,
    )  # fmt: skip
    return _place(
        customer=customer,
        placed_by=placed_by,
        priced=[item],
        ip_address=ip_address,
        staff_note=staff_note,
        today=clock.today(),
    )


def _place(
    *,
    customer: Customer,
    placed_by: User,
    priced: list[PricedItem],
    ip_address: str | None,
    staff_note: str,
    today: date,
) -> Order:
    """K2, K9: the Order with the acknowledgement, a pending Service per item and the
    first invoice, once nothing is missing (``order_blockers``)."""
    steps = order_blockers(customer=customer, items=priced)
    if steps:
        raise OrderBlocked(steps)
    order = Order.objects.create(
        customer=customer,
        placed_by=placed_by,
        aup_accepted_at=clock.now(),
        aup_ip_address=ip_address,
        aup_version=AUP_VERSION,
        staff_note=staff_note,
    )
    lines, line_services = [], []
    for item in priced:
        service = Service(
            customer=customer,
            order=order,
            product=item.product,
            plan=item.plan,
            domain_name=item.domain_name,
            domain_action=item.domain_action,
            label=item.label,
            cycle=item.cycle,
            recurring_price=item.recurring_price,
            warranty_end=_warranty_end(item.product, start=item.warranty_from),
        )
        audited(service, actor=placed_by, reason=f"ordered in order {order.pk}").save()
        lines += item.lines
        line_services += [service] * len(item.lines)
    invoice_issue(
        customer=customer,
        lines=lines,
        services=line_services,
        issue_date=today,
        order=order,
        actor=placed_by,
    )
    return order


def _warranty_end(product: Product, *, start: date | None) -> date | None:
    """H7: the last day of the product's warranty that starts on ``start``."""
    if start is None or not product.warranty_days:
        return None
    return start + timedelta(days=product.warranty_days)


def _needs_verified_identity(service: Service) -> bool:
    """K8: the product says so, or the domain's extension needs company documents."""
    if service.product.requires_verified_identity:
        return True
    return (
        service.product.is_domain
        and TldPrice.objects.filter(
            requires_company_documents=True, tld__in=_suffixes(service.domain_name)
        ).exists()
    )


def _suffixes(domain: str) -> list[str]:
    labels = domain.split(".")
    return ["." + ".".join(labels[i:]) for i in range(1, len(labels))]


def service_activate(*, service: Service, actor: User | None, reason: str = "") -> Service:
    """H1: start the service's first period today; its warranty (H7) runs from now,
    unless the order fixed where it runs from (a custom project's: its delivery).

    A recurring service gets its schedule (K4, K5): periods repeat from today, and
    its invoices are issued INVOICE_LEAD_DAYS before each period starts.
    """
    today = clock.today()
    service.status = Service.Status.ACTIVE
    service.status_reason = ""
    service.activated_at = clock.now()
    service.period_start = today
    if CYCLE_MONTHS[service.cycle]:
        schedule = Schedule.starting(
            first_day=today, cycle=service.cycle, lead_days=settings.INVOICE_LEAD_DAYS
        )
        service.period_anchor, service.invoice_anchor = (
            schedule.period_anchor,
            schedule.invoice_anchor,
        )
        service.period_end = schedule.period(0).end
        service.next_due_date = schedule.period(1).start
        service.next_invoice_date = schedule.period(1).issue_date
    if service.warranty_end is None:
        service.warranty_end = _warranty_end(service.product, start=today)
    audited(service, actor=actor, reason=reason or "activated").save()
    return service


def service_set_warranty_start(
    *, service: Service, start: date, actor: User, reason: str
) -> Service:
    """H7: the warranty of ``service`` now runs from ``start`` for its product's
    warranty days (a custom project's: from its estimated, then its real delivery).
    Audited with the actor and the reason."""
    with transaction.atomic():
        locked = Service.objects.select_for_update(of=("self",)).select_related("product")
        locked = locked.get(pk=service.pk)
        locked.warranty_end = _warranty_end(locked.product, start=start)
        audited(locked, actor=actor, reason=reason).save(update_fields=["warranty_end"])
    return locked


def services_activate_for_invoice(*, invoice, actor: User | None) -> None:
    """K3, K8: a paid invoice activates its pending services, except those whose
    product needs verified identity while the customer's is not verified: they wait,
    with the reason shown to both sides."""
    verified = identity_state(customer=invoice.customer).verified
    pending = (
        Service.objects.select_for_update(of=("self",))
        .filter(pk__in=invoice.lines.values("service_id"), status=Service.Status.PENDING)
        .select_related("product__group")
    )
    for service in pending:
        if _needs_verified_identity(service) and not verified:
            service.status_reason = _(
                "Paid. Waiting for identity verification before activation (K8)."
            )
            audited(service, actor=actor, reason="waiting for identity").save()
        else:
            service_activate(service=service, actor=actor, reason=f"invoice {invoice} paid")


def services_activate_waiting(*, customer: Customer, actor: User | None) -> int:
    """K8: once the identity is verified, activate the paid services that waited for it.

    Each is claimed by a conditional UPDATE (still pending → active), as staff
    activation claims it (``service_activate_by_staff``): a service that staff
    activated meanwhile is left as they activated it, not started a second time."""
    from invoices.models import Invoice

    waiting = (
        Service.objects.filter(
            customer=customer,
            status=Service.Status.PENDING,
            invoice_lines__invoice__status=Invoice.Status.PAID,
        )
        .select_related("product__group")
        .distinct()
        .order_by("pk")
    )
    count = 0
    for service in waiting:
        with transaction.atomic():
            claimed = Service.objects.filter(pk=service.pk, status=Service.Status.PENDING).update(
                status=Service.Status.ACTIVE
            )
            if claimed:
                service_activate(service=service, actor=actor, reason="identity verified")
                count += claimed
    return count


def service_set_status(*, service: Service, status: str, actor: User, reason: str) -> Service:
    """Staff move a service between statuses (suspend, unsuspend, cancel, expire),
    always with a reason that is audited and shown to the customer. Restoring a
    suspended service waives its overdue invoices for the overdue run
    (``invoices.services.suspension_waive``)."""
    if not reason.strip():
        raise ValidationError(_("Say why, so the customer knows."))
    allowed = {
        Service.Status.SUSPENDED: {Service.Status.ACTIVE},
        Service.Status.ACTIVE: {Service.Status.SUSPENDED},
        Service.Status.CANCELLED: {Service.Status.PENDING, Service.Status.ACTIVE,
                                   Service.Status.SUSPENDED},
        Service.Status.EXPIRED: {Service.Status.ACTIVE, Service.Status.SUSPENDED},
    }  # fmt: skip
    with transaction.atomic():
        locked = Service.objects.select_for_update().get(pk=service.pk)
        if locked.status not in allowed.get(status, set()):
            raise ValidationError(
                _("A %(current)s service cannot become %(new)s.")
                % {
                    "current": locked.get_status_display().lower(),
                    "new": Service.Status(status).label.lower(),
                }
            )
        if status == Service.Status.ACTIVE:
            # Re-activated by staff while invoices are overdue: recorded, so that the
            # overdue run does not suspend it again for them.
            from invoices.services import suspension_waive

            suspension_waive(service=locked, staff=actor, reason=reason.strip())
            locked.suspended_for = None
        locked.status = status
        locked.status_reason = reason.strip() if status != Service.Status.ACTIVE else ""
        audited(locked, actor=actor, reason=f"{status}: {reason.strip()}").save()
    return locked


def service_activate_by_staff(
    *, service: Service, staff: User, reason: str, override: bool = False
) -> Service:
    """H1, K3, K8: staff activate a pending service now, with a reason that is audited.
    Refused while its invoice is not paid (K3) or while its product needs a verified
    identity the customer does not have (K8), unless staff ``override`` the checks:
    then the reason is recorded as the override.

    A conditional UPDATE (still pending → active) decides, so two staff at once
    activate it once; ``service_activate`` then sets its period and warranty."""
    from invoices.models import Invoice

    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Say why the service is activated now."))
    with transaction.atomic():
        current = Service.objects.select_related("product__group", "customer").get(pk=service.pk)
        if not override and current.status == Service.Status.PENDING:
            invoices = Invoice.objects.filter(lines__service=current).distinct()
            if not invoices.filter(status=Invoice.Status.PAID).exists():
                unpaid = invoices.order_by("issue_date", "pk").first()
                if unpaid is None:
                    raise ValidationError(
                        _(
                            "This service has no invoice, so nothing has been paid for it: "
                            'use the action "Activate now (override the checks)" with the '
                            "reason for it."
                        )
                    )
                raise ValidationError(
                    _(
                        "Invoice %(number)s of this service is not paid: approve its payment "
                        'first, or use the action "Activate now (override the checks)" with '
                        "the reason for it."
                    )
                    % {"number": unpaid.number}
                )
            if (
                _needs_verified_identity(current)
                and not identity_state(customer=current.customer).verified
            ):
                raise ValidationError(
                    _(
                        "This product needs a verified identity (K8) and the customer's is not "
                        "verified yet: verify the identity documents first, or use the action "
                        '"Activate now (override the checks)" with the reason for it.'
                    )
                )
        claimed = Service.objects.filter(pk=current.pk, status=Service.Status.PENDING).update(
            status=Service.Status.ACTIVE
        )
        if not claimed:
            current.refresh_from_db(fields=["status"])
            raise ValidationError(
                _("This service is %(status)s, not pending: there is nothing to activate.")
                % {"status": current.get_status_display().lower()}
            )
        audit = f"activated by staff (override: {reason})" if override else f"activated: {reason}"
        return service_activate(service=current, actor=staff, reason=audit)
