"""Every read a view needs about accounts, scoped to the customer that owns it."""

from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import cache
from django.db.models import QuerySet, Subquery
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import (
    CURRENT_TERMS_CACHE_KEY,
    Contact,
    Customer,
    DocumentKind,
    IdentityDocument,
    Invitation,
    Role,
    TermsVersion,
    User,
)


def contact_for(*, user: User) -> Contact | None:
    """The user's place in a customer account, or None before they have one."""
    if not user.is_authenticated:
        return None
    # ``get``, not ``first``: a user has one contact at most (``Contact.user`` is
    # one-to-one), so the query needs no ORDER BY.
    try:
        return Contact.objects.select_related("customer").get(user=user)
    except Contact.DoesNotExist:
        return None


def responsible_contact(*, customer: Customer) -> Contact:
    """K7: the one contact who receives invoices and reminders."""
    return Contact.objects.select_related("user").get(customer=customer, role=Role.RESPONSIBLE)


def contacts_for(*, customer: Customer) -> QuerySet[Contact]:
    return (
        Contact.objects.filter(customer=customer)
        .select_related("user")
        .order_by("role", "full_name")
    )


def contact_of(*, customer: Customer, pk: int) -> Contact:
    """A contact of this customer; another customer's is a 404."""
    return get_object_or_404(Contact.objects.select_related("user"), customer=customer, pk=pk)


def open_invitations_for(*, customer: Customer) -> QuerySet[Invitation]:
    """K7: the account's invitations that can still be accepted."""
    return Invitation.objects.filter(
        customer=customer,
        accepted_at__isnull=True,
        replaced_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).order_by("-created_at")


def open_invitations_to(*, user: User) -> QuerySet[Invitation]:
    """K7: the invitations this user can still accept: not accepted, not replaced, not
    expired."""
    return Invitation.objects.filter(
        email__iexact=user.email,
        accepted_at__isnull=True,
        replaced_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).select_related("customer")


def documents_for(*, customer: Customer) -> QuerySet[IdentityDocument]:
    return IdentityDocument.objects.filter(customer=customer).select_related("decided_by")


def document_of(*, customer: Customer, pk: int) -> IdentityDocument:
    """K8: a document of this customer; another customer's is a 404."""
    return get_object_or_404(IdentityDocument, customer=customer, pk=pk)


CURRENT_TERMS_SECONDS = 300


def current_terms() -> TermsVersion | None:
    """K1: the newest published version.

    Every client-area request asks, so the answer is cached for a few minutes together
    with the moment it stops being true: saving or deleting a version drops it, and a
    version published for a later moment takes over at that moment. One query when cold.
    """
    now = timezone.now()
    cached = cache.get(CURRENT_TERMS_CACHE_KEY)
    if cached is not None and now < cached[1]:
        return cached[0]
    scheduled = (
        TermsVersion.objects.filter(published_at__gt=now)
        .order_by("published_at")
        .values("published_at")[:1]
    )
    terms = (
        TermsVersion.objects.published()
        .annotate(next_published_at=Subquery(scheduled))
        .order_by("-published_at", "-pk")
        .first()
    )
    if terms is None:
        next_at = scheduled.values_list("published_at", flat=True).first()
    else:
        next_at = terms.next_published_at
    valid_until = now + timedelta(seconds=CURRENT_TERMS_SECONDS)
    if next_at is not None:
        valid_until = min(valid_until, next_at)
    cache.set(CURRENT_TERMS_CACHE_KEY, (terms, valid_until), CURRENT_TERMS_SECONDS)
    return terms


def terms_version_name(*, pk: int | None) -> str | None:
    """K1: the name ("2026.3") of a published version a form showed, or None.

    The id comes from the request: only a version in force has a name to tell, so that
    posting a draft's or a scheduled version's id reveals nothing about it.
    """
    if pk is None:
        return None
    return TermsVersion.objects.published().filter(pk=pk).values_list("version", flat=True).first()


def has_accepted_current_terms(*, user: User) -> bool:
    """K1: True when the user accepted the newest published terms (or none exist)."""
    terms = current_terms()
    return terms is None or terms.acceptances.filter(user=user).exists()


