import json
import tarfile
import tempfile
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core.models import Region

from .backup import BACKUP_FORMAT


class Command(BaseCommand):
    help = "Replace the database and the uploaded files with a `backup` archive."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument(
            "--force", action="store_true", help="replace a database that already holds data"
        )

    def handle(self, path, *, force: bool, **options):
        if Region.objects.exists() and not force:
            raise CommandError("The database is not empty; add --force to replace it.")
        with tempfile.TemporaryDirectory() as tmp:
            try:
                with tarfile.open(path, "r:gz") as archive:
                    archive.extractall(tmp, filter="data")
            except (OSError, tarfile.TarError) as exc:
                raise CommandError(f"{path}: not a backup archive ({exc})") from None
            root = Path(tmp)
            manifest = json.loads((root / "manifest.json").read_text())
            if manifest.get("format") != BACKUP_FORMAT:
                raise CommandError(f"{path}: unknown backup format {manifest.get('format')!r}")
            with transaction.atomic():
                call_command("flush", interactive=False, verbosity=0)
                call_command("loaddata", str(root / "data.json"), verbosity=0)
            restored = 0
            for stored in (root / "files").rglob("*"):
                if stored.is_file():
                    name = str(stored.relative_to(root / "files"))
                    if default_storage.exists(name):
                        default_storage.delete(name)
                    default_storage.save(name, ContentFile(stored.read_bytes()))
                    restored += 1
        self.stdout.write(f"Database and {restored} files restored from {path}.")
