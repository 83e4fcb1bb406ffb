"""The scheduled jobs live in django-celery-beat's tables, created by a data migration
and edited by staff in admin; starting beat keeps what staff changed."""

import importlib

import pytest
from django_celery_beat.models import IntervalSchedule, PeriodicTask, PeriodicTasks
from django_celery_beat.schedulers import DatabaseScheduler

from masternet.celery import app


def _run_the_migration():
    from django.apps import apps

    module = importlib.import_module("invoices.migrations.0012_beat_schedule")
    module.create(apps, None)


def test_the_migration_schedules_the_jobs(db):
    """The reminders sweep runs every minute: ``make run`` mails a due reminder within
    a minute of its start; the heartbeat too (the health check reads it). Run here on
    empty tables: what an earlier test left (or a flush removed) does not count."""
    PeriodicTask.objects.all().delete()
    IntervalSchedule.objects.all().delete()
    PeriodicTasks.objects.all().delete()
    _run_the_migration()
    assert PeriodicTasks.objects.get(ident=1).last_update is not None  # beat re-reads it
    schedule = {
        task.name: (task.task, task.interval.every, task.interval.period, task.enabled)
        for task in PeriodicTask.objects.select_related("interval")
    }
    seconds = IntervalSchedule.SECONDS
    assert schedule == {
        "worker-heartbeat": ("core.heartbeat", 60, seconds, True),
        "billing-reminders": ("invoices.sweep_reminders", 60, seconds, True),
        "billing-recurring-invoices": ("invoices.issue_recurring_invoices", 900, seconds, True),
        "billing-overdue": ("invoices.handle_overdue", 3600, seconds, True),
    }


def test_the_migration_leaves_an_entry_staff_edited(db):
    PeriodicTask.objects.all().delete()
    hourly = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.HOURS)
    PeriodicTask.objects.create(
        name="billing-reminders", task="invoices.sweep_reminders", interval=hourly, enabled=False
    )
    _run_the_migration()
    reminders = PeriodicTask.objects.get(name="billing-reminders")
    assert (reminders.interval, reminders.enabled) == (hourly, False)
    assert PeriodicTask.objects.count() == 4


@pytest.mark.django_db(transaction=True)  # the scheduler commits, as beat does
def test_starting_beat_keeps_what_staff_edited_in_admin():
    every_two_hours = IntervalSchedule.objects.create(every=2, period=IntervalSchedule.HOURS)
    PeriodicTask.objects.update_or_create(
        name="billing-overdue",
        defaults={"task": "invoices.handle_overdue", "interval": every_two_hours, "enabled": False},
    )
    PeriodicTask.objects.filter(name="billing-reminders").delete()  # staff removed it

    DatabaseScheduler(app=app)  # what `celery beat` does when it starts

    overdue = PeriodicTask.objects.get(name="billing-overdue")
    assert (overdue.interval, overdue.enabled) == (every_two_hours, False)
    assert not PeriodicTask.objects.filter(name="billing-reminders").exists()
