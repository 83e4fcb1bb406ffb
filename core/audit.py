"""The audit trail of every state change: django-simple-history records, with each
saved row, who made the change and why."""

from django.db import connection
from django.utils import timezone

HISTORY_COLUMNS = ("history_date", "history_change_reason", "history_type", "history_user")


def audited(instance, *, actor, reason: str):
    """Mark ``instance`` so that its next save records ``actor`` (a user, or None for
    a scheduled job) and ``reason`` in its history; returns it, to chain ``.save()``."""
    instance._history_user = actor
    instance._change_reason = reason
    return instance


def history_bulk_record(model, ids, *, reason: str, created: bool = False, actor=None) -> None:
    """Record in their history the current state of the ``model`` rows ``ids``, as
    simple-history's ``bulk_history_create`` does, with one ``INSERT … SELECT`` per
    thousand rows: the database copies the tracked columns, nothing passes through
    Python (the recurring invoice run records 100,000 services and invoices a day)."""
    history = model.history.model
    tracked = history.tracked_fields
    quote = connection.ops.quote_name
    columns = [field.column for field in tracked]
    columns += [history._meta.get_field(name).column for name in HISTORY_COLUMNS]
    constants = [
        connection.ops.adapt_datetimefield_value(timezone.now()),
        reason,
        "+" if created else "~",
        actor.pk if actor else None,
    ]
    ids = list(ids)
    for start in range(0, len(ids), 1000):
        rows = model._base_manager.filter(pk__in=ids[start : start + 1000]).order_by("pk")
        select, params = rows.values_list(*(f.attname for f in tracked)).query.sql_with_params()
        # Names come from the models, the SELECT from the ORM; every value is a parameter.
        sql = (
            f"INSERT INTO {quote(history._meta.db_table)} ({', '.join(map(quote, columns))})"  # noqa: S608  # nosec B608
            f" SELECT tracked.*, %s, %s, %s, %s FROM ({select}) AS tracked"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*constants, *params])
