"""Every state change of the policy's requests (K4, K5, H4, H5).

Customers are held to the 30-day notice rule; staff may set it aside, only with an
override reason that is recorded in the audit.
"""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core import clock
from customers.models import Role, User
from customers.selectors import identity_state
from invoices.models import Invoice
from invoices.periods import Period, in_time
from invoices.services import invoice_issue
from orders.models import Plan, Service
from orders.pricing import LineSpec
from policy import tasks
from policy.models import Decision, Migration, PaymentDeferral, ServiceChange, TechnicalChange

OPEN_SERVICE = (Service.Status.ACTIVE, Service.Status.SUSPENDED)


class TooLate(ValidationError):
    """K4, K5: the deadline for the period's invoice has passed.

    Carries the period that was missed and the earliest period still open, so the
    customer can be offered that one.
    """

    def __init__(self, *, missed: Period, earliest: Period):
        self.missed, self.earliest = missed, earliest
        super().__init__(
            _(
                "Requests about the invoice of %(issue)s (period starting %(start)s) had to "
                "reach us by %(deadline)s, 30 days before the invoice. The earliest period you "
                "can still ask for starts on %(next_start)s: its deadline is %(next_deadline)s."
            )
            % {
                "issue": _day(missed.issue_date),
                "start": _day(missed.start),
                "deadline": _day(missed.deadline),
                "next_start": _day(earliest.start),
                "next_deadline": _day(earliest.deadline),
            },
            code="too_late",
        )


def _day(value) -> str:
    return date_format(value, "j F Y")


def _audited(instance, *, actor, reason: str):
    instance._history_user = actor
    instance._change_reason = reason
    return instance


def _open_schedule(service: Service):
    if service.status not in OPEN_SERVICE:
        raise ValidationError(
            _("This service is %(status)s; requests can only be made for an active service.")
            % {"status": service.get_status_display().lower()}
        )
    schedule = service.schedule
    if schedule is None:
        raise ValidationError(
            _("This service is not billed per period, so there is no next invoice.")
        )
    return schedule


def request_period(
    *, service: Service, period_start=None, actor: User, override_reason: str = ""
) -> Period:
    """K4, K5: the period a request is about (default: the next one), held to the
    30-day rule unless staff override it with a reason."""
    schedule = _open_schedule(service)
    today = clock.today()
    upcoming = schedule.next_period(today)
    period = upcoming
    if period_start is not None:
        period = schedule.period_containing(period_start)
        if period.start != period_start or period.index < upcoming.index:
            raise ValidationError(_("Choose a period that has not started yet."))
    if in_time(today=today, issue_date=period.issue_date):
        return period
    if actor.is_staff and override_reason.strip():
        return period
    raise TooLate(missed=period, earliest=schedule.earliest_open_period(today))


def _save_new(instance, *, actor, reason: str):
    instance.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            _audited(instance, actor=actor, reason=reason).save()
    except IntegrityError as exc:
        raise ValidationError(
            _("A request like this for the same period is already open.")
        ) from exc
    return instance


def deferral_submit(
    *, service: Service, requested_by: User, reason: str, proposed_due_date,
    period_start=None, override_reason: str = "",
) -> PaymentDeferral:  # fmt: skip
    """K4: ask to pay a period's invoice later. On or before the deadline it waits for
    staff; after it, ``TooLate`` names the missed deadline and the next open period."""
    period = request_period(
        service=service, period_start=period_start, actor=requested_by,
        override_reason=override_reason,
    )  # fmt: skip
    normal_due = period.issue_date + timedelta(days=settings.INVOICE_DUE_DAYS)
    if proposed_due_date <= normal_due:
        raise ValidationError(
            {
                "proposed_due_date": _(
                    "The invoice is due on %(due)s anyway; propose a later date."
                )
                % {"due": _day(normal_due)}
            }
        )
    if proposed_due_date > period.end:
        raise ValidationError(
            {
                "proposed_due_date": _(
                    "A payment can be deferred at most until the end of its period, %(end)s."
                )
                % {"end": _day(period.end)}
            }
        )
    deferral = PaymentDeferral(
        customer=service.customer,
        service=service,
        requested_by=requested_by,
        period_start=period.start,
        issue_date=period.issue_date,
        deadline=period.deadline,
        reason=reason,
        proposed_due_date=proposed_due_date,
        override_reason=override_reason.strip(),
    )
    return _save_new(deferral, actor=requested_by, reason="deferral requested")


