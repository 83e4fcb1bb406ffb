"""Every state change of orders and services (K2, K9, H1).

Customers and staff place orders through the same ``order_place``.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from core import clock
from customers.models import Customer, DocumentKind, Role, User
from customers.selectors import Step, identity_state, missing_steps, responsible_contact
from invoices.periods import CYCLE_MONTHS, Schedule
from invoices.services import invoice_issue
from orders.cart import CartItem
from orders.models import Order, Service, TldPrice
from orders.pricing import PricedItem, price_items

AUP_VERSION = "2026.1"


class OrderBlocked(Exception):
    """K2: the account is missing steps (terms, contact, identity) before it may order."""

    def __init__(self, steps):
        super().__init__(", ".join(step.code for step in steps))
        self.steps = steps


def _audited(instance, *, actor, reason: str):
    instance._history_user = actor
    instance._change_reason = reason
    return instance


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
    if (
        not placed_by.is_staff
        and not customer.contacts.filter(user=placed_by, role=Role.RESPONSIBLE).exists()
    ):
        raise ValidationError(_("Only the account's responsible contact can place orders."))
    if not aup_accepted:
        raise ValidationError(
            {"accept_aup": _("Confirm that you are responsible for how the services are used.")}
        )
    today = clock.today()
    priced = price_items(items, start=today)
    if not priced:
        raise ValidationError(_("Your cart is empty, or its products are no longer on sale."))
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
            cycle=item.cycle,
            recurring_price=item.recurring_price,
        )
        _audited(service, actor=placed_by, reason=f"ordered in order {order.pk}").save()
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
    """H1: start the service's first period today; its warranty (H7) runs from now.

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
    warranty_days = service.product.warranty_days
    service.warranty_end = today + timedelta(days=warranty_days) if warranty_days else None
    _audited(service, actor=actor, reason=reason or "activated").save()
    return service


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
            _audited(service, actor=actor, reason="waiting for identity").save()
        else:
            service_activate(service=service, actor=actor, reason=f"invoice {invoice} paid")


def services_activate_waiting(*, customer: Customer, actor: User | None) -> int:
    """K8: once the identity is verified, activate the paid services that waited for it."""
    from invoices.models import Invoice

    waiting = (
        Service.objects.filter(
            customer=customer,
            status=Service.Status.PENDING,
            invoice_lines__invoice__status=Invoice.Status.PAID,
        )
        .select_related("product__group")
        .distinct()
    )
    count = 0
    for service in waiting:
        service_activate(service=service, actor=actor, reason="identity verified")
        count += 1
    return count


def service_set_status(*, service: Service, status: str, actor: User, reason: str) -> Service:
    """Staff move a service between statuses (suspend, unsuspend, cancel, expire),
    always with a reason that is audited and shown to the customer."""
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
        locked.status = status
        locked.status_reason = reason.strip() if status != Service.Status.ACTIVE else ""
        _audited(locked, actor=actor, reason=f"{status}: {reason.strip()}").save()
    return locked
