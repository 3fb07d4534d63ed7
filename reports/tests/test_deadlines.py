"""Deadlines and timeliness of the reports (DESIGN.md "Deadlines and timeliness"), and the
tracked-item contract the monitoring dashboard reads."""

from datetime import date, datetime

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import desa_in
from core.deadlines import JAKARTA, Status
from core.services import grant_extension
from program.models import ParticipatingVillage, SopActivity, VillageKind
from reports import services
from reports.models import Report, ReportKind
from reports.queries import report_deadline, tracked_items

from .conftest import complete_sosialisasi, draft_sosialisasi, submitted_sosialisasi

pytestmark = pytest.mark.django_db


def at(day: int, hour: int = 12, month: int = 5) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=JAKARTA)


DUE_18_MAY = datetime(2026, 5, 18, 23, 59, 59, 999999, tzinfo=JAKARTA)


def status_at(report, moment) -> Status:
    report = Report.objects.select_related("village__program_year").get(pk=report.pk)
    return report_deadline(report, now=moment).status


def test_a_report_is_due_two_weeks_after_its_event_at_the_end_of_the_day_in_jakarta(
    village_rejang_lebong, tim_rejang_lebong
):
    with time_machine.travel(at(5), tick=False):
        report = draft_sosialisasi(village_rejang_lebong, tim_rejang_lebong)

    deadline = report_deadline(report, now=at(5))

    assert deadline.due == DUE_18_MAY
    assert deadline.status == Status.BELUM_JATUH_TEMPO


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(5), Status.BELUM_JATUH_TEMPO),  # 13 days left
        (at(11), Status.SEGERA),  # 7 days left: within the year's 'due soon' window
        (at(18, 23), Status.SEGERA),
        (at(19, 0), Status.LEWAT),
    ],
)
def test_an_open_report_goes_from_not_due_to_due_soon_to_overdue(
    village_rejang_lebong, tim_rejang_lebong, moment, expected
):
    with time_machine.travel(at(5), tick=False):
        report = draft_sosialisasi(village_rejang_lebong, tim_rejang_lebong)

    assert status_at(report, moment) == expected


def test_a_report_not_started_has_no_due_date_and_is_not_yet_due(village_rejang_lebong):
    deadline = report_deadline(
        Report(village=village_rejang_lebong, kind=ReportKind.SOSIALISASI), now=at(30, month=12)
    )

    assert (deadline.due, deadline.status) == (None, Status.BELUM_JATUH_TEMPO)


def test_the_first_submission_counts_even_when_it_is_returned_and_submitted_late(
    village_rejang_lebong, tim_rejang_lebong, tim_provinsi
):
    with time_machine.travel(at(18, 22), tick=False):
        report = submitted_sosialisasi(village_rejang_lebong, tim_rejang_lebong)
    with time_machine.travel(at(20), tick=False):
        services.return_report(report, by=tim_provinsi, comment="Daftar hadir kurang jelas")
    with time_machine.travel(at(28), tick=False):
        services.submit_report(report, by=tim_rejang_lebong)

    assert status_at(report, at(30)) == Status.TEPAT_WAKTU


def test_a_first_submission_after_the_due_day_is_late(village_rejang_lebong, tim_rejang_lebong):
    with time_machine.travel(at(5), tick=False):
        report = complete_sosialisasi(village_rejang_lebong, tim_rejang_lebong)
    with time_machine.travel(at(19, 8), tick=False):
        services.submit_report(report, by=tim_rejang_lebong)

    assert status_at(report, at(25)) == Status.TERLAMBAT


def test_an_extension_shows_as_dispensasi_then_on_time_when_met(
    village_rejang_lebong, tim_rejang_lebong, ketua_tim
):
    with time_machine.travel(at(5), tick=False):
        report = complete_sosialisasi(village_rejang_lebong, tim_rejang_lebong)
        grant_extension(
            report,
            office=village_rejang_lebong.office,
            until=date(2026, 5, 25),
            reason="Kepala desa sakit",
            by=ketua_tim,
        )

    assert status_at(report, at(20)) == Status.DISPENSASI
    assert status_at(report, at(26)) == Status.LEWAT
    with time_machine.travel(at(22), tick=False):
        services.submit_report(report, by=tim_rejang_lebong)
    assert status_at(report, at(26)) == Status.TEPAT_WAKTU