def service_change_submit(
    *, service: Service, requested_by: User, kind: str, new_plan: Plan | None = None,
    addon_description: str = "", note: str = "", period_start=None, override_reason: str = "",
) -> ServiceChange:  # fmt: skip
    """K5: change the service from a period's invoice on. A late request raises
    ``TooLate``, which offers the earliest period it can still apply to."""
    if kind in (ServiceChange.Kind.UPGRADE, ServiceChange.Kind.DOWNGRADE):
        if new_plan is None or new_plan.product_id != service.product_id:
            raise ValidationError({"new_plan": _("Choose another plan of the same product.")})
        if new_plan.pk == service.plan_id:
            raise ValidationError({"new_plan": _("This is the plan the service already has.")})
        if (kind == ServiceChange.Kind.UPGRADE) != (new_plan.price > service.recurring_price):
            raise ValidationError(
                {"kind": _("An upgrade costs more than the current plan; a downgrade costs less.")}
            )
    period = request_period(
        service=service, period_start=period_start, actor=requested_by,
        override_reason=override_reason,
    )  # fmt: skip
    change = ServiceChange(
        customer=service.customer,
        service=service,
        requested_by=requested_by,
        period_start=period.start,
        issue_date=period.issue_date,
        deadline=period.deadline,
        kind=kind,
        new_plan=new_plan,
        addon_description=addon_description,
        note=note,
        override_reason=override_reason.strip(),
    )
    return _save_new(change, actor=requested_by, reason=f"change requested: {kind}")


def _lock_pending(model, pk):
    locked = model.objects.select_for_update().get(pk=pk)
    if locked.status != Decision.PENDING:
        raise ValidationError(_("This request was already decided."))
    return locked


def _decide(locked, *, staff: User, approve: bool, reason: str, override_reason: str = ""):
    if not approve and not reason.strip():
        raise ValidationError(_("Say why, so the customer understands."))
    locked.status = Decision.APPROVED if approve else Decision.REJECTED
    locked.decided_by = staff
    locked.decided_at = clock.now()
    locked.decision_reason = reason.strip()
    if override_reason.strip():
        locked.override_reason = override_reason.strip()
    label = "approved" if approve else "rejected"
    if locked.override_reason:
        label += f" (override: {locked.override_reason})"
    _audited(locked, actor=staff, reason=label).save()
    kind = locked._meta.model_name
    transaction.on_commit(lambda: tasks.send_decision.delay(kind, locked.pk))
    return locked


def _late_needs_override(request, *, approve: bool, override_reason: str):
    """K4, K5: a request that missed its deadline is approved only with an override."""
    late = request.was_late
    if approve and late and not (request.override_reason or override_reason.strip()):
        raise ValidationError(
            _("This request came after its deadline of %(deadline)s: give an override reason.")
            % {"deadline": _day(request.deadline)}
        )


@transaction.atomic
def deferral_decide(
    *, deferral: PaymentDeferral, staff: User, approve: bool, reason: str = "",
    override_reason: str = "",
) -> PaymentDeferral:  # fmt: skip
    """K4: staff approve (the period's invoice becomes due on the proposed date,
    now or when it is issued) or reject with a reason."""
    locked = _lock_pending(PaymentDeferral, deferral.pk)
    _late_needs_override(locked, approve=approve, override_reason=override_reason)
    if approve:
        invoice = (
            Invoice.objects.select_for_update()
            .filter(service=locked.service, period_start=locked.period_start)
            .first()
        )
        if invoice is not None:
            apply_deferral(invoice=invoice, deferral=locked, actor=staff)
    return _decide(
        locked, staff=staff, approve=approve, reason=reason, override_reason=override_reason
    )


