"""Billing mail, sent by the worker after the change committed (to the K7 contact)."""

import logging

from celery import Task, shared_task
from django.urls import reverse

from core.mail import absolute_url, send_templated_mail
from customers.selectors import responsible_contact
from invoices.models import (
    BankAccount,
    Invoice,
    MailFailure,
    PaymentConfirmation,
    Receipt,
    Reminder,
)
from invoices.pdf import invoice_filename, invoice_pdf, receipt_filename, receipt_pdf

log = logging.getLogger(__name__)


class MailTask(Task):
    """The billing mail tasks' base: a task that fails for good (an error it does not
    retry, or its last retry) is recorded as a ``MailFailure`` for staff, with its
    arguments, recipient and error, instead of being dropped silently."""

    def send_mail(self, **kwargs) -> None:
        """``send_templated_mail``, remembering the recipient for ``on_failure``."""
        self.request.mail_to = kwargs["to"]
        send_templated_mail(**kwargs)

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        try:
            MailFailure.objects.create(
                task_name=self.name,
                task_id=task_id or "",
                args=list(args or ()),
                kwargs=dict(kwargs or {}),
                recipient=", ".join(getattr(self.request, "mail_to", None) or ())[:500],
                error=f"{type(exc).__name__}: {exc}"[:2000],
            )
        except Exception:  # the database may be what failed: the log keeps it then
            log.exception("could not record the failure of %s[%s]", self.name, task_id)
        super().on_failure(exc, task_id, args, kwargs, einfo)


MAIL_RETRY = {
    "base": MailTask,
    "bind": True,
    "autoretry_for": (OSError,),
    "retry_backoff": True,
    "max_retries": 5,
}


@shared_task(**MAIL_RETRY)
def send_invoice(self, invoice_id: int) -> None:
    """The responsible contact receives each new invoice, with its PDF attached."""
    invoice = Invoice.objects.select_related("customer").get(pk=invoice_id)
    contact = responsible_contact(customer=invoice.customer)
    language = contact.user.language
    self.send_mail(
        to=[contact.user.email],
        language=language,
        template="invoices/email/invoice",
        context={
            "invoice": invoice,
            "contact": contact,
            "invoice_url": absolute_url(reverse("invoices:detail", args=[invoice.pk])),
        },
        attachments=[
            (invoice_filename(invoice), invoice_pdf(invoice, language=language), "application/pdf")
        ],
    )


@shared_task(**MAIL_RETRY)
def send_invoices(self, invoice_ids: list[int]) -> None:
    """A batch of recurring invoices, handed over as one message; each invoice then
    gets its own task, so a failing send is retried alone."""
    for invoice_id in invoice_ids:
        send_invoice.delay(invoice_id)


@shared_task(**MAIL_RETRY)
def send_receipt(self, receipt_id: int) -> None:
    """H3: every approved payment's receipt is e-mailed as a PDF."""
    receipt = Receipt.objects.select_related("payment__invoice__customer").get(pk=receipt_id)
    invoice = receipt.payment.invoice
    contact = responsible_contact(customer=invoice.customer)
    language = contact.user.language
    self.send_mail(
        to=[contact.user.email],
        language=language,
        template="invoices/email/receipt",
        context={
            "receipt": receipt,
            "invoice": invoice,
            "contact": contact,
            "invoice_url": absolute_url(reverse("invoices:detail", args=[invoice.pk])),
        },
        attachments=[
            (receipt_filename(receipt), receipt_pdf(receipt, language=language), "application/pdf")
        ],
    )


@shared_task(**MAIL_RETRY)
def send_confirmation_rejected(self, confirmation_id: int) -> None:
    """K3: the customer learns why a payment confirmation was rejected."""
    confirmation = PaymentConfirmation.objects.select_related("invoice__customer").get(
        pk=confirmation_id
    )
    invoice = confirmation.invoice
    contact = responsible_contact(customer=invoice.customer)
    self.send_mail(
        to=[contact.user.email],
        language=contact.user.language,
        template="invoices/email/confirmation_rejected",
        context={
            "confirmation": confirmation,
            "invoice": invoice,
            "contact": contact,
            "invoice_url": absolute_url(reverse("invoices:detail", args=[invoice.pk])),
        },
    )


