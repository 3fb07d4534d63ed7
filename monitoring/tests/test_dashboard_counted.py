"""The dashboards count in SQL (monitoring.queries.COUNTERS) what the drill-downs list item by
item (PROVIDERS): on a world where every provider contributes, the province dashboard and the
national dashboard give exactly the figures and the worst items that counting every tracked
item gives, at several moments. The world: the demo's Bengkulu (work plan, recaps, reports in
every state, meetings with action items, an opened LKE) with a dispensasi on a work-plan
activity, a report, an action item and an office's LKE; and a second province whose calendar
counts working days with a 7-day sosialisasi standard, with reports submitted on time, late,
returned, under dispensasi and not started, and whose LKE is not opened."""

import io
from datetime import date, datetime

import pytest
import time_machine
from django.core.management import call_command

from core.deadlines import JAKARTA, Unit
from core.models import Office, Role, User
from core.services import grant_extension
from meetings.models import ActionItem
from monitoring.figures import build_dashboard
from monitoring.queries import (
    _dashboard,
    dashboard_offices,
    national_dashboard,
    province_dashboard,
    tracked_items,
)
from program.models import ProgramYear, SopActivity, VillageKind, WorkPlanActivity
from reports.models import LastAction, Report, ReportKind, ReportState

from .test_national import _program, _province

SEEDED = datetime(2026, 11, 25, 9, tzinfo=JAKARTA)
MOMENTS = [
    SEEDED,
    datetime(2026, 5, 18, 12, tzinfo=JAKARTA),
    datetime(2026, 8, 3, 0, 1, tzinfo=JAKARTA),
    datetime(2026, 12, 31, 23, 59, tzinfo=JAKARTA),
]


def _second_province() -> ProgramYear:
    """A province on working days with a 7-day sosialisasi standard, reports in every state
    dated by that calendar, one under dispensasi, and no LKE assessment opened."""
    year = _program(_province(1), working_days=True)
    SopActivity.objects.filter(program_year=year, code=SopActivity.Code.SOSIALISASI).update(
        amount=7, unit=Unit.DAY
    )
    lead = User.objects.get(username="ketua.tim")
    villages = list(year.villages.order_by("pk"))
    # Friday 8 May: 7 working days (Ascension Day, Thursday 14 May, skipped) run to Wednesday
    # 20 May; by calendar days it would be due on Friday 15 May.
    anchor = date(2026, 5, 8)
    states = [
        (
            ReportState.SUBMITTED,
            datetime(2026, 5, 19, 10, tzinfo=JAKARTA),
        ),  # on time by working days only
        (ReportState.APPROVED, datetime(2026, 5, 25, 10, tzinfo=JAKARTA)),  # late
        (ReportState.RETURNED, datetime(2026, 5, 12, 10, tzinfo=JAKARTA)),  # open again
        (ReportState.DRAFT, None),
    ]
    for village, (state, submitted) in zip(villages, states, strict=False):
        Report.objects.create(
            village=village,
            kind=ReportKind.SOSIALISASI,
            state=state,
            anchor_date=anchor,
            first_submitted_at=submitted,
            created_by=lead,
            last_action=LastAction.CREATED,
            last_action_by=lead,
        )
    report = Report.objects.get(village=villages[3], kind=ReportKind.SOSIALISASI)
    grant_extension(
        report, office=report.village.office, until=date(2026, 6, 5), reason="x", by=lead
    )
    Report.objects.create(
        village=villages[0],
        kind=ReportKind.IDENTIFIKASI,
        state=ReportState.SUBMITTED,
        anchor_date=date(2026, 6, 1),
        first_submitted_at=datetime(2026, 6, 30, 10, tzinfo=JAKARTA),
        created_by=lead,
        last_action=LastAction.CREATED,
        last_action_by=lead,
    )
    return year


def _dispensasi(year: ProgramYear) -> None:
    """A dispensasi on one work-plan activity, report, action item and office LKE of Bengkulu."""
    lead = User.objects.get(username="ketua.tim")
    activity = WorkPlanActivity.objects.filter(
        village__program_year=year, realised_on__isnull=True
    ).first()
    grant_extension(
        activity, office=activity.village.office, until=date(2026, 12, 2), reason="x", by=lead
    )
    report = (
        Report.objects.filter(village__program_year=year)
        .exclude(state__in=[ReportState.SUBMITTED, ReportState.APPROVED])
        .first()
    )
    grant_extension(
        report, office=report.village.office, until=date(2026, 11, 27), reason="x", by=lead
    )
    item = ActionItem.objects.filter(meeting__program_year=year).first()
    ActionItem.objects.filter(pk=item.pk).update(
        owner_office=Office.objects.filter(parent=year.province).order_by("code").first()
    )
    item.refresh_from_db()
    grant_extension(item, office=item.owner_office, until=date(2026, 12, 20), reason="x", by=lead)
    penilaian = SopActivity.objects.get(program_year=year, code=SopActivity.Code.PENILAIAN)
    office = Office.objects.filter(parent=year.province).order_by("-code").first()
    grant_extension(penilaian, office=office, until=date(2026, 12, 15), reason="x", by=lead)


