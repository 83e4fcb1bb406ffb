"""Mail about custom projects, sent by the worker after the change committed."""

from celery import shared_task
from django.contrib.auth import get_user_model
from django.urls import reverse

from core.mail import absolute_url, send_templated_mail
from customers.selectors import responsible_contact
from projects.models import CustomProject

MAIL_RETRY = {"autoretry_for": (OSError,), "retry_backoff": True, "max_retries": 5}

CUSTOMER_EVENTS = {"quoted", "rejected", "started", "scope_changed", "delivered"}
STAFF_EVENTS = {"submitted", "accepted"}


@shared_task(**MAIL_RETRY)
def send_project_news(project_id: int, event: str) -> None:
    """Custom projects: the responsible contact (K7) hears of each staff decision
    (quote, rejection, start, scope change, delivery) in their own language."""
    if event not in CUSTOMER_EVENTS:
        raise ValueError(f"unknown project event {event!r}")
    project = CustomProject.objects.select_related("customer").get(pk=project_id)
    contact = responsible_contact(customer=project.customer)
    send_templated_mail(
        to=[contact.user.email],
        language=contact.user.language,
        template=f"projects/email/{event}",
        context={
            "project": project,
            "contact": contact,
            "scope_change": project.scope_changes.order_by("-recorded_at", "-pk").first(),
            "project_url": absolute_url(reverse("projects:detail", args=[project.pk])),
        },
    )


@shared_task(**MAIL_RETRY)
def notify_staff(project_id: int, event: str) -> None:
    """Staff who handle custom projects hear of a new request and of an accepted quote."""
    if event not in STAFF_EVENTS:
        raise ValueError(f"unknown project event {event!r}")
    project = CustomProject.objects.select_related("customer").get(pk=project_id)
    staff = get_user_model().objects.filter(is_staff=True, is_active=True)
    recipients = [user.email for user in staff if user.has_perm("projects.change_customproject")]
    if not recipients:
        return
    send_templated_mail(
        to=recipients,
        language="id",
        template=f"projects/email/staff_{event}",
        context={
            "project": project,
            "admin_url": absolute_url(
                reverse("admin:projects_customproject_change", args=[project.pk])
            ),
        },
    )
