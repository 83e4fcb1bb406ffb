"""A billing e-mail that keeps failing is visible to staff in admin with its error, and
can be sent again from there; it is never silently lost (one base task class records
every mail task's final failure)."""

from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse

from customers.selectors import responsible_contact
from invoices import tasks
from invoices.models import MailFailure


@pytest.fixture
def retries_run_inline():
    """Eager retries run at once instead of raising ``Retry`` (see Celery's ``apply``)."""
    from masternet.celery import app

    before = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = before


@pytest.mark.parametrize(
    "task",
    [
        tasks.send_invoice,
        tasks.send_invoices,
        tasks.send_receipt,
        tasks.send_confirmation_rejected,
        tasks.send_suspension,
    ],
)
def test_every_billing_mail_task_records_its_final_failure(task):
    assert isinstance(task, tasks.MailTask)  # the one place, for every mail task


def test_an_invoice_mail_that_keeps_failing_is_recorded_after_its_retries(
    place, retries_run_inline
):
    invoice = place()
    before = len(mail.outbox)
    with mock.patch("invoices.tasks.send_templated_mail", side_effect=OSError("SMTP down")) as send:
        tasks.send_invoice.delay(invoice.pk)
    assert send.call_count == 1 + tasks.send_invoice.max_retries  # retried first
    failure = MailFailure.objects.get()
    assert failure.task_name == "invoices.tasks.send_invoice"
    assert failure.args == [invoice.pk]
    assert failure.recipient == responsible_contact(customer=invoice.customer).user.email
    assert "OSError: SMTP down" in failure.error
    assert len(mail.outbox) == before


def test_an_error_that_is_not_retried_is_recorded_at_once(retries_run_inline, db):
    tasks.send_receipt.delay(987654)  # no such receipt
    failure = MailFailure.objects.get()
    assert (failure.task_name, failure.args, failure.recipient) == (
        "invoices.tasks.send_receipt",
        [987654],
        "",
    )
    assert "DoesNotExist" in failure.error


def test_staff_see_the_failure_and_send_it_again(
    place, retries_run_inline, staff_client, django_capture_on_commit_callbacks
):
    invoice = place()
    with mock.patch("invoices.tasks.send_templated_mail", side_effect=OSError("SMTP down")):
        tasks.send_invoice.delay(invoice.pk)
    failure = MailFailure.objects.get()
    url = reverse("admin:invoices_mailfailure_changelist")
    page = staff_client.get(url)
    assert "SMTP down" in page.content.decode()
    assert staff_client.get(reverse("admin:invoices_mailfailure_add")).status_code == 403
    before = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            url, {"action": "send_again", "_selected_action": [failure.pk]}, follow=True
        )
    assert len(mail.outbox) == before + 1 and invoice.number in mail.outbox[-1].subject
    failure.refresh_from_db()
    assert failure.retried_at is not None and failure.retried_by.is_staff
    assert "1" in " ".join(str(m) for m in response.context["messages"])
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(url, {"action": "send_again", "_selected_action": [failure.pk]})
    assert len(mail.outbox) == before + 1  # sent again once, not at every click