@dataclass(frozen=True)
class IdentityState:
    """K8: for each document the customer must provide, its newest upload."""

    latest: dict[str, IdentityDocument | None]
    revalidation_requested: bool

    def _counts(self, document: IdentityDocument | None, statuses) -> bool:
        return document is not None and document.status in statuses

    @property
    def submitted(self) -> bool:
        statuses = (IdentityDocument.Status.PENDING, IdentityDocument.Status.VERIFIED)
        return all(self._counts(doc, statuses) for doc in self.latest.values())

    @property
    def verified(self) -> bool:
        return all(
            self._counts(doc, (IdentityDocument.Status.VERIFIED,)) for doc in self.latest.values()
        )

    @property
    def rows(self) -> list[tuple[str, str, IdentityDocument | None]]:
        """Each required kind with its translated label and its newest document."""
        return [(kind, DocumentKind(kind).label, doc) for kind, doc in self.latest.items()]

    @property
    def missing_kinds(self) -> list[str]:
        return [
            str(DocumentKind(kind).label)
            for kind, doc in self.latest.items()
            if doc is None or doc.status == IdentityDocument.Status.REJECTED
        ]


def identity_state(*, customer: Customer) -> IdentityState:
    """K8: what the customer has proved. After staff ask for re-validation, only
    documents uploaded since then count."""
    documents = IdentityDocument.objects.filter(customer=customer).order_by("-uploaded_at", "-pk")
    if customer.revalidation_requested_at:
        documents = documents.filter(uploaded_at__gt=customer.revalidation_requested_at)
    latest: dict[str, IdentityDocument | None] = dict.fromkeys(customer.required_document_kinds())
    for document in documents:
        if document.kind in latest and latest[document.kind] is None:
            latest[document.kind] = document
    return IdentityState(
        latest=latest, revalidation_requested=customer.revalidation_requested_at is not None
    )


@dataclass(frozen=True)
class Step:
    """One thing the customer still has to do, with where to do it (empty ``url``:
    this user cannot do it; ``detail`` says who can)."""

    code: str
    title: str
    detail: str
    url: str


_UNSET = object()


def missing_steps(
    *,
    user: User,
    require_verified_identity: bool = False,
    contact=_UNSET,
    identity: IdentityState | None = None,
    terms_accepted: bool = False,
) -> list[Step]:
    """K1, K7, K8: what is still missing before this user's account may order.

    Empty means the account may order. ``require_verified_identity`` is set for
    products that need verified identity before activation. A caller that already
    loaded the user's ``contact`` (or knows it is None), the account's ``identity``
    state, or knows the current terms are accepted passes that in.
    """
    steps: list[Step] = []
    if not terms_accepted and not has_accepted_current_terms(user=user):
        steps.append(
            Step(
                "terms",
                _("Accept the current Terms of Service"),
                _("A new version was published; read what changed and accept it."),
                reverse("customers:terms-accept"),
            )
        )
    if contact is _UNSET:
        contact = contact_for(user=user)
    if contact is None:
        steps.append(
            Step(
                "account",
                _("Create your customer account"),
                _("Tell us who orders: a person or a company, with address and phone."),
                reverse("customers:setup"),
            )
        )
        return steps
    customer = contact.customer
    responsible = contact if contact.is_responsible else responsible_contact(customer=customer)

    def only_responsible(detail: str, url: str) -> tuple[str, str]:
        """K7: the responsible contact does these; anyone else is told who, not sent
        to a page that refuses them."""
        if contact.is_responsible:
            return detail, url
        must = _("Your responsible contact must do this: %(name)s.") % {
            "name": responsible.full_name or responsible.user.email
        }
        return f"{detail} {must}", ""

    if not responsible.is_complete():
        steps.append(
            Step(
                "responsible",
                _("Complete the responsible contact"),
                *only_responsible(
                    _("The responsible contact needs a full name and a phone number."),
                    reverse("customers:contact-edit", args=[responsible.pk]),
                ),
            )
        )
    state = identity or identity_state(customer=customer)
    if not state.submitted:
        steps.append(
            Step(
                "identity",
                _("Upload your identity documents"),
                *only_responsible(
                    _("Still needed: %(documents)s.")
                    % {"documents": ", ".join(state.missing_kinds)},
                    reverse("customers:identity"),
                ),
            )
        )
    elif require_verified_identity and not state.verified:
        steps.append(
            Step(
                "identity_verified",
                _("Wait for identity verification"),
                _("Our staff check uploaded documents within one working day."),
                reverse("customers:identity") if contact.is_responsible else "",
            )
        )
    return steps