def apply_deferral(*, invoice: Invoice, deferral: PaymentDeferral, actor) -> Invoice:
    """K4: move the invoice's due date to the approved date (audited)."""
    invoice.due_date = deferral.proposed_due_date
    _audited(invoice, actor=actor, reason=f"due date deferred (deferral {deferral.pk})").save()
    deferral.applied_to = invoice
    return invoice


def approved_deferral(*, service: Service, period_start) -> PaymentDeferral | None:
    """K4: the approved deferral of a period, which the recurring invoice run applies."""
    return PaymentDeferral.objects.filter(
        service=service, period_start=period_start, status=Decision.APPROVED
    ).first()


@transaction.atomic
def service_change_decide(
    *, change: ServiceChange, staff: User, approve: bool, reason: str = "",
    override_reason: str = "", addon_price: Decimal | None = None,
    effective_immediately: bool = False,
) -> ServiceChange:  # fmt: skip
    """K5: staff approve or reject a change. An approved change takes effect on the
    invoice of its period (the recurring run reads it). An upgrade applied mid-period
    is outside the rule: staff need an override reason, and the difference for the
    rest of the current period is prorated on a separate invoice."""
    locked = _lock_pending(ServiceChange, change.pk)
    _late_needs_override(locked, approve=approve, override_reason=override_reason)
    if approve and locked.kind == ServiceChange.Kind.ADDON:
        if addon_price is None:
            raise ValidationError(_("Set the add-on's price per period before approving."))
        locked.addon_price = addon_price
    if approve and effective_immediately:
        if locked.kind != ServiceChange.Kind.UPGRADE:
            raise ValidationError(_("Only an upgrade can be applied in the middle of a period."))
        if not override_reason.strip():
            raise ValidationError(_("Applying an upgrade mid-period needs an override reason."))
        locked.effective_immediately = True
        _upgrade_now(change=locked, actor=staff)
    return _decide(
        locked, staff=staff, approve=approve, reason=reason, override_reason=override_reason
    )


def prorated_difference(*, old_price, new_price, period_start, period_end, today) -> Decimal:
    """K5 override: the price difference for the days left in the current period."""
    total_days = (period_end - period_start).days + 1
    left = max((period_end - today).days + 1, 0)
    difference = (Decimal(new_price) - Decimal(old_price)) * left / total_days
    return difference.quantize(Decimal("1"), rounding=ROUND_HALF_UP)


def _upgrade_now(*, change: ServiceChange, actor: User) -> None:
    service = Service.objects.select_for_update().get(pk=change.service_id)
    today = clock.today()
    amount = prorated_difference(
        old_price=service.recurring_price,
        new_price=change.new_plan.price,
        period_start=service.period_start,
        period_end=service.period_end,
        today=today,
    )
    if amount > 0:
        invoice_issue(
            customer=service.customer,
            lines=[
                LineSpec(
                    _("Upgrade to %(plan)s from %(from)s to %(to)s (prorated)")
                    % {
                        "plan": change.new_plan.name,
                        "from": _day(today),
                        "to": _day(service.period_end),
                    },
                    amount,
                    service.product.applies_ppn,
                    period_start=today,
                    period_end=service.period_end,
                )
            ],
            services=[service],
            issue_date=today,
            actor=actor,
        )
    service.plan = change.new_plan
    service.recurring_price = change.new_plan.price
    _audited(service, actor=actor, reason=f"upgraded mid-period (change {change.pk})").save()


def approved_changes(*, service: Service, period_start):
    """K5: the approved changes that apply from a period on, oldest first."""
    return ServiceChange.objects.filter(
        service=service,
        status=Decision.APPROVED,
        period_start__lte=period_start,
        effective_immediately=False,
    ).order_by("period_start", "pk")


