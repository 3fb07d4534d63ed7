import json
import tarfile
import tempfile
import time
from pathlib import Path

from django.core import serializers
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import BaseCommand

from core.models import Attachment

# 2: data.backup in the "backup" format (core/backup_format.py: times keep their microseconds).
# 1: data.json in Django's JSON (times cut to milliseconds); restore still reads it.
BACKUP_FORMAT = 2
DATA_FILES = {1: "data.json", 2: "data.backup"}
# Rebuilt by migrate (content types, permissions) or transient (sessions, login attempts).
EXCLUDED = ["contenttypes", "auth.permission", "sessions", "admin.logentry", "axes"]


def register_format() -> None:
    serializers.register_serializer("backup", "core.backup_format")


class Command(BaseCommand):
    help = "Write the whole database and every uploaded file to one .tar.gz (see `restore`)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the archive to write, e.g. backup-2026-11-25.tar.gz")

    def handle(self, path, **options):
        started = time.monotonic()
        register_format()
        with tempfile.TemporaryDirectory() as tmp, tarfile.open(path, "w:gz") as archive:
            data = Path(tmp) / DATA_FILES[BACKUP_FORMAT]
            call_command(
                "dumpdata",
                exclude=EXCLUDED,
                natural_foreign=True,
                format="backup",
                output=str(data),
                verbosity=0,
            )
            archive.add(data, data.name)
            files = 0
            for name in Attachment.objects.values_list("file", flat=True).iterator():
                target = Path(tmp) / "file"
                with default_storage.open(name, "rb") as handle:
                    target.write_bytes(handle.read())
                archive.add(target, f"files/{name}")
                files += 1
            manifest = Path(tmp) / "manifest.json"
            manifest.write_text(json.dumps({"format": BACKUP_FORMAT, "files": files}))
            archive.add(manifest, "manifest.json")
        self.stdout.write(
            f"{files} files and the database → {path} ({time.monotonic() - started:.1f} s)"
        )
