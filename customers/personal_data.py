"""Personal data rights under UU PDP 27/2022: access (export) and erasure (anonymisation).

Export (``personal_data_export``): the responsible contact (K7) gets the account's
data; any other user gets their own user data and the name of the account they
belong to. Identity document scans are *listed* (kind, number, status, file name),
not packed: each scan is already downloadable on its own from the identity page,
behind the ownership check, and a zip of every identity scan would put the most
sensitive files of the account into one download that outlives the session.

Erasure (``deletion_request_complete``): staff anonymise instead of deleting rows,
because the law that asks for erasure is not the only law. The General Provisions and
Tax Procedures law (UU KUP, art. 28(11)) makes a business keep its books and their
supporting documents for 10 years, and an invoice must name its buyer (name and
NPWP). So:

- kept: invoices (numbers, lines, amounts), payments, receipts and the payment
  confirmations with their transfer proofs (the supporting documents of each
  receipt), and on the customer the legal name and NPWP those invoices carry;
- erased: everything else that identifies a person: user e-mail and names, contact
  names, phones and positions, the account's address, city, postal code and phone,
  identity document numbers and holder names (their scans are deleted from private
  storage), the IP address and browser of terms acceptances, invitations (those never
  accepted are deleted; an accepted one keeps its row, who joined with which role and
  when, without the e-mail address), allauth e-mail addresses, MFA authenticators and
  login-attempt records; the user is deactivated with an unusable password, which also
  ends their sessions.
- the audit history of users, customers, contacts, identity documents and invitations
  has the same fields blanked in its past rows (otherwise the history would keep what
  the rows no longer hold), and every e-mail address the person had is replaced by
  "(anonymised)" in the change reasons of every audited model (older handovers named
  both contacts by e-mail); the anonymisation itself is a new history row carrying the
  staff member and the reason.

Free text a person typed into tickets, requests and projects is not rewritten: it
describes services, and staff can edit a message by hand when a person asks.
"""

import datetime
import re
from decimal import Decimal

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import get_history_model_for_model

from customers.models import (
    Contact,
    Customer,
    DataDeletionRequest,
    IdentityDocument,
    Invitation,
    Role,
    TermsAcceptance,
    User,
)

ANONYMISED_NAME = "(anonymised)"
# Internal or secret fields that are not the person's data.
NOT_EXPORTED = {"staff_note", "claimed_by", "token", "last_error"}


class DeletionAlreadyDecided(Exception):
    """Another staff member decided this request first."""


# --- Export -----------------------------------------------------------------------------


def _value(value):
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat() if timezone.is_aware(value) else value
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _row(obj, *, exclude=()) -> dict:
    """The object's own fields; relations to other users and file contents left out."""
    row = {}
    for field in obj._meta.concrete_fields:
        if field.name in NOT_EXPORTED or field.name in exclude:
            continue
        if isinstance(field, models.FileField):
            row[field.name] = bool(getattr(obj, field.name))
        elif field.is_relation:
            if field.related_model is User:
                continue  # staff and other people are not this person's data
            row[field.attname] = getattr(obj, field.attname)
        else:
            row[field.name] = _value(getattr(obj, field.attname))
    return row


def _rows(queryset, **kwargs) -> list[dict]:
    return [_row(obj, **kwargs) for obj in queryset]


def _account_sections(customer: Customer) -> dict:
    from invoices.models import Invoice, InvoiceLine, Payment, PaymentConfirmation, Receipt
    from orders.models import Order, Service
    from policy.models import Migration, PaymentDeferral, ServiceChange, TechnicalChange
    from projects.models import CustomProject, ScopeChange

    contacts = Contact.objects.filter(customer=customer).select_related("user")
    data = {
        "account": _row(customer),
        "contacts": [{**_row(c), "email": c.user.email} for c in contacts],
        "identity_documents": [
            {**_row(doc), "scan_file": doc.download_name if doc.scan else None}
            for doc in IdentityDocument.objects.filter(customer=customer)
        ],
        "orders": _rows(Order.objects.filter(customer=customer)),
        "services": _rows(Service.objects.filter(customer=customer)),
        "invoices": _rows(Invoice.objects.filter(customer=customer)),
        "invoice_lines": _rows(InvoiceLine.objects.filter(invoice__customer=customer)),
        "payment_confirmations": _rows(
            PaymentConfirmation.objects.filter(invoice__customer=customer)
        ),
        "payments": _rows(Payment.objects.filter(invoice__customer=customer)),
        "receipts": _rows(Receipt.objects.filter(payment__invoice__customer=customer)),
        "payment_deferrals": _rows(PaymentDeferral.objects.filter(customer=customer)),
        "service_changes": _rows(ServiceChange.objects.filter(customer=customer)),
        "technical_changes": _rows(TechnicalChange.objects.filter(customer=customer)),
        "migrations": _rows(Migration.objects.filter(customer=customer)),
        "projects": _rows(CustomProject.objects.filter(customer=customer)),
        "project_scope_changes": _rows(ScopeChange.objects.filter(project__customer=customer)),
    }
    if apps.is_installed("tickets"):
        from tickets.models import Message, Ticket

        data["tickets"] = _rows(Ticket.objects.filter(customer=customer))
        data["ticket_messages"] = _rows(
            Message.objects.filter(ticket__customer=customer, internal=False)
        )
    return data


