"""The database refuses to change a submitted version or a review, whatever code path tries.

As for the audit log (core 0002): on SQLite UPDATE is refused (DELETE stays possible because the
test runner empties tables with DELETE); on PostgreSQL UPDATE and DELETE are refused row by row,
TRUNCATE (test flushes, `manage.py restore`) is outside these triggers."""

from django.db import migrations

TABLES = ("reports_reportversion", "reports_review")


def sqlite_up(table: str) -> str:
    return (
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} rows are immutable'); END;"
    )


POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION reports_immutable() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'report versions and reviews are immutable'; END;
$$ LANGUAGE plpgsql;
"""


def postgres_up(table: str) -> str:
    return (
        f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION reports_immutable();"
    )


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for table in TABLES:
            schema_editor.execute(sqlite_up(table))
    elif vendor == "postgresql":
        schema_editor.execute(POSTGRES_FUNCTION)
        for table in TABLES:
            schema_editor.execute(postgres_up(table))


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update;")
        elif vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_change ON {table};")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS reports_immutable();")


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
