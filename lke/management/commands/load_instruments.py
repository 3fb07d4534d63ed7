"""Load the LKE instruments shipped in lke/instruments/: the YAML files (the plain form) and the
official workbooks (*.xlsx in the national layout, read by lke/workbook.py), or the files named.

Idempotent: an instrument whose year and version exist with the same content is left alone; one
that changed is replaced while no assessment uses it; a locked one (in use) is reported and left
unchanged (a change to it needs a higher version: `--instrument-version` for a workbook)."""

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
from lke.workbook import read_official_workbook, shipped_workbooks


def read_file(path: Path, *, version: int) -> dict:
    if path.suffix.lower() == ".xlsx":
        with open(path, "rb") as handle:
            return read_official_workbook(handle, version=version, name=path.name)
    return read_yaml(path)


class Command(BaseCommand):
    help = (
        "Load the LKE instruments from lke/instruments/ (*.yaml, and official workbooks *.xlsx) "
        "or from the given files."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "paths", nargs="*", type=Path, help="YAML or official xlsx files (default: shipped)"
        )
        parser.add_argument(
            "--instrument-version",
            dest="instrument_version",
            type=int,
            default=1,
            help="The version given to an official workbook.",
        )

    def handle(self, *, paths: list[Path], instrument_version: int, **options):
        for path in paths or [*shipped_files(), *shipped_workbooks()]:
            try:
                data = read_file(path, version=instrument_version)
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
                    "Raise the version (`version` in a YAML file, --instrument-version for a "
                    "workbook) to load the change as a new version."
                )
            else:
                create_instrument(data, by=None)
                self.stdout.write(f"{label} {'replaced' if existing else 'loaded'}.")