@pytest.fixture
def world(db):
    with time_machine.travel(SEEDED, tick=False):
        call_command("load_instruments", stdout=io.StringIO())
        call_command("seed_demo", stdout=io.StringIO())
        bengkulu = ProgramYear.objects.get(province__code="1700", year=2026)
        _dispensasi(bengkulu)
        other = _second_province()
    return bengkulu, other


def _by_items(program_year, offices, *, kind, now):
    items = tracked_items(program_year, [o.pk for o in offices], now=now)
    return _dashboard(program_year, offices, kind=kind, now=now, items=items)


def _rows(dashboard):
    return [(row.to_dict(), row.worst) for row in [*dashboard.rows, dashboard.totals]]


def test_the_counted_dashboards_equal_the_dashboards_of_every_item(world):
    """One world for every moment (the demo takes a while to seed)."""
    for moment in MOMENTS:
        _compare(*world, moment)
    _second_province_by_its_own_calendar(world[1])


def _compare(bengkulu, other, moment):
    lead = User.objects.get(username="ketua.tim")
    seen = set()
    for kind in (None, VillageKind.UTAMA):
        counted = province_dashboard(lead, bengkulu, kind=kind, now=moment)
        offices = [o for o in dashboard_offices(lead, bengkulu) if not (kind and o.is_province)]
        expected = _by_items(bengkulu, offices, kind=kind, now=moment)
        assert _rows(counted) == _rows(expected)
        assert counted.activities == expected.activities
        seen |= {s for r in counted.rows for f in r.activities.values() for s in f.by_status}

    national = national_dashboard(_national_user(), 2026, now=moment)
    # Every province of the national table (the demo's second province, Sumatera Selatan, too)
    years = [ProgramYear.objects.get(pk=line.year.pk) for line in national.lines]
    assert {bengkulu.pk, other.pk} <= {y.pk for y in years}
    kabkota = {y.pk: list(Office.objects.filter(parent=y.province).order_by("code")) for y in years}
    items = tracked_items(
        years, [o.pk for offices in kabkota.values() for o in offices], now=moment
    )
    assert [line.year.pk for line in national.lines] == [y.pk for y in years]
    for line, year in zip(national.lines, years, strict=True):
        villages = {o.pk: year.villages.filter(office=o).count() for o in kabkota[year.pk]}
        own = build_dashboard(kabkota[year.pk], villages, items, now=moment)
        assert line.row.to_dict() == own.totals.to_dict()
        seen |= {s for f in line.row.activities.values() for s in f.by_status}
    if moment == SEEDED:
        # every status is met, under dispensasi and not open yet (the second province's LKE)
        assert seen >= {
            "tepat_waktu",
            "terlambat",
            "lewat",
            "segera",
            "dispensasi",
            "belum_jatuh_tempo",
            "belum_dibuka",
        }
        activities = {code for line in national.lines for code in line.row.activities}
        assert activities >= {"rencana_kerja", "sosialisasi", "identifikasi", "penilaian"}
        assert {"tindak_lanjut", "laporan_akhir"} <= activities | set(
            province_dashboard(lead, bengkulu, now=moment).activities
        )


def _second_province_by_its_own_calendar(other):
    """The report submitted on 19 May is on time by 7 working days from Friday 8 May (due 20
    May: Ascension Day is a holiday), though late by 7 calendar days (due 15 May); the
    returned one is open again; the dispensasi holds the draft's deadline."""
    national = national_dashboard(_national_user(), 2026, now=datetime(2026, 5, 27, tzinfo=JAKARTA))
    (line,) = [line for line in national.lines if line.year.pk == other.pk]
    sosialisasi = line.row.activity("sosialisasi")
    assert sosialisasi.by_status["tepat_waktu"] == 1
    assert sosialisasi.by_status["terlambat"] == 1
    assert sosialisasi.by_status["lewat"] == 1  # the returned one, due 20 May
    assert sosialisasi.by_status["dispensasi"] == 1
    assert line.row.activity("penilaian").by_status == {"belum_dibuka": 2}


def _national_user() -> User:
    from conftest import make_user
    from core.services import national_office

    national_office()
    user = User.objects.filter(username="tim_nasional_test").first()
    return user or make_user("tim_nasional_test", "0000", Role.TIM_NASIONAL)
