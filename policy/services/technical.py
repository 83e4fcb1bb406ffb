"""H4 technical changes and H5 free migrations."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core import clock
from core.audit import audited
from customers.models import Role, User
from customers.selectors import identity_state
from invoices.models import Invoice
from orders.models import Service
from policy import tasks
from policy.models import Decision, Migration, TechnicalChange
from policy.services.common import decide, lock_pending, save_new


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
        # Approved by the rule itself, at once: no staff member decided it.
        change.status = Decision.APPROVED
        change.decided_at = clock.now()
        change.decision_reason = "asked by the verified responsible contact"
    change.full_clean()
    audited(change, actor=requested_by, reason="technical change requested").save()
    return change


@transaction.atomic
def technical_change_decide(
    *, change: TechnicalChange, staff: User, approve: bool, reason: str = ""
) -> TechnicalChange:
    """H4: staff accept or refuse the letter of authorisation."""
    locked = lock_pending(TechnicalChange, change.pk)
    return decide(locked, staff=staff, approve=approve, reason=reason)


@transaction.atomic
def technical_change_done(*, change: TechnicalChange, staff: User) -> TechnicalChange:
    """H4: staff mark the change made, only once its proof is accepted."""
    locked = TechnicalChange.objects.select_for_update().get(pk=change.pk)
    if locked.status != Decision.APPROVED:
        raise ValidationError(_("Check and accept the proof of authority first."))
    locked.work = TechnicalChange.Work.DONE
    locked.done_by = staff
    locked.done_at = clock.now()
    audited(locked, actor=staff, reason="technical change done").save()
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
    return save_new(
        migration,
        actor=requested_by,
        reason="migration requested",
        duplicate=_(
            "A migration of this service is already under way: follow it on the service's "
            "page. Our staff will tell you there, and by e-mail, when it is done."
        ),
    )


S = Migration.Status
NEXT_STATUSES = {
    S.REQUESTED: (S.SCHEDULED, S.IN_PROGRESS, S.CANCELLED),
    S.SCHEDULED: (S.SCHEDULED, S.IN_PROGRESS, S.CANCELLED),  # rescheduled: a new note
    S.IN_PROGRESS: (S.DONE, S.CANCELLED),
    S.DONE: (),
    S.CANCELLED: (),
}


@transaction.atomic
def migration_set_status(*, migration: Migration, staff: User, status: str, note: str = ""):
    """H5: staff move a migration forward (requested → scheduled → in progress → done;
    any open one may be cancelled), with a note the customer sees. A cancellation
    needs the note: the customer is told why their free migration will not happen."""
    locked = Migration.objects.select_for_update().get(pk=migration.pk)
    allowed = NEXT_STATUSES[locked.status]
    if not allowed:
        raise ValidationError(_("This migration is finished."))
    if status not in allowed:
        raise ValidationError(
            _("A migration that is %(current)s can only become: %(allowed)s.")
            % {
                "current": locked.get_status_display().lower(),
                "allowed": ", ".join(str(S(s).label).lower() for s in allowed),
            }
        )
    if status == S.CANCELLED and not note.strip():
        raise ValidationError(
            {"note": _("Say why the migration is cancelled: the customer reads it.")}
        )
    locked.status = status
    if note.strip():
        locked.staff_note = note.strip()
    audited(locked, actor=staff, reason=f"migration {status}").save()
    transaction.on_commit(lambda: tasks.send_decision.delay("migration", locked.pk))
    return locked
