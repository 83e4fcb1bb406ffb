"""Every state change of custom projects (the rest of the policy: custom projects).

Keyword-only; the actor is passed in; each decision is saved with its actor and
reason in the history; mail goes out after commit. Staff decide (quote, reject,
start, scope change, delivery); the customer's responsible contact submits, accepts
the quote (which orders it, K2, with the acceptable-use acknowledgement, K9) or
withdraws it. A customer cannot take a staff decision, whatever they post.

An accepted project is a Service of the custom-project product (``project_product``),
so it has a support department, priority and status like any service (H1, H2); its
warranty runs from the delivery (H7).
"""

from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core import clock
from core.audit import audited
from customers.models import Contact, Customer, Role, User
from orders import services as order_services
from orders.models import Department, Priority, Product, ProductGroup, Service
from projects import tasks
from projects.models import CustomProject, ScopeChange

Status = CustomProject.Status
MAX_EXTRA_DAYS = 365
PROJECT_PRODUCT_SLUG = "custom-project"
PROJECT_GROUP_SLUG = "project-khusus"
PROJECT_GROUP = {"kind": "project", "name_id": "Project Khusus", "name_en": "Custom projects"}
PROJECT_PRODUCT = {
    "name_id": "Project Khusus",
    "name_en": "Custom project",
    "description_id": "Dipesan dengan menerima penawaran sebuah project khusus.",
    "description_en": "Ordered by accepting the quote of a custom project.",
    "is_active": False,  # not in the catalogue: a project is ordered by accepting its quote
    "warranty_days": 60,
    "support_department": Department.PROJECTS,
    "support_priority": Priority.HIGH,
}


def project_product() -> Product:
    """K2, H2, H7: the product every custom project is ordered as, in the custom-projects
    group, with support department "projects"; its warranty days count from the
    delivery. Created on first use; staff tune its warranty and priority in admin."""
    product = Product.objects.filter(slug=PROJECT_PRODUCT_SLUG).first()
    if product is not None:
        return product
    group = ProductGroup.objects.filter(kind=ProductGroup.Kind.PROJECT).order_by("pk").first()
    if group is None:
        group, _created = ProductGroup.objects.get_or_create(
            slug=PROJECT_GROUP_SLUG, defaults=PROJECT_GROUP
        )
    product, _created = Product.objects.get_or_create(
        slug=PROJECT_PRODUCT_SLUG, defaults={**PROJECT_PRODUCT, "group": group}
    )
    return product


def _project_service(project: CustomProject) -> Service | None:
    """The service the project was ordered as (none for a project accepted before
    projects had one)."""
    if project.order_id is None:
        return None
    return Service.objects.filter(order_id=project.order_id).order_by("pk").first()


def _restart_warranty(project: CustomProject, *, start: date, actor: User, reason: str) -> None:
    """H7: the project's warranty runs from ``start`` (its estimated, then real delivery)."""
    service = _project_service(project)
    if service is not None:
        order_services.service_set_warranty_start(
            service=service, start=start, actor=actor, reason=reason
        )


def _require_staff(actor: User) -> None:
    """Partners, not kings: only staff take these decisions."""
    if not actor.is_staff:
        raise PermissionDenied(_("Only Masternet staff can do this."))


def _require_responsible(*, customer: Customer, user: User) -> None:
    """K7: the responsible contact acts for the account."""
    if not Contact.objects.filter(customer=customer, user=user, role=Role.RESPONSIBLE).exists():
        raise PermissionDenied(_("Only the account's responsible contact can do this."))


