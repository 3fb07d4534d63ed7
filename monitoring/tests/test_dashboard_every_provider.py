"""The dashboard pages with every app's provider (work plan, recap, reports, meetings, LKE) on
the demo world, where each provider has items, then on a world with three times the villages
and their reports and LKE worksheets: the number of queries of each page stays the same.
Measured uncached (the page cache is emptied before each request)."""

import io
import random
from datetime import date, datetime

import pytest
import time_machine
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.deadlines import JAKARTA
from core.models import Office, Region, User
from lke.models import Assessment
from lke.services import add_missing_worksheets
from monitoring.queries import tracked_items
from program.models import ParticipatingVillage, ProgramYear, Stage, VillageKind, WorkPlanActivity
from reports.management.commands.seed_reports import SimpleSeed, seed_reports

pytestmark = pytest.mark.all_providers
MOMENT = datetime(2026, 11, 25, 9, tzinfo=JAKARTA)
ACTIVITIES = {
    "rencana_kerja",
    "monitoring",
    "rapat",
    "tindak_lanjut",
    "sosialisasi",
    "identifikasi",
    "laporan_akhir",
    "penilaian",
}


def _queries(client, url: str, params: dict) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200, url
    return len(queries)


def _pages(client, kaur: Office, village: ParticipatingVillage) -> dict[str, int]:
    year = {"tahun": 2026}
    return {
        "dashboard": _queries(client, reverse("monitoring:dashboard"), year),
        "kab/kota": _queries(client, reverse("monitoring:office", args=[kaur.pk]), year),
        "village": _queries(client, reverse("monitoring:village", args=[village.pk]), {}),
        "home": _queries(client, reverse("program:home"), year),
    }


def _grow(year: ProgramYear, per_office: int) -> None:
    """`per_office` more villages in every kab/kota, each with a work plan, reports as of the
    frozen day, and its LKE worksheet."""
    taken = set(ParticipatingVillage.objects.values_list("village_id", flat=True))
    new = []
    for office in Office.objects.filter(parent=year.province):
        free = Region.objects.filter(
            level=Region.Level.DESA, code__startswith=office.region.code + "."
        ).exclude(pk__in=taken)
        new += [
            ParticipatingVillage(
                program_year=year, village=desa, office=office, kind=VillageKind.TAMBAHAN
            )
            for desa in free.order_by("code")[:per_office]
        ]
    villages = ParticipatingVillage.objects.bulk_create(new)
    WorkPlanActivity.objects.bulk_create(
        WorkPlanActivity(
            village=v,
            stage=stage,
            name=f"Kegiatan {n}",
            planned_start=date(2026, 3, 1),
            planned_end=date(2026, 6 + n, 10),
            realised_on=date(2026, 6 + n, 8) if n != 1 else None,
        )
        for v in villages
        for n, stage in enumerate([Stage.KOORDINASI, Stage.PERENCANAAN, Stage.PELAKSANAAN])
    )
    seed_reports(SimpleSeed(rng=random.Random(7), today=MOMENT.date()))
    lead = User.objects.get(username="ketua.tim")
    add_missing_worksheets(Assessment.objects.get(program_year=year), by=lead)


@time_machine.travel(MOMENT, tick=False)
def test_dashboard_pages_with_every_provider_keep_their_query_count_as_the_data_grows(db, client):
    call_command("load_instruments", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    year = ProgramYear.objects.get(year=2026)
    kaur = Office.objects.get(code="1704")
    village = ParticipatingVillage.objects.filter(program_year=year, office=kaur).first()
    offices = list(Office.objects.filter(parent=year.province).values_list("pk", flat=True))
    offices.append(year.province_id)
    before = tracked_items(year, offices, now=MOMENT)
    assert {item.activity for item in before} >= ACTIVITIES  # every provider has items
    client.force_login(User.objects.get(username="ketua.tim"))
    _pages(client, kaur, village)  # warm the content types and the instrument
    small = _pages(client, kaur, village)

    _grow(year, per_office=6)

    after = tracked_items(year, offices, now=MOMENT)
    assert len(after) > 2 * len(before)
    assert ParticipatingVillage.objects.filter(program_year=year).count() == 90
    assert _pages(client, kaur, village) == small
