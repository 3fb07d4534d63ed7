"""The dashboard's figures with every app's provider (work plan, recap, reports, meetings, LKE),
as the dashboard runs them: one test per figure on a small world where each provider has items
(`world`, counted by hand below), then the pages on the demo world and on one with three times
the villages and their reports and LKE worksheets: the number of queries of each page stays the
same. Measured uncached (the page cache is emptied before each request).

The world at Monday 18 May 2026, noon (the `plan` fixture of conftest, plus one meeting and two
action items), item by item with its status:

Rejang Lebong (one village, Kota Padang)
  rencana_kerja  Sosialisasi tepat_waktu, Identifikasi terlambat, Rencana lewat (15 May),
                 Pelatihan agen segera (20 May), Publikasi belum (31 Jul), Website desa
                 dispensasi (12 → 25 May)
  sosialisasi    the report, anchored on the Sosialisasi realised 8 May: segera (22 May)
  identifikasi   the report, anchored on the Identifikasi realised 12 May: belum (26 May)
  laporan_akhir  belum, no date yet (coaching has not ended)
  penilaian      belum_dibuka (the LKE assessment is not opened)
  tindak_lanjut  an action item due 14 May, marked done 16 May: terlambat
Kaur (one village, Gedung Wani)
  rencana_kerja  three lewat (30 Apr, 1 May, 3 May), Rencana Kaur tepat_waktu
  sosialisasi, identifikasi, laporan_akhir  belum, no date (nothing realised to anchor them)
  penilaian      belum_dibuka
  tindak_lanjut  an action item due 8 May, open: lewat
Provinsi Bengkulu (its own SOP items)
  monitoring     six bimonthly recaps, none signed: periods 1 and 2 lewat, 3–6 belum
  rapat          six periods: period 1 lewat, period 2 tepat_waktu (the meeting of 20 April),
                 3–6 belum"""

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

from .conftest import NOW

frozen = time_machine.travel(NOW, tick=False)

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
    year = ProgramYear.objects.get(province__code="1700", year=2026)
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


# --- every figure of the dashboard with every provider, counted by hand -----------------------


@pytest.fixture
def world(plan, year_2026, province, rejang_lebong, kaur, ketua_tim, tim_rejang_lebong):
    """The `plan` of conftest, a closed meeting of period 2 (held 20 April) and two action
    items of it: Rejang Lebong's, done two days late; Kaur's, overdue."""
    from meetings.models import ActionItem, Meeting

    meeting = Meeting.objects.create(
        program_year=year_2026,
        title="Rapat koordinasi Maret–April",
        period_start=date(2026, 3, 1),
        starts_at=datetime(2026, 4, 20, 10, tzinfo=JAKARTA),
        ends_at=datetime(2026, 4, 20, 12, tzinfo=JAKARTA),
        platform=Meeting.Platform.ZOOM,
        link="https://zoom.us/j/123456789",
        state=Meeting.State.CLOSED,
        created_by=ketua_tim,
        held_at=datetime(2026, 4, 20, 12, tzinfo=JAKARTA),
        held_by=ketua_tim,
        closed_at=datetime(2026, 4, 21, 9, tzinfo=JAKARTA),
        closed_by=ketua_tim,
    )
    meeting.invited_offices.set([rejang_lebong, kaur])
    ActionItem.objects.create(
        meeting=meeting,
        owner_office=rejang_lebong,
        description="Kirim daftar agen statistik",
        due_date=date(2026, 5, 14),
        state=ActionItem.State.DONE,
        done_at=datetime(2026, 5, 16, 9, tzinfo=JAKARTA),
        done_by=tim_rejang_lebong,
        created_by=ketua_tim,
    )
    ActionItem.objects.create(
        meeting=meeting,
        owner_office=kaur,
        description="Lengkapi jadwal pembinaan",
        due_date=date(2026, 5, 8),
        created_by=ketua_tim,
    )
    return plan


def _f(row, code=None):
    f = row.total if code is None else row.activity(code)
    return (f.done, f.expected, f.on_time, f.overdue, f.open, f.completeness, f.timeliness)


@pytest.fixture
def dashboard(world, ketua_tim, year_2026):
    from monitoring.queries import province_dashboard

    return province_dashboard(ketua_tim, year_2026, now=NOW)


@frozen
def test_every_provider_contributes_items_to_the_world(world, year_2026, province):
    from monitoring.queries import PROVIDERS

    offices = [province.pk, *Office.objects.filter(parent=province).values_list("pk", flat=True)]
    by_provider = {p.__module__: len(p(year_2026, frozenset(offices), now=NOW)) for p in PROVIDERS}

    assert by_provider == {
        "program.queries": 10,  # the work plan
        "monitoring.queries": 6,  # the recap
        "reports.queries": 6,  # three reports per village
        "meetings.queries": 8,  # six meeting periods and two action items
        "lke.queries": 2,  # one assessment item per kab/kota
    }