def personal_data_export(*, user: User) -> dict:
    """UU PDP: what the portal holds about ``user`` (and, for the responsible
    contact, about their account), as plain JSON-ready values."""
    contact = Contact.objects.select_related("customer").filter(user=user).first()
    data = {
        "generated_at": _value(timezone.now()),
        "user": _row(
            user,
            exclude={"password", "is_staff", "is_superuser", "groups", "user_permissions"},
        ),
        "terms_acceptances": [
            {**_row(a), "terms_version": a.terms.version}
            for a in TermsAcceptance.objects.filter(user=user).select_related("terms")
        ],
        "deletion_requests": _rows(DataDeletionRequest.objects.filter(requested_by=user)),
    }
    if contact is None:
        return data
    data["contact"] = _row(contact)
    if contact.role == Role.RESPONSIBLE:
        data.update(_account_sections(contact.customer))
    else:
        data["account"] = {"id": contact.customer_id, "name": contact.customer.name}
    return data


# --- Deletion requests ------------------------------------------------------------------


def deletion_request_create(*, user: User, message: str = "") -> DataDeletionRequest:
    """UU PDP: ask for erasure. The responsible contact asks for the whole account,
    anyone else for their own user data."""
    contact = Contact.objects.filter(user=user).first()
    account = contact is not None and contact.role == Role.RESPONSIBLE
    request = DataDeletionRequest(
        requested_by=user,
        customer=contact.customer if account else None,
        scope=DataDeletionRequest.Scope.ACCOUNT if account else DataDeletionRequest.Scope.USER,
        message=message,
    )
    request.full_clean(exclude=["decided_by"])
    try:
        with transaction.atomic():
            request.save()
    except IntegrityError as exc:
        raise ValidationError(_("You already asked for the deletion of your data.")) from exc
    return request


def _decide(request: DataDeletionRequest, *, staff: User, reason: str, status: str) -> None:
    if not reason.strip():
        raise ValidationError(_("Give the reason for the decision."))
    updated = DataDeletionRequest.objects.filter(
        pk=request.pk, status=DataDeletionRequest.Status.PENDING
    ).update(status=status, decided_by=staff, decided_at=timezone.now(), reason=reason)
    if not updated:
        raise DeletionAlreadyDecided(request.pk)
    request.refresh_from_db()
    # The conditional UPDATE skips simple-history; record the decision with its actor.
    request._history_user = staff
    request._change_reason = reason
    request.save(update_fields=["status"])


@transaction.atomic
def deletion_request_reject(*, request: DataDeletionRequest, staff: User, reason: str) -> None:
    _decide(request, staff=staff, reason=reason, status=DataDeletionRequest.Status.REJECTED)


@transaction.atomic
def deletion_request_complete(*, request: DataDeletionRequest, staff: User, reason: str) -> None:
    """UU PDP: anonymise what the request covers; invoices and receipts stay (see module)."""
    _decide(request, staff=staff, reason=reason, status=DataDeletionRequest.Status.COMPLETED)
    if request.scope == DataDeletionRequest.Scope.ACCOUNT:
        customer_anonymise(customer=request.customer, staff=staff, reason=reason)
    else:
        person_anonymise(user=request.requested_by, staff=staff, reason=reason)


def _audited_save(instance, *, staff: User, reason: str) -> None:
    instance._history_user = staff
    instance._change_reason = reason
    instance.save()


def _audited_delete(instance, *, staff: User, reason: str) -> None:
    instance._history_user = staff
    instance._change_reason = reason
    instance.delete()


def _scrub_history(model, *, filters: dict, values: dict) -> None:
    model.history.model.objects.filter(**filters).update(**values)


# An e-mail address inside free text (a change reason).
EMAIL_IN_TEXT = re.compile(r"[^\s@,;:()<>\[\]\"']+@[^\s@,;:()<>\[\]\"']+")


def _scrub_reasons(rows, *, pattern: re.Pattern) -> None:
    """Replace what ``pattern`` finds in the change reasons of these history rows."""
    for pk, text in rows.filter(history_change_reason__contains="@").values_list(
        "pk", "history_change_reason"
    ):
        cleaned = pattern.sub(ANONYMISED_NAME, text)
        if cleaned != text:
            rows.model.objects.filter(pk=pk).update(history_change_reason=cleaned)


