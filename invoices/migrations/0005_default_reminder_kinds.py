"""The default reminder schedule: 7 and 1 days before the due date, on the day,
3 and 7 days after. Staff can change it in admin."""

from django.db import migrations

DEFAULTS = [
    ("7-days-before", "7 hari sebelum jatuh tempo", -7),
    ("1-day-before", "1 hari sebelum jatuh tempo", -1),
    ("due-today", "Hari jatuh tempo", 0),
    ("3-days-after", "3 hari setelah jatuh tempo", 3),
    ("7-days-after", "7 hari setelah jatuh tempo", 7),
]


def create(apps, schema_editor):
    ReminderKind = apps.get_model("invoices", "ReminderKind")
    for code, name, offset in DEFAULTS:
        ReminderKind.objects.get_or_create(
            code=code, defaults={"name": name, "offset_days": offset}
        )


class Migration(migrations.Migration):
    dependencies = [("invoices", "0004_reminderkind_reminder")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
