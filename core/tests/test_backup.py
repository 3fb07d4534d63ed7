import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection

from core.models import Attachment, AuditEvent, Region
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
