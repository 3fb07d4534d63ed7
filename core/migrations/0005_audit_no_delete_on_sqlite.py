"""SQLite refuses DELETE on the audit log too (PostgreSQL already does, see 0002).

Emptying the whole database on purpose (`manage.py flush`, which `restore` and the test runner
use) is the one exception: core's `flush` command puts a row in `core_auditpurge` inside the
flush's transaction and removes it before the commit, and the trigger lets a DELETE through
only while that row exists. The flag table has no model, so flush itself never empties it."""

from django.db import migrations

SQLITE_UP = [
    "CREATE TABLE core_auditpurge (id integer PRIMARY KEY)",
    """
    CREATE TRIGGER core_auditevent_no_delete BEFORE DELETE ON core_auditevent
    WHEN NOT EXISTS (SELECT 1 FROM core_auditpurge)
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    """,
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS core_auditevent_no_delete",
    "DROP TABLE IF EXISTS core_auditpurge",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_UP:
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_DOWN:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("core", "0004_outgoingmail_reminderrecord_notificationoptout")]
    operations = [migrations.RunPython(forwards, backwards)]
