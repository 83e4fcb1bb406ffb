"""The first history row of every user and invitation that existed before their audit
began (0004 created the history tables, empty): what ``populate_history`` would write,
with each user's groups and permissions at that moment (0005).

Only records with no history row yet get one, so running it twice, or after the audit
already recorded a change, adds nothing; on an empty database it does nothing. Works on
SQLite and PostgreSQL alike (plain ORM, batches of ids).
"""

from django.db import migrations
from django.utils import timezone

REASON = "history started: the record as it was when its audit began"
HISTORY_COLUMNS = {
    "history_id",
    "history_date",
    "history_change_reason",
    "history_type",
    "history_user",
}
BATCH = 500


def _initial_history(apps, using, model_name, m2m_fields=()):
    model = apps.get_model("customers", model_name)
    history = apps.get_model("customers", f"Historical{model_name}")
    tracked = [f for f in history._meta.concrete_fields if f.name not in HISTORY_COLUMNS]
    audited = history.objects.using(using).values("id")
    pending = list(
        model.objects.using(using).exclude(pk__in=audited).order_by("pk").values_list("pk", flat=True)
    )
    now = timezone.now()
    for start in range(0, len(pending), BATCH):
        ids = pending[start : start + BATCH]
        history.objects.using(using).bulk_create(
            history(
                history_date=now,
                history_type="+",
                history_change_reason=REASON,
                history_user=None,
                **{field.attname: getattr(obj, field.attname) for field in tracked},
            )
            for obj in model.objects.using(using).filter(pk__in=ids)
        )
        if not m2m_fields:
            continue
        # Which history row is each record's (bulk_create returns no ids on every DB).
        rows = dict(
            history.objects.using(using)
            .filter(id__in=ids, history_change_reason=REASON, history_type="+")
            .values_list("id", "history_id")
        )
        for name in m2m_fields:
            m2m_history = apps.get_model("customers", f"Historical{model_name}_{name}")
            through = model._meta.get_field(name).remote_field.through
            source = model._meta.model_name  # the through model's column for the record
            columns = [field.attname for field in through._meta.concrete_fields]
            m2m_history.objects.using(using).bulk_create(
                m2m_history(
                    history_id=rows[getattr(link, f"{source}_id")],
                    **{column: getattr(link, column) for column in columns},
                )
                for link in through.objects.using(using).filter(**{f"{source}_id__in": ids})
            )


def forwards(apps, schema_editor):
    using = schema_editor.connection.alias
    _initial_history(apps, using, "User", m2m_fields=("groups", "user_permissions"))
    _initial_history(apps, using, "Invitation")


def backwards(apps, schema_editor):
    using = schema_editor.connection.alias
    for model_name, m2m_fields in (("User", ("groups", "user_permissions")), ("Invitation", ())):
        history = apps.get_model("customers", f"Historical{model_name}")
        initial = history.objects.using(using).filter(history_change_reason=REASON)
        for name in m2m_fields:
            m2m_history = apps.get_model("customers", f"Historical{model_name}_{name}")
            m2m_history.objects.using(using).filter(history__in=initial).delete()
        initial.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0005_invitation_replaced_and_user_m2m_history"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
