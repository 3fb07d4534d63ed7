import json
import tarfile
import tempfile
from pathlib import Path

from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import CharField, TextField

from core import pagecache
from core.models import Region
from core.services import shortened_name

from .backup import DATA_FILES, register_format


def fit_columns(path: Path) -> list[str]:
    """Shorten text longer than its column (SQLite stores it whole; PostgreSQL refuses it with
    "value too long"), keeping its start and marking the cut with "…". Returns one line per
    shortened value, for the operator."""
    objects = json.loads(path.read_text(encoding="utf-8"))
    shortened = []
    for obj in objects:
        fields = apps.get_model(obj["model"])._meta
        for name, value in obj["fields"].items():
            field = fields.get_field(name)
            limit = field.max_length if isinstance(field, (CharField, TextField)) else None
            if isinstance(value, str) and limit and len(value) > limit:
                obj["fields"][name] = shortened_name(value, limit)
                shortened.append(
                    f"{obj['model']} {obj.get('pk')} {name}: {len(value)} → {limit} characters"
                )
    if shortened:
        path.write_text(json.dumps(objects, ensure_ascii=False), encoding="utf-8")
    return shortened


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
            if manifest.get("format") not in DATA_FILES:
                raise CommandError(f"{path}: unknown backup format {manifest.get('format')!r}")
            data = root / DATA_FILES[manifest["format"]]
            for line in fit_columns(data):
                self.stderr.write(f"Shortened to fit its column: {line}")
            register_format()
            with transaction.atomic():
                call_command("flush", interactive=False, verbosity=0)
                call_command("loaddata", str(data), verbosity=0)
                # The backup's counters are older than the pages cached since: never use those.
                pagecache.forget_all()
            restored = 0
            for stored in (root / "files").rglob("*"):
                if stored.is_file():
                    name = str(stored.relative_to(root / "files"))
                    if default_storage.exists(name):
                        default_storage.delete(name)
                    default_storage.save(name, ContentFile(stored.read_bytes()))
                    restored += 1
        self.stdout.write(f"Database and {restored} files restored from {path}.")
