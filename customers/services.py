"""Every state change of accounts, contacts, terms and identity (K1, K7, K8).

Keyword-only; the actor is passed in; mail goes out after commit.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core import clock
from customers import tasks
from customers.models import (
    Contact,
    Customer,
    IdentityDocument,
    Invitation,
    Role,
    TermsAcceptance,
    TermsVersion,
    User,
)
from customers.selectors import identity_state
from customers.validators import digits_only


class AlreadyDecided(Exception):
    """Another staff member decided this document first."""


# The roles a contact can be removed with, or handed back with: every role but K7's.
LIMITED_ROLES = (Role.BILLING, Role.TECHNICAL)


def _already_a_contact() -> str:
    """K7: the message for a user who already belongs to an account (translated now)."""
    return _("You already belong to a customer account: open your dashboard to use it.")


def _save_contact(contact: Contact) -> Contact:
    """K7: insert a contact; a user who joined an account meanwhile (a racing request)
    is refused by the one-to-one column and told so, instead of a server error.

    Which constraint refused it is read back from the database (the committed row that
    won), not guessed: a second responsible contact gets that constraint's message, and
    any other integrity error stays an error.
    """
    try:
        with transaction.atomic():
            contact.save()
    except IntegrityError as exc:
        if Contact.objects.filter(user_id=contact.user_id).exists():
            raise ValidationError(_already_a_contact()) from exc
        if (
            contact.role == Role.RESPONSIBLE
            and Contact.objects.filter(
                customer_id=contact.customer_id, role=Role.RESPONSIBLE
            ).exists()
        ):
            raise ValidationError(_("This customer already has a responsible contact.")) from exc
        raise
    return contact


def _audited(instance, *, actor: User | None, reason: str):
    instance._history_user = actor
    instance._change_reason = reason
    return instance


def terms_accept(
    *, user: User, terms: TermsVersion, ip_address: str | None, user_agent: str = ""
) -> TermsAcceptance:
    """K1: record that ``user`` accepted ``terms`` (version, time, IP). Idempotent."""
    acceptance, _created = TermsAcceptance.objects.get_or_create(
        user=user,
        terms=terms,
        defaults={
            "ip_address": ip_address,
            "user_agent": (user_agent or "")[:300],
            "accepted_at": clock.now(),
        },
    )
    return acceptance


@transaction.atomic
def customer_create(
    *,
    user: User,
    kind: str,
    name: str,
    address: str,
    city: str,
    postal_code: str,
    phone: str,
    npwp: str = "",
    contact_name: str,
    contact_phone: str,
    contact_position: str = "",
) -> Customer:
    """K7: a new customer account is born with its one responsible contact: the user
    who creates it.

    A user belongs to one account (a one-to-one column): a second set-up racing this
    one is stopped by that constraint and answered with the same message.
    """
    if Contact.objects.filter(user=user).exists():
        raise ValidationError(_already_a_contact())
    customer = Customer(
        kind=kind,
        name=name,
        address=address,
        city=city,
        postal_code=postal_code,
        phone=phone,
        npwp=digits_only(npwp),
    )
    customer.full_clean()
    _audited(customer, actor=user, reason="customer created").save()
    contact = Contact(
        customer=customer,
        user=user,
        role=Role.RESPONSIBLE,
        full_name=contact_name,
        phone=contact_phone,
        position=contact_position,
    )
    contact.full_clean()
    _save_contact(_audited(contact, actor=user, reason="responsible contact at sign-up"))
    return customer


def customer_update(*, customer: Customer, actor: User, **fields) -> Customer:
    for name, value in fields.items():
        setattr(customer, name, value)
    customer.npwp = digits_only(customer.npwp)
    customer.full_clean()
    _audited(customer, actor=actor, reason="customer details updated").save()
    return customer


# What a contact's details form edits; the role changes only by a handover (K7).
CONTACT_DETAILS = ("full_name", "phone", "position")


@transaction.atomic
def contact_update(*, contact: Contact, actor: User, **fields) -> Contact:
    """K7: a contact's own details (name, phone, position), edited by the contact, the
    account's responsible contact or staff. Never the role.

    The customer row is locked, as ``responsible_handover`` and ``contact_remove`` lock
    it, and the contact is read again under that lock: the caller's object was loaded
    when the request started, and saving its (possibly stale) role back would undo a
    handover that made this contact responsible, leaving the account with none. Only
    the edited columns are written.
    """
    unknown = set(fields) - set(CONTACT_DETAILS)
    if unknown:
        raise TypeError(f"contact_update() edits {CONTACT_DETAILS}, not {sorted(unknown)}")
    Customer.objects.select_for_update().get(pk=contact.customer_id)
    locked = Contact.objects.select_for_update().get(pk=contact.pk, customer_id=contact.customer_id)
    if (
        not actor.is_staff
        and locked.user_id != actor.pk
        and not Contact.objects.filter(
            customer_id=locked.customer_id, role=Role.RESPONSIBLE, user=actor
        ).exists()
    ):
        raise PermissionDenied
    for name, value in fields.items():
        setattr(locked, name, value)
    if locked.is_responsible and not locked.is_complete():
        raise ValidationError(
            {"phone": _("The responsible contact needs a full name and a phone number.")}
        )
    locked.full_clean()
    _audited(locked, actor=actor, reason="contact details updated").save(update_fields=list(fields))
    return locked


@transaction.atomic
def responsible_handover(
    *, customer: Customer, to_contact: Contact, previous_role: str, actor: User
) -> Contact:
    """K7: hand the responsible role to another contact of the same customer.

    The customer row is locked so two handovers cannot interleave; the partial
    unique constraint still refuses a second responsible contact if anything
    slipped past.
    """
    Customer.objects.select_for_update().get(pk=customer.pk)
    current = Contact.objects.select_for_update().get(customer=customer, role=Role.RESPONSIBLE)
    if actor.pk != current.user_id and not actor.is_staff:
        raise PermissionDenied
    target = Contact.objects.select_for_update().get(pk=to_contact.pk, customer=customer)
    if target.pk == current.pk:
        raise ValidationError(_("This contact is already the responsible contact."))
    if previous_role not in LIMITED_ROLES:
        raise ValidationError(_("Choose the role the previous responsible contact keeps."))
    # Contacts by id: a reason is kept for good, and anonymisation (UU PDP) must not
    # have to find a person's e-mail address in free text.
    reason = f"responsible role handed from contact {current.pk} to contact {target.pk}"
    current.role = previous_role
    _audited(current, actor=actor, reason=reason).save()
    target.role = Role.RESPONSIBLE
    _audited(target, actor=actor, reason=reason).save()
    return target


def contact_invite(*, customer: Customer, email: str, role: str, invited_by: User) -> Invitation:
    """K7: invite a further contact with a limited role (billing or technical)."""
    email = email.strip().lower()
    if Contact.objects.filter(customer=customer, user__email__iexact=email).exists():
        raise ValidationError({"email": _("This person is already a contact of this account.")})
    invitation = Invitation(customer=customer, email=email, role=role, invited_by=invited_by)
    invitation.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            # An expired invitation can no longer be used: the new one replaces it. It
            # is kept, marked, so that its old e-mailed link says so (not a 404).
            now = clock.now()
            for expired in Invitation.objects.select_for_update().filter(
                customer=customer, email=email, accepted_at__isnull=True,
                replaced_at__isnull=True, expires_at__lte=now,
            ):  # fmt: skip
                expired.replaced_at = now
                _audited(expired, actor=invited_by, reason="expired, invited again").save(
                    update_fields=["replaced_at"]
                )
            _audited(invitation, actor=invited_by, reason="contact invited").save()
    except IntegrityError as exc:
        raise ValidationError({"email": _("This address has already been invited.")}) from exc
    transaction.on_commit(lambda: tasks.send_invitation.delay(invitation.pk))
    return invitation


def invitation_closed_message(invitation: Invitation) -> str:
    """K7: why an invitation's link no longer works, for the person who follows it."""
    if invitation.accepted_at is not None:
        return _("This invitation was already used.")
    if invitation.replaced_at is not None:
        return _(
            "This invitation was replaced by a newer one: use the link in the most recent "
            "invitation e-mail."
        )
    return _(
        "This invitation has expired. Ask the account's responsible contact to invite you again."
    )


