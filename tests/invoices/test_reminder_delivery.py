"""Reminders are neither lost nor sent twice (the eager half; the real workers are in
test_reminder_worker.py): any error is recorded and retried, then the reminder is marked
failed for staff; the sweep hands a reminder to the workers once, and again only when
its message or its worker was lost; every reminder carries a fixed Message-ID."""

from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from core import clock
from invoices import jobs, tasks
from invoices.models import Invoice, Reminder, ReminderKind


@pytest.fixture
def invoice(place):
    with time_machine.travel("2026-11-01 10:00 +07:00", tick=False):
        return place()


@pytest.fixture
def handed_over():
    """The ids each ``send_reminders`` message would carry (nothing is sent)."""
    with mock.patch.object(tasks.send_reminders, "delay") as delay:
        yield lambda: sorted(pk for call in delay.call_args_list for pk in call.args[0])


@pytest.fixture
def retries_run_inline():
    """Eager tasks that do not propagate their errors, so that ``self.retry`` runs the
    retry at once, as Celery's eager mode does (the suite propagates them otherwise)."""
    from masternet.celery import app

    before = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = before


def _reminders(invoice, count: int = 1, **fields) -> list[Reminder]:
    kinds = ReminderKind.objects.order_by("offset_days")[:count]
    return [Reminder.objects.create(invoice=invoice, kind=kind, **fields) for kind in kinds]


def test_any_error_is_recorded_retried_and_then_marked_failed(invoice, retries_run_inline):
    """Not only OSError: a template or PDF error used to leave the row "sending" for
    ever, with no error to see."""
    with mock.patch.object(tasks, "_send_reminder_mail", side_effect=RuntimeError("no font")):
        jobs.sweep_reminders(today=invoice.due_date, catch_up_days=0)
    reminder = Reminder.objects.get(invoice=invoice)
    assert reminder.status == Reminder.Status.FAILED
    assert "RuntimeError" in reminder.last_error and "no font" in reminder.last_error
    assert reminder.attempts == 1 + tasks.send_reminders.max_retries  # retried, then given up


def test_an_error_that_goes_away_is_retried_and_sent(invoice, retries_run_inline):
    with mock.patch.object(tasks, "_send_reminder_mail", side_effect=[ValueError("flaky"), None]):
        jobs.sweep_reminders(today=invoice.due_date, catch_up_days=0)
    reminder = Reminder.objects.get(invoice=invoice)
    assert (reminder.status, reminder.attempts, reminder.last_error) == ("sent", 2, "")


def test_failed_reminders_are_listed_for_staff_with_their_error(invoice, staff_client):
    (reminder,) = _reminders(invoice)
    Reminder.objects.filter(pk=reminder.pk).update(
        status=Reminder.Status.FAILED, last_error="RuntimeError('no font')"
    )
    response = staff_client.get(
        reverse("admin:invoices_reminder_changelist"), {"status__exact": "failed"}
    )
    assert list(response.context["cl"].result_list) == [reminder]
    assert "no font" in response.content.decode()


def test_the_sweep_hands_each_reminder_over_once(invoice, handed_over):
    """Beat runs the sweep every minute: a queued reminder is not enqueued again each
    time (the claim kept it from being sent twice, but the queue grew)."""
    reminders = _reminders(invoice, 3)
    assert jobs.enqueue_reminders(batch_size=2, chunk_size=2) == 3  # in chunks, each once
    assert jobs.enqueue_reminders() == 0
    assert handed_over() == sorted(r.pk for r in reminders)
    assert all(r.enqueued_at for r in Reminder.objects.all())


def test_a_lost_message_is_enqueued_again_after_the_claim_timeout(invoice, handed_over, settings):
    (reminder,) = _reminders(invoice)
    jobs.enqueue_reminders()
    later = clock.now() + timedelta(seconds=settings.REMINDER_CLAIM_TIMEOUT - 60)
    with time_machine.travel(later, tick=False):
        assert jobs.enqueue_reminders() == 0
    later = clock.now() + timedelta(seconds=settings.REMINDER_CLAIM_TIMEOUT + 60)
    with time_machine.travel(later, tick=False):
        assert jobs.enqueue_reminders() == 1  # still queued: its message was lost
    assert handed_over() == [reminder.pk, reminder.pk]


def test_a_reminder_whose_worker_died_mid_send_is_enqueued_again(invoice, handed_over, settings):
    """REMINDER_CLAIM_TIMEOUT: a "sending" row whose claim is stale goes back to the
    workers (a new task may take a stale claim); a fresh claim is left alone."""
    stale = clock.now() - timedelta(seconds=settings.REMINDER_CLAIM_TIMEOUT + 1)
    dead, alive = _reminders(invoice, 2, status=Reminder.Status.SENDING, claimed_by="t1")
    Reminder.objects.filter(pk=dead.pk).update(claimed_at=stale, enqueued_at=stale)
    Reminder.objects.filter(pk=alive.pk).update(claimed_at=clock.now(), enqueued_at=stale)
    assert jobs.enqueue_reminders() == 1
    assert handed_over() == [dead.pk]
    assert jobs.enqueue_reminders() == 0  # not every minute: once per timeout


def test_queueing_failed_reminders_again_hands_them_over(invoice, handed_over, staff_client):
    (reminder,) = _reminders(invoice)
    jobs.enqueue_reminders()
    Reminder.objects.filter(pk=reminder.pk).update(status=Reminder.Status.FAILED)
    staff_client.post(
        reverse("admin:invoices_reminder_changelist"),
        {"action": "send_again", "_selected_action": [reminder.pk]},
    )
    assert handed_over() == [reminder.pk, reminder.pk]


def test_the_sweep_counts_only_the_reminders_it_created(invoice, place):
    """Rows another sweep inserted after this one's snapshot are dropped by the unique
    constraint; they are neither reported nor handed over by this sweep."""
    with time_machine.travel("2026-11-01 10:00 +07:00", tick=False):
        second = place()
    kind = ReminderKind.objects.get(offset_days=0)
    theirs = Reminder.objects.create(invoice=invoice, kind=kind)  # the other sweep's
    both = Invoice.objects.filter(pk__in=[invoice.pk, second.pk])
    ((reminder_id, invoice_id),) = jobs._insert_new(both, kind)
    assert invoice_id == second.pk
    assert set(Reminder.objects.filter(kind=kind).values_list("pk", flat=True)) == {
        theirs.pk,
        reminder_id,
    }


def test_each_reminder_has_a_fixed_message_id(invoice, settings):
    """A reminder sent again after a crash past the SMTP server's "250" carries the same
    Message-ID, so the receiving side can drop the duplicate."""
    jobs.sweep_reminders(today=invoice.due_date, catch_up_days=0)
    reminder = Reminder.objects.get(invoice=invoice)
    message = mail.outbox[-1]
    assert invoice.number in message.subject
    assert message.message()["Message-ID"] == f"<reminder-{reminder.pk}@masternet.co.id>"