@frozen
def test_completeness_and_timeliness_per_office_and_activity(dashboard, rejang_lebong, kaur):
    # (done, expected, on time, overdue, open, completeness %, timeliness %)
    assert dashboard.kabkota_activities == [
        "rencana_kerja",
        "sosialisasi",
        "identifikasi",
        "penilaian",
        "laporan_akhir",
        "tindak_lanjut",
    ]
    rl, kaur_row = dashboard.row_for(rejang_lebong.pk), dashboard.row_for(kaur.pk)
    assert {code: _f(rl, code) for code in dashboard.kabkota_activities} == {
        "rencana_kerja": (2, 3, 1, 1, 4, 66.7, 50.0),
        "sosialisasi": (0, 0, 0, 0, 1, None, None),  # due soon: not expected yet
        "identifikasi": (0, 0, 0, 0, 1, None, None),
        "penilaian": (0, 0, 0, 0, 1, None, None),  # not opened: never expected
        "laporan_akhir": (0, 0, 0, 0, 1, None, None),
        "tindak_lanjut": (1, 1, 0, 0, 0, 100.0, 0.0),  # done, two days late
    }
    assert {code: _f(kaur_row, code) for code in dashboard.kabkota_activities} == {
        "rencana_kerja": (1, 4, 1, 3, 3, 25.0, 100.0),
        "sosialisasi": (0, 0, 0, 0, 1, None, None),
        "identifikasi": (0, 0, 0, 0, 1, None, None),
        "penilaian": (0, 0, 0, 0, 1, None, None),
        "laporan_akhir": (0, 0, 0, 0, 1, None, None),
        "tindak_lanjut": (0, 1, 0, 1, 1, 0.0, None),
    }
    assert _f(rl) == (3, 4, 1, 1, 8, 75.0, 33.3)
    assert _f(kaur_row) == (1, 5, 1, 4, 8, 20.0, 100.0)
    assert (rl.villages, kaur_row.villages) == (1, 1)


@frozen
def test_overdue_and_open_counts_and_the_totals(dashboard):
    totals = dashboard.totals
    # Rejang Lebong 3/4 done, 1 overdue, 8 open; Kaur 1/5, 4 overdue, 8 open.
    assert _f(totals) == (4, 9, 2, 5, 16, 44.4, 50.0)
    assert totals.total.late == 2  # Identifikasi and the action item
    assert _f(totals, "rencana_kerja") == (3, 7, 2, 4, 7, 42.9, 66.7)
    assert _f(totals, "tindak_lanjut") == (1, 2, 0, 1, 1, 50.0, 0.0)
    assert totals.villages == 2
    assert totals.rag == "red"  # five overdue items


@frozen
def test_the_status_of_each_office_and_of_each_activity(dashboard, rejang_lebong, kaur, province):
    from monitoring.templatetags.monitoring import cell_rag

    rl, kaur_row = dashboard.row_for(rejang_lebong.pk), dashboard.row_for(kaur.pk)
    own = dashboard.row_for(province.pk)
    # Rejang Lebong: one overdue item, 75 % complete → amber; Kaur: four overdue → red; the
    # province: three overdue → red.
    assert (rl.rag, kaur_row.rag, own.rag) == ("amber", "red", "red")
    codes = dashboard.kabkota_activities
    assert {c: cell_rag(rl.activity(c)) for c in codes} == {
        "rencana_kerja": "amber",  # one overdue
        "sosialisasi": "green",  # nothing due yet
        "identifikasi": "green",
        "penilaian": "green",
        "laporan_akhir": "green",
        "tindak_lanjut": "green",  # done (late, but done: complete)
    }
    assert {c: cell_rag(kaur_row.activity(c)) for c in codes} == {
        "rencana_kerja": "red",  # three overdue
        "sosialisasi": "green",
        "identifikasi": "green",
        "penilaian": "green",
        "laporan_akhir": "green",
        "tindak_lanjut": "red",  # nothing of it done: 0 %
    }
    assert {c: cell_rag(own.activity(c)) for c in dashboard.province_activities} == {
        "monitoring": "red",  # 0 % complete
        "rapat": "amber",  # one overdue, 50 % complete
    }


@frozen
def test_the_province_offices_own_items(dashboard, province):
    own = dashboard.row_for(province.pk)

    assert dashboard.province_activities == ["monitoring", "rapat"]
    assert _f(own, "monitoring") == (0, 2, 0, 2, 6, 0.0, None)
    assert _f(own, "rapat") == (1, 2, 1, 1, 5, 50.0, 100.0)
    assert _f(own) == (1, 4, 1, 3, 11, 25.0, 100.0)
    assert _f(dashboard.totals, "monitoring") == (0, 0, 0, 0, 0, None, None)  # not in totals