@transaction.atomic
def invitation_accept(
    *, invitation: Invitation, user: User, full_name: str, phone: str = ""
) -> Contact:
    """K7: the invited person joins the account with the role they were invited for."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_open():
        raise ValidationError(invitation_closed_message(invitation))
    if invitation.email.lower() != user.email.lower():
        raise ValidationError(
            _("This invitation was sent to %(email)s; log in with that address to accept it.")
            % {"email": invitation.email}
        )
    if Contact.objects.filter(user=user).exists():
        raise ValidationError(_already_a_contact())
    contact = Contact(
        customer=invitation.customer,
        user=user,
        role=invitation.role,
        full_name=full_name,
        phone=phone,
    )
    contact.full_clean()
    _save_contact(_audited(contact, actor=user, reason="invitation accepted"))
    invitation.accepted_at = clock.now()
    _audited(invitation, actor=user, reason="invitation accepted").save(
        update_fields=["accepted_at"]
    )
    return contact


@transaction.atomic
def contact_remove(*, contact: Contact, actor: User) -> None:
    """K7: the responsible contact (or staff) removes a further contact; never the
    responsible one, so the account always keeps its responsible contact.

    The customer row is locked, as ``responsible_handover`` locks it, so a handover
    cannot run in between; the role is then read from the locked row itself, never
    from the caller's (possibly stale) object.
    """
    Customer.objects.select_for_update().get(pk=contact.customer_id)
    if (
        not actor.is_staff
        and not Contact.objects.filter(
            customer_id=contact.customer_id, role=Role.RESPONSIBLE, user=actor
        ).exists()
    ):
        raise PermissionDenied
    locked = (
        Contact.objects.select_for_update()
        .filter(pk=contact.pk, customer_id=contact.customer_id, role__in=LIMITED_ROLES)
        .first()
    )
    if locked is None:
        raise ValidationError(
            _("The responsible contact cannot be removed; hand the role over first.")
        )
    # Deleted through the locked instance, so the history names the actor and reason.
    _audited(locked, actor=actor, reason="contact removed").delete()


def identity_document_submit(
    *,
    customer: Customer,
    uploaded_by: User,
    kind: str,
    number: str,
    holder_name: str,
    scan,
    scan_kind,
) -> IdentityDocument:
    """K8: store a document and its scan privately, waiting for staff verification."""
    document = IdentityDocument(
        customer=customer,
        kind=kind,
        number=number,
        holder_name=holder_name,
        scan=scan,
        scan_content_type=scan_kind.mime,
        scan_extension=scan_kind.extension,
        uploaded_by=uploaded_by,
    )
    document.full_clean()
    _audited(document, actor=uploaded_by, reason="document uploaded").save()
    transaction.on_commit(lambda: tasks.notify_staff_document_uploaded.delay(document.pk))
    return document


def _decide(*, document: IdentityDocument, staff: User, status: str, reason: str):
    with transaction.atomic():
        locked = IdentityDocument.objects.select_for_update().get(pk=document.pk)
        if locked.status != IdentityDocument.Status.PENDING:
            raise AlreadyDecided(document.pk)
        locked.status = status
        locked.rejection_reason = reason
        locked.decided_by = staff
        locked.decided_at = clock.now()
        locked.full_clean()
        _audited(locked, actor=staff, reason=f"document {status}").save()
        transaction.on_commit(lambda: tasks.send_document_decision.delay(locked.pk))
    return locked


def identity_document_verify(*, document: IdentityDocument, staff: User) -> IdentityDocument:
    """K8: staff confirm the document is genuine. Decided once: a second decision fails.

    Once the account's identity is fully verified, paid services that waited for it
    are activated in the same transaction.
    """
    # orders builds on customers; importing here keeps that direction at import time.
    from orders.services import services_activate_waiting

    with transaction.atomic():
        document = _decide(
            document=document, staff=staff, status=IdentityDocument.Status.VERIFIED, reason=""
        )
        if identity_state(customer=document.customer).verified:
            services_activate_waiting(customer=document.customer, actor=staff)
    return document


def identity_document_reject(
    *, document: IdentityDocument, staff: User, reason: str
) -> IdentityDocument:
    """K8: staff reject the document with a reason the customer sees."""
    if not reason.strip():
        raise ValidationError({"rejection_reason": _("Say why, so the customer can fix it.")})
    return _decide(
        document=document,
        staff=staff,
        status=IdentityDocument.Status.REJECTED,
        reason=reason.strip(),
    )


def customer_request_revalidation(*, customer: Customer, staff: User, reason: str) -> Customer:
    """K8: staff ask the account to prove its identity again; earlier verifications
    stop counting until a new document is verified."""
    if not reason.strip():
        raise ValidationError(_("Say why the customer must re-validate."))
    customer.revalidation_requested_at = clock.now()
    customer.revalidation_reason = reason.strip()
    _audited(customer, actor=staff, reason="identity re-validation requested").save()
    transaction.on_commit(lambda: tasks.send_revalidation_request.delay(customer.pk))
    return customer
