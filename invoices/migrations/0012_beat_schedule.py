"""The schedule of the periodic jobs, in django-celery-beat's tables, where staff edit
it in admin. Created here once, if missing (an existing entry, perhaps edited by staff,
is left as it is); no longer in settings, whose entries beat wrote over the database's
at every start. The heartbeat (core) is here too: core has no migrations."""

from django.db import migrations

# (name, task, every n seconds)
JOBS = [
    ("worker-heartbeat", "core.heartbeat", 60),
    ("billing-reminders", "invoices.sweep_reminders", 60),  # `make run` mails within a minute
    ("billing-recurring-invoices", "invoices.issue_recurring_invoices", 900),
    ("billing-overdue", "invoices.handle_overdue", 3600),
]


def create(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    created = False
    for name, task, seconds in JOBS:
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        interval = IntervalSchedule.objects.filter(every=seconds, period="seconds").first()
        if interval is None:
            interval = IntervalSchedule.objects.create(every=seconds, period="seconds")
        PeriodicTask.objects.create(name=name, task=task, interval=interval)
        created = True
    if created:  # a running beat re-reads the schedule when this changes
        from django.utils import timezone

        PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


class Migration(migrations.Migration):
    dependencies = [
        ("invoices", "0011_suspension_waivers"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
