import io
import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection

from core.models import Attachment, AuditEvent, Office, Region
from core.services import store_attachment
from program.models import ParticipatingVillage

PDF = b"%PDF-1.7\n%%EOF\n"


def test_backup_and_restore_round_trip_database_and_files(tmp_path, db):
    call_command("seed_demo", stdout=io.StringIO())
    village = ParticipatingVillage.objects.first()
    from core.models import User

    attachment = store_attachment(
        SimpleUploadedFile("sk.pdf", PDF), owner=village, by=User.objects.get(username="ketua.tim")
    )
    before = (
        Region.objects.count(),
        ParticipatingVillage.objects.count(),
        AuditEvent.objects.count(),
        list(AuditEvent.objects.order_by("pk").values_list("action", "object_id", "changes")),
    )
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", str(archive), stdout=io.StringIO())

    attachment.file.delete(save=False)
    ParticipatingVillage.objects.update(notes="changed after the backup")
    with pytest.raises(CommandError, match="--force"):
        call_command("restore", str(archive), stdout=io.StringIO())
    if connection.vendor == "postgresql":
        # The test's own transaction still holds deferred foreign-key checks of the rows made
        # above; TRUNCATE refuses to run past them. A real restore starts from a fresh one.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("restore", str(archive), "--force", stdout=io.StringIO())

    after = (
        Region.objects.count(),
        ParticipatingVillage.objects.count(),
        AuditEvent.objects.count(),
        list(AuditEvent.objects.order_by("pk").values_list("action", "object_id", "changes")),
    )
    assert after == before
    assert set(ParticipatingVillage.objects.values_list("notes", flat=True)) == {""}
    restored = Attachment.objects.get(pk=attachment.pk)
    with restored.file.open("rb") as handle:
        assert handle.read() == PDF


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path, db):
    bogus = tmp_path / "bogus.tar.gz"
    bogus.write_bytes(b"not an archive")
    with pytest.raises(CommandError, match="not a backup archive"):
        call_command("restore", str(bogus), "--force", stdout=io.StringIO())


def test_restore_keeps_the_microseconds_of_every_timestamp(tmp_path, village_kaur, ketua_tim):
    from core.services import audit

    event = audit(village_kaur, by=ketua_tim, action="village.update")
    moment = datetime(2026, 11, 24, 3, 4, 5, 123456, tzinfo=UTC)
    exact = AuditEvent.objects.create(
        at=moment, action="x", object_type=event.object_type, object_id="1", object_repr="x"
    )
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", str(archive), stdout=io.StringIO())
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # see the round-trip test above
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    call_command("restore", str(archive), "--force", stdout=io.StringIO())

    assert AuditEvent.objects.get(pk=exact.pk).at == moment
    assert AuditEvent.objects.get(pk=event.pk).at == event.at


SQLITE_SOURCE = """
from django.db import connection
from core.models import AuditEvent, Office
office = Office.objects.get(code="1704")
with connection.cursor() as cursor:  # SQLite stores what the column cannot hold on PostgreSQL
    cursor.execute("UPDATE core_office SET name = %s WHERE id = %s", ["Kaur " * 60, office.pk])
AuditEvent.objects.create(
    at="2026-11-24T03:04:05.123456Z", action="x", object_type_id=1, object_id="1", object_repr="x"
)
"""


@pytest.mark.skipif(connection.vendor != "postgresql", reason="restores into PostgreSQL")
def test_a_sqlite_backup_restores_into_postgresql(tmp_path, db):
    source = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'source.sqlite3'}"}
    source["MEDIA_ROOT"] = str(tmp_path / "source-media")

    def manage(*args):
        subprocess.run(
            [sys.executable, "manage.py", *args],
            env=source,
            cwd=settings.BASE_DIR,
            check=True,
            capture_output=True,
        )

    manage("migrate", "-v0")
    manage("load_reference")
    manage("shell", "-c", SQLITE_SOURCE)
    archive = tmp_path / "sqlite.tar.gz"
    manage("backup", str(archive))
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    errors = io.StringIO()

    call_command("restore", str(archive), "--force", stdout=io.StringIO(), stderr=errors)

    name = Office.objects.get(code="1704").name
    assert (len(name), name.startswith("Kaur Kaur"), name.endswith("…")) == (120, True, True)
    assert "core.office" in errors.getvalue()
    assert AuditEvent.objects.get(action="x").at == datetime(2026, 11, 24, 3, 4, 5, 123456, UTC)
    assert Region.objects.count() > 1000
