from django.core.management.commands import flush
from django.db import DEFAULT_DB_ALIAS, connections, transaction


class Command(flush.Command):
    """Django's flush, allowed to empty the append-only audit log on SQLite.

    The audit table's DELETE trigger (migration core/0005) lets rows go only while
    `core_auditpurge` holds a row; the flag is set and removed inside the flush's transaction,
    so no other statement ever sees it. PostgreSQL flushes with TRUNCATE, which its row
    triggers do not see (the application role of `setup_db_roles` may not TRUNCATE)."""

    def handle(self, **options):
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        if connection.vendor != "sqlite":
            return super().handle(**options)
        with transaction.atomic(using=connection.alias):
            with connection.cursor() as cursor:
                cursor.execute("INSERT INTO core_auditpurge (id) VALUES (1)")
            try:
                super().handle(**options)
            finally:
                with connection.cursor() as cursor:
                    cursor.execute("DELETE FROM core_auditpurge")
