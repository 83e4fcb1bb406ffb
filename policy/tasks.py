"""Mail to the responsible contact when a request is decided (after commit)."""

from celery import shared_task
from django.urls import reverse

from core.mail import absolute_url, send_templated_mail
from customers.selectors import responsible_contact

MAIL_RETRY = {"autoretry_for": (OSError,), "retry_backoff": True, "max_retries": 5}


@shared_task(**MAIL_RETRY)
def send_decision(model_name: str, pk: int) -> None:
    """K4, K5, H4, H5: tell the responsible contact what was decided and why."""
    from django.apps import apps

    request = apps.get_model("policy", model_name).objects.select_related("service").get(pk=pk)
    contact = responsible_contact(customer=request.customer)
    send_templated_mail(
        to=[contact.user.email],
        language=contact.user.language,
        template="policy/email/decision",
        context={
            "request": request,
            "kind": request._meta.verbose_name,
            "contact": contact,
            "service_url": absolute_url(reverse("orders:service", args=[request.service_id])),
        },
    )