# --- Scheduled jobs (beat) and reminder sending ---------------------------------


@shared_task(name="invoices.issue_recurring_invoices")
def issue_recurring_invoices() -> str:
    from invoices import jobs

    return str(jobs.issue_recurring_invoices())


@shared_task(name="invoices.sweep_reminders")
def sweep_reminders() -> str:
    from invoices import jobs

    return str(jobs.sweep_reminders())


@shared_task(name="invoices.handle_overdue")
def handle_overdue() -> str:
    from invoices import jobs

    return str(jobs.handle_overdue())


@shared_task(
    bind=True,
    name="invoices.send_reminders",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=6,
)
def send_reminders(self, reminder_ids: list[int]) -> int:
    """Send a batch of reminders, each at most once per (invoice, kind) up to the SMTP
    server's acceptance: a worker that dies between the server's "250" and
    ``mark_reminder`` sends it again when the message is redelivered, with the same
    Message-ID (``Reminder.message_id``), so that the receiving side can drop the copy.

    Any error of one reminder (SMTP, template, PDF) is recorded on it and the failed
    ones are retried with backoff; after the last retry they are marked failed, with
    their error, for staff to see in admin (and queue again)."""
    from invoices import jobs

    sent, failed = 0, []
    for reminder_id in reminder_ids:
        reminder = jobs.claim_reminder(reminder_id, claimant=self.request.id or "inline")
        if reminder is None:
            continue
        try:
            _send_reminder_mail(reminder)
        except Exception as exc:  # noqa: BLE001 - recorded per reminder, then retried
            log.warning("reminder %s not sent: %r", reminder_id, exc)
            failed.append(reminder_id)
            last_try = self.request.retries >= self.max_retries
            if last_try:
                jobs.mark_reminder(reminder_id, sent=False, error=repr(exc))
            else:
                Reminder.objects.filter(pk=reminder_id).update(last_error=repr(exc)[:2000])
            continue
        jobs.mark_reminder(reminder_id, sent=True)
        sent += 1
    if failed and self.request.retries < self.max_retries:
        raise self.retry(args=[failed], countdown=min(2**self.request.retries * 5, 600))
    return sent


def _send_reminder_mail(reminder) -> None:
    invoice = Invoice.objects.select_related("customer").get(pk=reminder.invoice_id)
    contact = responsible_contact(customer=invoice.customer)
    language = contact.user.language
    send_templated_mail(
        to=[contact.user.email],
        language=language,
        template="invoices/email/reminder",
        context={
            "invoice": invoice,
            "kind": reminder.kind,
            "contact": contact,
            "banks": list(BankAccount.objects.filter(is_active=True)),
            "invoice_url": absolute_url(reverse("invoices:detail", args=[invoice.pk])),
        },
        attachments=[
            (invoice_filename(invoice), invoice_pdf(invoice, language=language), "application/pdf")
        ],
        headers={"Message-ID": reminder.message_id},
    )


@shared_task(**MAIL_RETRY)
def send_suspension(self, service_id: int, invoice_id: int) -> None:
    """The customer is told why the service is suspended and how to restore it."""
    from orders.models import Service

    service = Service.objects.select_related("customer", "product").get(pk=service_id)
    invoice = Invoice.objects.get(pk=invoice_id)
    contact = responsible_contact(customer=service.customer)
    self.send_mail(
        to=[contact.user.email],
        language=contact.user.language,
        template="invoices/email/suspension",
        context={
            "service": service,
            "invoice": invoice,
            "contact": contact,
            "invoice_url": absolute_url(reverse("invoices:detail", args=[invoice.pk])),
        },
    )
