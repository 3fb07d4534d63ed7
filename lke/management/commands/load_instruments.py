"""Load the LKE instruments shipped as YAML files (lke/instruments/*.yaml), or the files named.

Idempotent: an instrument whose year and version exist with the same content is left alone; one
that changed is replaced while no assessment uses it; a locked one (in use) is reported and left
unchanged (a change to it needs a higher version in the file)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lke.instrument_data import (
    InstrumentDataError,
    check_instrument_data,
    instrument_to_data,
    read_yaml,
    shipped_files,
)
from lke.models import Instrument
from lke.services import create_instrument


class Command(BaseCommand):
    help = "Load the LKE instruments from lke/instruments/*.yaml (or the given files)."

    def add_arguments(self, parser):
        parser.add_argument(
            "paths", nargs="*", type=Path, help="YAML files (default: shipped ones)"
        )

    def handle(self, *, paths: list[Path], **options):
        for path in paths or shipped_files():
            try:
                data = read_yaml(path)
                clean = check_instrument_data(data)
            except InstrumentDataError as error:
                raise CommandError(f"{path.name}:\n  " + "\n  ".join(error.errors)) from None
            label = f"{path.name}: {clean['year']} v{clean['version']}"
            existing = Instrument.objects.filter(
                year=clean["year"], version=clean["version"]
            ).first()
            if (
                existing is not None
                and check_instrument_data(instrument_to_data(existing)) == clean
            ):
                self.stdout.write(f"{label} unchanged.")
            elif existing is not None and existing.in_use:
                self.stderr.write(
                    f"{label} differs from the stored one, which is in use (locked): not changed. "
                    "Raise `version` in the file to load the change as a new version."
                )
            else:
                create_instrument(data, by=None)
                self.stdout.write(f"{label} {'replaced' if existing else 'loaded'}.")