def _require_reason(reason: str, *, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({field: _("Say why, so the customer knows.")})
    return reason


def _locked(project: CustomProject, *, allowed: tuple[str, ...]) -> CustomProject:
    """The project's row, locked for this transaction, in one of the ``allowed`` statuses."""
    locked = CustomProject.objects.select_for_update().get(pk=project.pk)
    if locked.status not in allowed:
        raise ValidationError(
            _("This project is %(status)s; that is no longer possible.")
            % {"status": locked.get_status_display().lower()}
        )
    return locked


def project_submit(
    *,
    customer: Customer,
    requested_by: User,
    title: str,
    requirements: str,
    technology: str,
    workflow: str,
    design_reference_url: str = "",
    design_reference_file=None,
    design_file_kind=None,
) -> CustomProject:
    """Custom projects: the request carries the basics the policy names: a layout or
    design reference (a link or a checked JPEG/PNG/PDF), what the project needs, what
    it is to be built with and how it should work, each of real length.

    Only the responsible contact (K7) requests projects, because accepting one orders.
    """
    _require_responsible(customer=customer, user=requested_by)
    project = CustomProject(
        customer=customer,
        requested_by=requested_by,
        title=title.strip(),
        design_reference_url=(design_reference_url or "").strip(),
        requirements=requirements.strip(),
        technology=technology.strip(),
        workflow=workflow.strip(),
    )
    if design_reference_file:
        if design_file_kind is None:
            raise ValidationError({"design_reference_file": _("This file was not checked.")})
        project.design_reference_file = design_reference_file
        project.design_file_content_type = design_file_kind.mime
        project.design_file_extension = design_file_kind.extension
    if not project.design_reference_url and not project.design_reference_file:
        raise ValidationError(
            {"design_reference_url": _("Give a link to a design or upload a design file.")}
        )
    project.full_clean()
    audited(project, actor=requested_by, reason="project requested").save()
    transaction.on_commit(lambda: tasks.notify_staff.delay(project.pk, "submitted"))
    return project


def project_quote(
    *, project: CustomProject, staff: User, price: Decimal, delivery_date: date, note: str = ""
) -> CustomProject:
    """Custom projects: staff quote the price (before PPN) and the estimated delivery
    date. A quote can be revised until the customer accepts it; each revision counts,
    so an acceptance is always for the quote the customer read. The responsible
    contact is told by e-mail after commit, in their language."""
    _require_staff(staff)
    if price is None or price <= 0:
        raise ValidationError({"quoted_price": _("The price must be more than Rp 0.")})
    if delivery_date is None or delivery_date <= clock.today():
        raise ValidationError({"quoted_delivery_date": _("The delivery date must be after today.")})
    with transaction.atomic():
        locked = _locked(project, allowed=(Status.SUBMITTED, Status.QUOTED))
        revised = locked.status == Status.QUOTED
        locked.status = Status.QUOTED
        locked.quoted_price = Decimal(price).quantize(Decimal("0.01"))
        locked.quoted_delivery_date = delivery_date
        locked.quote_note = (note or "").strip()
        locked.quote_revision += 1  # the row is locked: no other quote interleaves
        locked.quoted_by = staff
        locked.quoted_at = clock.now()
        reason = (
            f"{'quote revised' if revised else 'quoted'}: {locked.quoted_price} by {delivery_date}"
        )
        audited(locked, actor=staff, reason=reason).save()
        transaction.on_commit(lambda: tasks.send_project_news.delay(locked.pk, "quoted"))
    return locked


def project_reject(*, project: CustomProject, staff: User, reason: str) -> CustomProject:
    """Custom projects: staff decline a request (before it is accepted), with a reason
    that is recorded and e-mailed to the responsible contact."""
    _require_staff(staff)
    reason = _require_reason(reason)
    with transaction.atomic():
        locked = _locked(project, allowed=(Status.SUBMITTED, Status.QUOTED))
        locked.status = Status.REJECTED
        locked.status_reason = reason
        locked.decided_by = staff
        audited(locked, actor=staff, reason=f"rejected: {reason}").save()
        transaction.on_commit(lambda: tasks.send_project_news.delay(locked.pk, "rejected"))
    return locked


def project_cancel(*, project: CustomProject, actor: User, reason: str = "") -> CustomProject:
    """The responsible contact withdraws a request, or staff cancel it with a reason,
    as long as nothing was ordered (before the quote is accepted)."""
    if actor.is_staff:
        reason = _require_reason(reason)
    else:
        _require_responsible(customer=project.customer, user=actor)
        reason = (reason or "").strip()
    with transaction.atomic():
        locked = _locked(project, allowed=(Status.SUBMITTED, Status.QUOTED))
        locked.status = Status.CANCELLED
        locked.status_reason = reason
        locked.decided_by = actor
        audit = f"cancelled by {'staff' if actor.is_staff else 'the customer'}"
        audited(locked, actor=actor, reason=f"{audit}: {reason}" if reason else audit).save()
    return locked


def project_accept_quote(
    *,
    project: CustomProject,
    accepted_by: User,
    revision: int,
    aup_accepted: bool,
    ip_address: str | None,
) -> CustomProject:
    """Custom projects, K2, K9: the responsible contact accepts the quote they read,
    which orders the project through ``orders.services.order_place_quoted``, the code
    every order goes through: the same gate (``order_blockers``: terms, complete
    responsible contact, identity documents), an Order recording the acceptable-use
    acknowledgement (K9: time, IP, policy version), a pending one-time Service of
    ``project_product`` named after the project (H1, H2: once paid it opens the
    "projects" support department) and its invoice, the quoted price plus PPN. H7: the
    warranty counts from the estimated delivery until the project is delivered.

    The project's row is locked first: exactly one acceptance of the revision the
    customer read gets through; a second one, or one for a quote staff have revised
    since, is refused before anything is ordered.
    """
    _require_responsible(customer=project.customer, user=accepted_by)
    if not aup_accepted:
        raise ValidationError(
            {"accept_aup": _("Confirm that you are responsible for how the result is used.")}
        )
    with transaction.atomic():
        locked = CustomProject.objects.select_for_update().get(pk=project.pk)
        if locked.status != Status.QUOTED:
            raise ValidationError(
                _("This quote can no longer be accepted: the project is %(status)s.")
                % {"status": locked.get_status_display().lower()},
                code="quote_not_open",
            )
        if locked.quote_revision != revision:
            raise ValidationError(
                _(
                    "Our staff revised this quote while you were reading it. "
                    "Read the new quote, then accept it."
                ),
                code="quote_not_open",
            )
        order = order_services.order_place_quoted(
            customer=locked.customer,
            placed_by=accepted_by,
            product=project_product(),
            description=_("Custom project: %(title)s") % {"title": locked.title},
            price=locked.quoted_price,
            aup_accepted=aup_accepted,
            ip_address=ip_address,
            label=locked.title,
            warranty_from=locked.quoted_delivery_date,
            staff_note=f"Custom project #{locked.pk}",
        )
        locked.status = Status.ACCEPTED
        locked.order = order
        locked.accepted_by = accepted_by
        locked.accepted_at = order.aup_accepted_at
        locked.estimated_delivery_date = locked.quoted_delivery_date
        audited(locked, actor=accepted_by, reason=f"quote accepted, order {order.pk}").save(
            update_fields=[
                "status",
                "order",
                "accepted_by",
                "accepted_at",
                "estimated_delivery_date",
            ]
        )
        transaction.on_commit(lambda: tasks.notify_staff.delay(locked.pk, "accepted"))
    return locked


def project_start(*, project: CustomProject, staff: User) -> CustomProject:
    """Custom projects: staff start the work on an accepted project. From now on a
    change of definition is a scope change that moves the delivery date."""
    _require_staff(staff)
    with transaction.atomic():
        locked = _locked(project, allowed=(Status.ACCEPTED,))
        locked.status = Status.IN_PROGRESS
        locked.started_at = clock.now()
        locked.decided_by = staff
        audited(locked, actor=staff, reason="work started").save()
        transaction.on_commit(lambda: tasks.send_project_news.delay(locked.pk, "started"))
    return locked


def scope_change_record(
    *,
    project: CustomProject,
    staff: User,
    requested_by: User,
    description: str,
    extra_days: int,
) -> ScopeChange:
    """Custom projects: changing the definition after work started extends the
    timeline. Staff record what changed and who asked for it (a contact of the
    customer or a staff member); the estimated delivery date moves by exactly
    ``extra_days``. Audited on the project; the responsible contact is told."""
    _require_staff(staff)
    if extra_days is None or not 1 <= extra_days <= MAX_EXTRA_DAYS:
        raise ValidationError(
            {
                "extra_days": _("A scope change adds between 1 and %(max)d days.")
                % {"max": MAX_EXTRA_DAYS}
            }
        )
    with transaction.atomic():
        locked = CustomProject.objects.select_for_update().get(pk=project.pk)
        if locked.status != Status.IN_PROGRESS:
            raise ValidationError(
                _(
                    "A scope change is recorded only while the work is in progress; "
                    "this project is %(status)s."
                )
                % {"status": locked.get_status_display().lower()}
            )
        if requested_by.is_staff:
            side = ScopeChange.Side.STAFF
        elif Contact.objects.filter(customer_id=locked.customer_id, user=requested_by).exists():
            side = ScopeChange.Side.CUSTOMER
        else:
            raise ValidationError(
                {"requested_by": _("Choose a contact of this customer or a staff member.")}
            )
        previous = locked.estimated_delivery_date
        change = ScopeChange(
            project=locked,
            description=(description or "").strip(),
            requested_by=requested_by,
            requested_by_side=side,
            extra_days=extra_days,
            previous_date=previous,
            new_date=previous + timedelta(days=extra_days),
            recorded_by=staff,
        )
        change.full_clean()
        change.save()
        locked.estimated_delivery_date = change.new_date
        reason = (
            f"scope change {change.pk}: +{extra_days} days ({previous} -> {change.new_date}), "
            f"requested by {requested_by.email}"
        )
        audited(locked, actor=staff, reason=reason).save(update_fields=["estimated_delivery_date"])
        _restart_warranty(
            locked, start=change.new_date, actor=staff, reason=f"project scope change {change.pk}"
        )
        transaction.on_commit(lambda: tasks.send_project_news.delay(locked.pk, "scope_changed"))
    return change


def project_deliver(*, project: CustomProject, staff: User) -> CustomProject:
    """Custom projects: staff mark the work delivered; the responsible contact is told.
    H7: the project's warranty runs from today, for its product's warranty days."""
    _require_staff(staff)
    with transaction.atomic():
        locked = _locked(project, allowed=(Status.IN_PROGRESS,))
        locked.status = Status.DELIVERED
        locked.delivered_at = clock.now()
        locked.decided_by = staff
        audited(locked, actor=staff, reason="delivered").save()
        _restart_warranty(
            locked, start=clock.today(), actor=staff, reason=f"project #{locked.pk} delivered"
        )
        transaction.on_commit(lambda: tasks.send_project_news.delay(locked.pk, "delivered"))
    return locked
