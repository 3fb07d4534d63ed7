"""The two PostgreSQL roles of `setup_db_roles`: the application role may only add to and read
the audit log. Each check runs as that role (SET ROLE) inside the test's transaction, so the
roles and ownership changes are rolled back with it."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import ProgrammingError, connection, transaction

from core.models import AuditEvent, Office
from core.services import audit

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="database roles exist only on PostgreSQL"
)


@pytest.fixture
def app_role(db):
    # Roles are global to the PostgreSQL server: names of this test database's own.
    name = connection.settings_dict["NAME"]
    owner, app = f"{name}_owner", f"{name}_app"
    call_command("setup_db_roles", owner=owner, app=app, stdout=io.StringIO())
    return app


def as_role(role: str, sql: str, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {connection.ops.quote_name(role)}")
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else None


@postgresql_only
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE core_auditevent SET reason = 'rewritten'",
        "DELETE FROM core_auditevent",
        "TRUNCATE core_auditevent",
        "TRUNCATE core_auditevent CASCADE",
        "ALTER TABLE core_auditevent DISABLE TRIGGER core_auditevent_no_change",
        "ALTER TABLE core_auditevent DISABLE TRIGGER ALL",
        "DROP TRIGGER core_auditevent_no_change ON core_auditevent",
        "DROP TABLE core_auditevent CASCADE",
    ],
)
def test_application_role_cannot_change_or_remove_the_audit_log(
    app_role, village_kaur, ketua_tim, sql
):
    audit(village_kaur, by=ketua_tim, action="village.update")
    before = list(AuditEvent.objects.order_by("pk").values_list("pk", "reason"))

    with pytest.raises(ProgrammingError, match="permission denied|must be owner"):
        as_role(app_role, sql)

    assert list(AuditEvent.objects.order_by("pk").values_list("pk", "reason")) == before


@postgresql_only
def test_application_role_adds_to_and_reads_the_audit_log_and_works_elsewhere(
    app_role, village_kaur, ketua_tim
):
    event = audit(village_kaur, by=ketua_tim, action="village.update")
    office = Office.objects.get(code="1704")

    as_role(
        app_role,
        "INSERT INTO core_auditevent (at, action, object_type_id, object_id, object_repr, "
        "changes, reason) SELECT now(), 'x', object_type_id, object_id, object_repr, '{}', '' "
        "FROM core_auditevent WHERE id = %s",
        [event.pk],
    )
    rows = as_role(app_role, "SELECT count(*) FROM core_auditevent")
    as_role(app_role, "UPDATE core_office SET name = name || '!' WHERE id = %s", [office.pk])
    as_role(app_role, "DELETE FROM django_session")

    assert rows == [(AuditEvent.objects.count(),)]
    assert Office.objects.get(pk=office.pk).name == office.name + "!"


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite refusal")
def test_setup_db_roles_explains_that_sqlite_has_no_roles(db):
    with pytest.raises(CommandError, match="only on PostgreSQL"):
        call_command("setup_db_roles", stdout=io.StringIO())