def _scrub_reasons_everywhere(emails: set[str]) -> None:
    """The person's e-mail addresses out of every audited model's change reasons."""
    pattern = re.compile("|".join(re.escape(email) for email in emails), re.IGNORECASE)
    mentions = models.Q()
    for email in emails:
        mentions |= models.Q(history_change_reason__icontains=email)
    for model in apps.get_models():
        if hasattr(model._meta, "simple_history_manager_attribute"):
            history = get_history_model_for_model(model)
            _scrub_reasons(history.objects.filter(mentions), pattern=pattern)


def _invitations_forget(invitations, *, staff: User, reason: str) -> None:
    """Invitations never accepted go; an accepted one stays (who joined, with which
    role, when) without its e-mail address."""
    for invitation in invitations:
        invitation.email = ""
        if invitation.accepted_at is None:
            _audited_delete(invitation, staff=staff, reason=reason)
        else:
            _audited_save(invitation, staff=staff, reason=reason)


def customer_anonymise(*, customer: Customer, staff: User, reason: str) -> None:
    """The account's address and phone, its identity documents and every contact go;
    its legal name and NPWP stay, as its invoices need them."""
    account_fields = {"address": "", "city": "", "postal_code": "", "phone": ""}
    _scrub_history(Customer, filters={"id": customer.pk}, values=account_fields)
    for name, value in account_fields.items():
        setattr(customer, name, value)
    customer.revalidation_reason = ""
    _audited_save(customer, staff=staff, reason=reason)

    document_fields = {"number": "", "holder_name": ANONYMISED_NAME}
    _scrub_history(IdentityDocument, filters={"customer_id": customer.pk}, values=document_fields)
    for document in IdentityDocument.objects.filter(customer=customer):
        if document.scan:
            document.scan.delete(save=False)
        for name, value in document_fields.items():
            setattr(document, name, value)
        _audited_save(document, staff=staff, reason=reason)

    # Every invitation and every contact the account had, also those removed since: their
    # rows and history go, and no e-mail address stays in the account's change reasons.
    _scrub_history(Invitation, filters={"customer_id": customer.pk}, values={"email": ""})
    _invitations_forget(Invitation.objects.filter(customer=customer), staff=staff, reason=reason)
    _scrub_history(
        Contact,
        filters={"customer_id": customer.pk},
        values={"full_name": ANONYMISED_NAME, "phone": "", "position": ""},
    )
    for model, column in (
        (Customer, "id"),
        (Contact, "customer_id"),
        (Invitation, "customer_id"),
        (IdentityDocument, "customer_id"),
    ):
        rows = model.history.filter(**{column: customer.pk})
        _scrub_reasons(rows, pattern=EMAIL_IN_TEXT)
    for contact in Contact.objects.filter(customer=customer).select_related("user"):
        person_anonymise(user=contact.user, staff=staff, reason=reason)


def person_anonymise(*, user: User, staff: User, reason: str) -> None:
    """One person: login closed for good, names and contact details gone."""
    old_email = user.email
    # Every address the person had: the audit kept the earlier ones.
    emails = {old_email, *User.history.filter(id=user.pk).values_list("email", flat=True)}
    emails = {email for email in emails if email}  # never empty: old_email is required
    user_fields = {
        "email": f"deleted-{user.pk}@anonymised.invalid",
        "first_name": "",
        "last_name": "",
    }
    _scrub_history(User, filters={"id": user.pk}, values=user_fields)
    for name, value in user_fields.items():
        setattr(user, name, value)
    user.is_active = False
    user.set_unusable_password()  # also invalidates every session of the user
    _audited_save(user, staff=staff, reason=reason)

    contact = Contact.objects.filter(user=user).first()
    if contact is not None:
        contact_fields = {"full_name": ANONYMISED_NAME, "phone": "", "position": ""}
        _scrub_history(Contact, filters={"id": contact.pk}, values=contact_fields)
        for name, value in contact_fields.items():
            setattr(contact, name, value)
        _audited_save(contact, staff=staff, reason=reason)

    TermsAcceptance.objects.filter(user=user).update(ip_address=None, user_agent="")
    sent_to = models.Q()
    for email in emails:
        sent_to |= models.Q(email__iexact=email)
    Invitation.history.filter(sent_to).update(email="")
    _invitations_forget(Invitation.objects.filter(sent_to), staff=staff, reason=reason)
    _scrub_reasons_everywhere(emails)
    if apps.is_installed("allauth.account"):
        from allauth.account.models import EmailAddress

        EmailAddress.objects.filter(user=user).delete()
    if apps.is_installed("allauth.mfa"):
        from allauth.mfa.models import Authenticator

        Authenticator.objects.filter(user=user).delete()
    if apps.is_installed("axes"):
        for name in ("AccessAttempt", "AccessLog", "AccessFailureLog"):
            try:
                apps.get_model("axes", name).objects.filter(username__iexact=old_email).delete()
            except LookupError:
                continue
