"""A trigram index for the staff's subject search (``icontains``) on PostgreSQL.

Django's ``icontains`` is ``UPPER(subject::text) LIKE UPPER('%…%')`` there, which only
a trigram index on that expression can serve. Other databases (SQLite in local tests)
get no index; where pg_trgm cannot be installed, the search still works, unindexed.
"""

from django.db import DatabaseError, migrations, transaction

INDEX = "ticket_subject_trgm"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        try:
            with transaction.atomic(using=schema_editor.connection.alias):
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except DatabaseError:
            print(f"\n  pg_trgm is not available: {INDEX} not created (search stays unindexed).")
            return
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON tickets_ticket "
            "USING gin ((UPPER(subject::text)) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
