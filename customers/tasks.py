"""Mail about accounts and identity, sent by the worker after the change committed."""

from celery import shared_task
from django.contrib.auth import get_user_model
from django.urls import reverse

from core.mail import absolute_url, send_templated_mail
from customers.models import Customer, IdentityDocument, Invitation
from customers.selectors import responsible_contact

MAIL_RETRY = {"autoretry_for": (OSError,), "retry_backoff": True, "max_retries": 5}


@shared_task(**MAIL_RETRY)
def send_invitation(invitation_id: int) -> None:
    invitation = Invitation.objects.select_related("customer", "invited_by").get(pk=invitation_id)
    send_templated_mail(
        to=[invitation.email],
        language=invitation.invited_by.language,
        template="customers/email/invitation",
        context={
            "invitation": invitation,
            "accept_url": absolute_url(
                reverse("customers:invitation-accept", args=[invitation.token])
            ),
        },
    )


@shared_task(**MAIL_RETRY)
def send_document_decision(document_id: int) -> None:
    """K8: the responsible contact learns the verdict and, if rejected, why."""
    document = IdentityDocument.objects.select_related("customer").get(pk=document_id)
    contact = responsible_contact(customer=document.customer)
    send_templated_mail(
        to=[contact.user.email],
        language=contact.user.language,
        template="customers/email/document_decision",
        context={
            "document": document,
            "contact": contact,
            "identity_url": absolute_url(reverse("customers:identity")),
        },
    )


@shared_task(**MAIL_RETRY)
def send_revalidation_request(customer_id: int) -> None:
    """K8: staff asked the account to prove its identity again."""
    customer = Customer.objects.get(pk=customer_id)
    contact = responsible_contact(customer=customer)
    send_templated_mail(
        to=[contact.user.email],
        language=contact.user.language,
        template="customers/email/revalidation",
        context={
            "customer": customer,
            "contact": contact,
            "identity_url": absolute_url(reverse("customers:identity")),
        },
    )


@shared_task(**MAIL_RETRY)
def notify_staff_document_uploaded(document_id: int) -> None:
    """K8: staff who verify identities hear of a new document."""
    document = IdentityDocument.objects.select_related("customer").get(pk=document_id)
    staff = get_user_model().objects.filter(is_staff=True, is_active=True)
    recipients = [
        user.email for user in staff if user.has_perm("customers.change_identitydocument")
    ]
    if not recipients:
        return
    send_templated_mail(
        to=recipients,
        language="id",
        template="customers/email/document_uploaded",
        context={
            "document": document,
            "admin_url": absolute_url(
                reverse("admin:customers_identitydocument_change", args=[document.pk])
            ),
        },
    )