@frozen
def test_the_worst_item_of_each_office(dashboard, rejang_lebong, kaur, province):
    worst = {
        row.office_id: (row.worst.label, row.worst.status.value, row.worst.due.date())
        for row in dashboard.rows
        if row.worst is not None
    }

    # The other eight kab/kota of Bengkulu have no villages this year: no items, no worst one.
    assert len(dashboard.kabkota_rows) == 10
    assert worst == {
        rejang_lebong.pk: ("Kota Padang: Rencana", "lewat", date(2026, 5, 15)),
        # before the action item of 8 May
        kaur.pk: ("Gedung Wani: Sosialisasi Kaur", "lewat", date(2026, 4, 30)),
        # the meeting and the recap of period 1 are both due 28 February: by label
        province.pk: ("Rapat Januari–Februari 2026", "lewat", date(2026, 2, 28)),
    }


@frozen
def test_the_dashboard_page_shows_these_figures_and_colours(client, world, ketua_tim, kaur):
    import re

    client.force_login(ketua_tim)

    html = client.get(reverse("monitoring:dashboard"), {"tahun": 2026}).content.decode()

    row = html[html.index(f'data-office="{kaur.code}"') :]
    row = row[: row.index("</tr>")]
    cells = re.findall(r'data-rag="(\w+)"[^>]*><div class="figure-main">(\d+/\d+)</div>', row)
    assert cells == [
        ("red", "1/4"),
        ("green", "0/0"),
        ("green", "0/0"),
        ("green", "0/0"),
        ("green", "0/0"),
        ("red", "0/1"),
    ]
    assert 'data-rag="red"' in row[row.rindex("<td>") :]  # the office's status
    assert "Sel setiap kegiatan diwarnai" in html  # the legend of the cells


@frozen
def test_the_office_drilldown_figures(world, ketua_tim, year_2026, rejang_lebong):
    from monitoring.queries import office_overview

    overview = office_overview(ketua_tim, rejang_lebong, year_2026, now=NOW)

    assert _f(overview.row) == (3, 4, 1, 1, 8, 75.0, 33.3)
    (_village, cells), *_none = overview.villages
    assert [(c.planned, c.done, c.overdue, c.state) for c in cells] == [
        (1, 1, 0, "done"),  # koordinasi: Sosialisasi
        (1, 1, 0, "done"),  # identifikasi: Identifikasi
        (1, 0, 1, "overdue"),  # perencanaan: Rencana
        (2, 0, 0, "partial"),  # pelaksanaan: Pelatihan agen, Website desa
        (1, 0, 0, "partial"),  # monev: Publikasi
    ]
    assert [line.item.label for line in overview.overdue] == ["Kota Padang: Rencana"]
    assert [
        (line.item.activity, line.deadline and line.deadline.date()) for line in overview.upcoming
    ] == [
        ("rencana_kerja", date(2026, 5, 20)),
        ("sosialisasi", date(2026, 5, 22)),
        ("rencana_kerja", date(2026, 5, 25)),  # Website desa, by its extension
        ("identifikasi", date(2026, 5, 26)),
        ("rencana_kerja", date(2026, 7, 31)),
        ("penilaian", date(2026, 10, 1)),
        ("laporan_akhir", None),
    ]


@frozen
def test_the_village_drilldown_figures(world, village_rejang_lebong):
    from monitoring.queries import village_timeline

    timeline = village_timeline(village_rejang_lebong, now=NOW)

    f = timeline.row
    # the village's work plan and its three reports (the LKE item and the action item belong
    # to the office, not to a village)
    assert (f.done, f.expected, f.overdue, f.open) == (2, 3, 1, 7)
    assert [(s.stage, s.done, s.overdue, len(s.lines)) for s in timeline.stages] == [
        ("koordinasi", 1, 0, 1),
        ("identifikasi", 1, 0, 1),
        ("perencanaan", 0, 1, 1),
        ("pelaksanaan", 0, 0, 2),
        ("monev", 0, 0, 1),
    ]
    assert [line.item.activity for line in timeline.others] == [
        "sosialisasi",
        "identifikasi",
        "laporan_akhir",
    ]


@frozen
def test_the_recap_freezes_these_figures(
    world, ketua_tim, year_2026, rejang_lebong, kaur, province
):
    from monitoring.figures import Dashboard
    from monitoring.services import generate_recap

    recap = generate_recap(year_2026, period=3, narrative="", by=ketua_tim)  # the running one

    frozen_figures = Dashboard.from_snapshot(recap.snapshot)
    assert _f(frozen_figures.row_for(rejang_lebong.pk)) == (3, 4, 1, 1, 8, 75.0, 33.3)
    assert _f(frozen_figures.row_for(kaur.pk)) == (1, 5, 1, 4, 8, 20.0, 100.0)
    assert _f(frozen_figures.row_for(kaur.pk), "tindak_lanjut") == (0, 1, 0, 1, 1, 0.0, None)
    assert _f(frozen_figures.row_for(province.pk)) == (1, 4, 1, 3, 11, 25.0, 100.0)
    assert _f(frozen_figures.totals) == (4, 9, 2, 5, 16, 44.4, 50.0)
    rags = {r.office_id: r.rag for r in frozen_figures.rows if r.total.total}
    assert rags == {rejang_lebong.pk: "amber", kaur.pk: "red", province.pk: "red"}
