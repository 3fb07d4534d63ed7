from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from core.services import RegionImportError, import_regions


class Command(BaseCommand):
    help = "Import regions from a `code,name` CSV of the Kemendagri master (dotted codes)."

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, path, **options):
        translation.activate("id")
        try:
            with open(path, encoding="utf-8-sig", newline="") as handle:
                result = import_regions(handle)
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise CommandError(f"{path}: bukan berkas teks UTF-8") from None
        except RegionImportError as exc:
            for error in exc.errors:
                self.stderr.write(error)
            raise CommandError(
                f"{len(exc.errors)} baris bermasalah; tidak ada wilayah yang diimpor."
            ) from None
        self.stdout.write(
            f"{result.created} baru, {result.updated} diperbarui, {result.unchanged} tetap."
        )
