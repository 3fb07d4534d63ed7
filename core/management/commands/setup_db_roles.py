from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction

# Tables the application may only add to and read: nobody using the application's role can
# change or remove a row, empty the table or switch its trigger off (only the owner may).
APPEND_ONLY_TABLES = ["core_auditevent"]


class Command(BaseCommand):
    help = (
        "PostgreSQL: set up the two database roles of a production deployment: an OWNER that "
        "owns every table and runs migrations and restores, and an APPLICATION role the app "
        "servers connect as, with normal rights on every table except the audit log, where it "
        "may only INSERT and SELECT. Run it as a superuser (or a role with CREATEROLE that owns "
        "the tables) after `migrate`; it is idempotent. See docs/deploy.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("--owner", default="monev_owner", help="the owner role")
        parser.add_argument("--app", default="monev_app", help="the application role")
        parser.add_argument("--owner-password", help="set (or change) the owner's password")
        parser.add_argument("--app-password", help="set (or change) the application's password")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *, owner, app, owner_password, app_password, database, **options):
        connection = connections[database]
        if connection.vendor != "postgresql":
            raise CommandError("Database roles exist only on PostgreSQL; SQLite has none.")
        if owner == app:
            raise CommandError("The owner and the application role must differ.")
        q = connection.ops.quote_name
        with transaction.atomic(using=database), connection.cursor() as cursor:
            for role, password in ((owner, owner_password), (app, app_password)):
                cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
                verb = "ALTER" if cursor.fetchone() else "CREATE"
                if password:
                    cursor.execute(f"{verb} ROLE {q(role)} LOGIN PASSWORD %s", [password])
                else:
                    cursor.execute(f"{verb} ROLE {q(role)} LOGIN")
            cursor.execute("SELECT current_database(), current_schema()")
            database_name, schema = cursor.fetchone()
            cursor.execute(f"GRANT CONNECT, TEMPORARY ON DATABASE {q(database_name)} TO {q(app)}")
            cursor.execute(f"GRANT ALL ON SCHEMA {q(schema)} TO {q(owner)}")
            cursor.execute(f"REVOKE CREATE ON SCHEMA {q(schema)} FROM PUBLIC, {q(app)}")
            cursor.execute(f"GRANT USAGE ON SCHEMA {q(schema)} TO {q(app)}")
            cursor.execute(
                "SELECT c.relname, c.relkind FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = %s AND c.relkind IN ('r', 'S', 'v') AND NOT EXISTS "
                "(SELECT 1 FROM pg_depend d WHERE d.objid = c.oid "
                "AND d.deptype IN ('e', 'a', 'i'))",
                [schema],
            )
            relations = cursor.fetchall()
            for name, kind in relations:
                what = {"r": "TABLE", "S": "SEQUENCE", "v": "VIEW"}[kind]
                cursor.execute(f"ALTER {what} {q(name)} OWNER TO {q(owner)}")
            cursor.execute(
                "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n "
                "ON n.oid = p.pronamespace WHERE n.nspname = %s AND NOT EXISTS "
                "(SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')",
                [schema],
            )
            for (function,) in cursor.fetchall():
                cursor.execute(f"ALTER FUNCTION {function} OWNER TO {q(owner)}")
            cursor.execute(
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {q(schema)} "
                f"TO {q(app)}"
            )
            cursor.execute(
                f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {q(schema)} TO {q(app)}"
            )
            # A table's own sequence follows its table. Tables and sequences of later
            # migrations (run as the owner) get the same rights.
            cursor.execute(
                f"ALTER DEFAULT PRIVILEGES FOR ROLE {q(owner)} IN SCHEMA {q(schema)} "
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {q(app)}"
            )
            cursor.execute(
                f"ALTER DEFAULT PRIVILEGES FOR ROLE {q(owner)} IN SCHEMA {q(schema)} "
                f"GRANT USAGE, SELECT ON SEQUENCES TO {q(app)}"
            )
            for table in APPEND_ONLY_TABLES:
                cursor.execute(f"REVOKE ALL ON {q(table)} FROM {q(app)}, PUBLIC")
                cursor.execute(f"GRANT SELECT, INSERT ON {q(table)} TO {q(app)}")
        self.stdout.write(
            f"{len(relations)} tables and sequences owned by {owner}; {app} may read and write "
            f"them, and only INSERT/SELECT on {', '.join(APPEND_ONLY_TABLES)}."
        )