def technical_change_submit(
    *, service: Service, requested_by: User, kind: str, details: str, letter=None,
    letter_kind=None,
) -> TechnicalChange:  # fmt: skip
    """H4: the verified responsible contact may ask directly; anyone else must add a
    letter of authorisation (surat kuasa) that staff check first."""
    if service.status in (Service.Status.CANCELLED, Service.Status.EXPIRED):
        raise ValidationError(_("This service has ended; its technical data cannot change."))
    contact = service.customer.contacts.filter(user=requested_by).first()
    proven = (
        contact is not None
        and contact.role == Role.RESPONSIBLE
        and identity_state(customer=service.customer).verified
    )
    if not proven and letter is None:
        raise ValidationError(
            {
                "letter": _(
                    "Only the responsible contact with a verified identity can ask directly. "
                    "Upload a letter of authorisation (surat kuasa) signed by the account's "
                    "responsible contact."
                )
            }
        )
    change = TechnicalChange(
        customer=service.customer,
        service=service,
        requested_by=requested_by,
        kind=kind,
        details=details,
        proven_by_identity=proven,
    )
    if letter is not None:
        change.letter = letter
        change.letter_content_type = letter_kind.mime
        change.letter_extension = letter_kind.extension
    if proven:
        change.status = Decision.APPROVED
        change.decision_reason = "asked by the verified responsible contact"
    change.full_clean()
    _audited(change, actor=requested_by, reason="technical change requested").save()
    return change


@transaction.atomic
def technical_change_decide(
    *, change: TechnicalChange, staff: User, approve: bool, reason: str = ""
) -> TechnicalChange:
    """H4: staff accept or refuse the letter of authorisation."""
    locked = _lock_pending(TechnicalChange, change.pk)
    return _decide(locked, staff=staff, approve=approve, reason=reason)


@transaction.atomic
def technical_change_done(*, change: TechnicalChange, staff: User) -> TechnicalChange:
    """H4: staff mark the change made, only once its proof is accepted."""
    locked = TechnicalChange.objects.select_for_update().get(pk=change.pk)
    if locked.status != Decision.APPROVED:
        raise ValidationError(_("Check and accept the proof of authority first."))
    locked.work = TechnicalChange.Work.DONE
    locked.done_by = staff
    locked.done_at = clock.now()
    _audited(locked, actor=staff, reason="technical change done").save()
    transaction.on_commit(lambda: tasks.send_decision.delay("technicalchange", locked.pk))
    return locked


def migration_blocker(*, service: Service) -> str | None:
    """H5: why this service cannot have a free migration yet, or None."""
    if not service.product.free_migration:
        return _("Free migration comes with our hosting plans only; this product has none.")
    unpaid = (
        Invoice.objects.filter(lines__service=service)
        .exclude(status__in=[Invoice.Status.PAID, Invoice.Status.CANCELLED])
        .order_by("issue_date")
        .first()
    )
    if unpaid is not None:
        return _("Free migration starts after payment: pay invoice %(number)s first.") % {
            "number": unpaid.number
        }
    if service.status != Service.Status.ACTIVE:
        return _("The service is %(status)s; migration needs an active hosting service.") % {
            "status": service.get_status_display().lower()
        }
    return None


def migration_submit(*, service: Service, requested_by: User, **details) -> Migration:
    """H5: ask for the free migration of a paid hosting service."""
    blocker = migration_blocker(service=service)
    if blocker:
        raise ValidationError(blocker)
    migration = Migration(
        customer=service.customer, service=service, requested_by=requested_by, **details
    )
    return _save_new(migration, actor=requested_by, reason="migration requested")


@transaction.atomic
def migration_set_status(*, migration: Migration, staff: User, status: str, note: str = ""):
    """H5: staff move a migration through its statuses, with a note the customer sees."""
    locked = Migration.objects.select_for_update().get(pk=migration.pk)
    if locked.status in (Migration.Status.DONE, Migration.Status.CANCELLED):
        raise ValidationError(_("This migration is finished."))
    locked.status = status
    if note.strip():
        locked.staff_note = note.strip()
    _audited(locked, actor=staff, reason=f"migration {status}").save()
    transaction.on_commit(lambda: tasks.send_decision.delay("migration", locked.pk))
    return locked