def test_with_working_days_the_due_day_skips_weekends_and_holidays(
    village_rejang_lebong, tim_rejang_lebong, year_2026
):
    year_2026.working_days = True
    year_2026.save(update_fields=["working_days"])
    with time_machine.travel(at(5), tick=False):
        report = draft_sosialisasi(village_rejang_lebong, tim_rejang_lebong)

    # Mon 4 May + 10 working days, skipping weekends and Ascension Day (Thu 14 May) → 19 May.
    assert report_deadline(report, now=at(5)).due.date() == date(2026, 5, 19)


def test_the_year_sop_calendar_decides_the_time_standard(
    village_rejang_lebong, tim_rejang_lebong, year_2026
):
    SopActivity.objects.filter(program_year=year_2026, code="sosialisasi").update(
        amount=3, unit="week"
    )
    with time_machine.travel(at(5), tick=False):
        report = draft_sosialisasi(village_rejang_lebong, tim_rejang_lebong)

    assert report_deadline(report, now=at(5)).due.date() == date(2026, 5, 25)


# --- tracked items --------------------------------------------------------------------------------


def test_tracked_items_give_one_item_per_village_and_report_kind(
    village_rejang_lebong, village_kaur, tim_rejang_lebong, year_2026, rejang_lebong, kaur
):
    with time_machine.travel(at(12), tick=False):
        report = submitted_sosialisasi(village_rejang_lebong, tim_rejang_lebong)

    items = tracked_items(year_2026, [rejang_lebong.pk, kaur.pk], now=at(20))

    assert len(items) == 6
    by_key = {(i.village_id, i.activity): i for i in items}
    done = by_key[(village_rejang_lebong.pk, "sosialisasi")]
    report_type = ContentType.objects.get_for_model(Report).pk
    assert (done.status, done.due, done.done_at, done.extended) == (
        Status.TEPAT_WAKTU,
        DUE_18_MAY,
        at(12),
        False,
    )
    assert done.subject == (report_type, str(report.pk))
    assert done.office_id == rejang_lebong.pk
    assert done.label == f"{village_rejang_lebong.village.name}: Laporan sosialisasi/pencanangan"
    assert done.url == f"/laporan/sosialisasi/desa/{village_rejang_lebong.pk}/"
    waiting = by_key[(village_kaur.pk, "laporan_akhir")]
    assert (waiting.status, waiting.due, waiting.done_at, waiting.subject) == (
        Status.BELUM_JATUH_TEMPO,
        None,
        None,
        (report_type, ""),
    )
    assert waiting.url == f"/laporan/akhir/desa/{village_kaur.pk}/"
    assert {i.activity for i in items} == {"sosialisasi", "identifikasi", "laporan_akhir"}


def test_tracked_items_only_cover_the_given_offices(
    village_rejang_lebong, village_kaur, year_2026, kaur
):
    items = tracked_items(year_2026, [kaur.pk], now=at(20))

    assert {i.village_id for i in items} == {village_kaur.pk}


def test_tracked_items_mark_extensions(
    village_rejang_lebong, tim_rejang_lebong, ketua_tim, year_2026
):
    with time_machine.travel(at(5), tick=False):
        report = draft_sosialisasi(village_rejang_lebong, tim_rejang_lebong)
        grant_extension(
            report,
            office=village_rejang_lebong.office,
            until=date(2026, 5, 25),
            reason="Banjir",
            by=ketua_tim,
        )

    items = tracked_items(year_2026, [village_rejang_lebong.office_id], now=at(20))

    item = next(i for i in items if i.activity == "sosialisasi")
    assert (item.status, item.extended) == (Status.DISPENSASI, True)


def add_villages(year, office, indexes: range, by) -> None:
    for index in indexes:
        village = ParticipatingVillage.objects.create(
            program_year=year, village=desa_in(office, index), office=office, kind=VillageKind.UTAMA
        )
        with time_machine.travel(at(5), tick=False):
            draft_sosialisasi(village, by)


def test_tracked_items_cost_the_same_number_of_queries_for_more_villages(
    village_rejang_lebong, tim_rejang_lebong, year_2026, rejang_lebong
):
    add_villages(year_2026, rejang_lebong, range(1, 2), tim_rejang_lebong)
    ContentType.objects.get_for_model(Report)  # the content type cache is warm in a server
    with CaptureQueriesContext(connection) as small:
        assert len(tracked_items(year_2026, [rejang_lebong.pk], now=at(20))) == 6

    add_villages(year_2026, rejang_lebong, range(2, 10), tim_rejang_lebong)
    with CaptureQueriesContext(connection) as large:
        assert len(tracked_items(year_2026, [rejang_lebong.pk], now=at(20))) == 30

    assert (
        len(large) == len(small) <= 5
    )  # villages, reports, SOP activities, extensions, work-plan anchors
