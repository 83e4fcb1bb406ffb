"""What every request service shares: the audit, saving a new request, deciding one."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core import clock
from core.audit import audited
from customers.models import User
from orders.models import Service
from policy import tasks
from policy.models import Decision

OPEN_SERVICE = (Service.Status.ACTIVE, Service.Status.SUSPENDED)


def day(value) -> str:
    return date_format(value, "j F Y")


def lock_service(pk: int) -> Service:
    """K4, K5: the service row, locked before a request about it is decided, as the
    recurring invoice run locks it before it reads the approved requests: the two
    wait for each other, so neither decides on what the other has not committed."""
    return Service.objects.select_for_update(of=("self",)).select_related("product").get(pk=pk)


def save_new(instance, *, actor, reason: str, duplicate: str = ""):
    instance.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            audited(instance, actor=actor, reason=reason).save()
    except IntegrityError as exc:
        raise ValidationError(
            duplicate or _("A request like this for the same period is already open.")
        ) from exc
    return instance


def lock_pending(model, pk):
    locked = model.objects.select_for_update().get(pk=pk)
    if locked.status != Decision.PENDING:
        raise ValidationError(_("This request was already decided."))
    return locked


def decide(locked, *, staff: User, approve: bool, reason: str, override_reason: str = ""):
    """Record the decision (audited: the actor, and the override when there is one)
    and tell the responsible contact after commit."""
    if not approve and not reason.strip():
        raise ValidationError({"reason": _("Say why, so the customer understands.")})
    locked.status = Decision.APPROVED if approve else Decision.REJECTED
    locked.decided_by = staff
    locked.decided_at = clock.now()
    locked.decision_reason = reason.strip()
    if override_reason.strip():
        locked.override_reason = override_reason.strip()
    label = "approved" if approve else "rejected"
    if locked.override_reason:
        label += f" (override: {locked.override_reason})"
    audited(locked, actor=staff, reason=label).save()
    kind = locked._meta.model_name
    transaction.on_commit(lambda: tasks.send_decision.delay(kind, locked.pk))
    return locked
