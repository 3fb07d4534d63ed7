import csv

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from core.models import Office, Region

DATA = settings.BASE_DIR / "data"


class Command(BaseCommand):
    help = "Load the Bengkulu regions and BPS offices shipped under data/ (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when regions already exist"
        )

    def handle(self, *, if_empty: bool, **options):
        if if_empty and Region.objects.exists():
            self.stdout.write("Reference data already loaded.")
            return
        call_command("import_regions", str(DATA / "regions-bengkulu.csv"), stdout=self.stdout)
        with open(DATA / "offices-bengkulu.csv", encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        with transaction.atomic():
            for row in rows:  # the province office comes first in the file
                region = Region.objects.get(code=row["region_code"])
                parent = None
                if region.level == Region.Level.KABKOTA:
                    parent = Office.objects.get(region=region.parent)
                Office.objects.update_or_create(
                    code=row["code"],
                    defaults={
                        "name": row["name"],
                        "short_name": row["short_name"],
                        "region": region,
                        "parent": parent,
                        "kind": Office.Kind.KABKOTA if parent else Office.Kind.PROVINSI,
                    },
                )
        self.stdout.write(f"{len(rows)} offices loaded.")
