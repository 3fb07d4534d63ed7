"""The read functions the monitoring dashboard imports: the LKE assessment window as a tracked
item per kab/kota (with extensions and timeliness), and worksheet counts per office."""

from datetime import date, datetime

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import desa_in
from core.deadlines import JAKARTA, Status
from core.services import grant_extension
from lke import services
from lke.models import Worksheet
from lke.queries import OfficeProgress, progress_by_office, tracked_items
from program.models import ParticipatingVillage, SopActivity, VillageKind

from .conftest import fill

# The 2026 calendar opens the LKE window on 1 September for 1 month: due 1 October, end of day.
IN_WINDOW = datetime(2026, 9, 10, 12, tzinfo=JAKARTA)


def submit_office(assessment, office, user):
    for worksheet in Worksheet.objects.filter(assessment=assessment, office=office):
        fill(worksheet, {"o.a": 1} if worksheet.target == "office" else None, by=user)
        services.submit_worksheet(worksheet, by=user)


def by_office(items):
    return {item.office_id: item for item in items}


def test_one_item_per_kabkota_with_villages_due_at_the_end_of_the_window(
    assessment, year_2026, rejang_lebong, kaur, province
):
    items = tracked_items(year_2026, [province.pk, rejang_lebong.pk, kaur.pk], now=IN_WINDOW)

    activity = SopActivity.objects.get(program_year=year_2026, code="penilaian")
    assert [i.office_id for i in items] == [rejang_lebong.pk, kaur.pk]
    assert {i.activity for i in items} == {"penilaian"}
    assert items[0].due == datetime(2026, 10, 1, 23, 59, 59, 999999, tzinfo=JAKARTA)
    assert items[0].subject == (ContentType.objects.get_for_model(SopActivity).pk, str(activity.pk))
    assert {i.status for i in items} == {Status.BELUM_JATUH_TEMPO}


def test_office_is_done_when_all_its_worksheets_are_submitted(
    assessment, year_2026, rejang_lebong, kaur, tim_rejang_lebong
):
    with time_machine.travel(IN_WINDOW, tick=False):
        submit_office(assessment, rejang_lebong, tim_rejang_lebong)

    items = by_office(
        tracked_items(
            year_2026, [rejang_lebong.pk, kaur.pk], now=datetime(2026, 10, 5, tzinfo=JAKARTA)
        )
    )

    assert (items[rejang_lebong.pk].status, items[rejang_lebong.pk].done_at) == (
        Status.TEPAT_WAKTU,
        IN_WINDOW,
    )
    assert items[kaur.pk].status == Status.LEWAT


def test_late_submission_and_extension(
    assessment, year_2026, rejang_lebong, kaur, tim_rejang_lebong, ketua_tim
):
    activity = SopActivity.objects.get(program_year=year_2026, code="penilaian")
    grant_extension(activity, office=kaur, until=date(2026, 10, 15), reason="Banjir", by=ketua_tim)
    with time_machine.travel(datetime(2026, 10, 3, 9, tzinfo=JAKARTA), tick=False):
        submit_office(assessment, rejang_lebong, tim_rejang_lebong)

    items = by_office(
        tracked_items(
            year_2026, [rejang_lebong.pk, kaur.pk], now=datetime(2026, 10, 5, tzinfo=JAKARTA)
        )
    )

    assert items[rejang_lebong.pk].status == Status.TERLAMBAT
    assert (items[kaur.pk].status, items[kaur.pk].extended) == (Status.DISPENSASI, True)


def test_returned_worksheet_is_not_done_until_submitted_again(
    assessment, year_2026, rejang_lebong, tim_rejang_lebong, tim_provinsi
):
    submit_office(assessment, rejang_lebong, tim_rejang_lebong)
    worksheet = Worksheet.objects.get(assessment=assessment, office=rejang_lebong, target="village")
    services.return_worksheet(worksheet, reason="Lengkapi", by=tim_provinsi)

    items = tracked_items(year_2026, [rejang_lebong.pk], now=IN_WINDOW)

    assert items[0].done_at is None


def test_before_the_assessment_opens_offices_are_tracked_as_not_open_even_past_the_window(
    year_2026, village_rejang_lebong, rejang_lebong
):
    items = tracked_items(year_2026, [rejang_lebong.pk], now=datetime(2026, 10, 2, tzinfo=JAKARTA))

    # Issue 11: "belum dibuka" (not overdue) until the province opens the assessment.
    assert [(i.office_id, i.status) for i in items] == [(rejang_lebong.pk, Status.BELUM_DIBUKA)]


@pytest.fixture
def more_villages(year_2026, rejang_lebong, kaur):
    return [
        ParticipatingVillage.objects.create(
            program_year=year_2026,
            village=desa_in(office, i),
            office=office,
            kind=VillageKind.TAMBAHAN,
        )
        for office in (rejang_lebong, kaur)
        for i in range(1, 4)
    ]


def test_tracked_items_and_progress_cost_constant_queries(
    assessment, year_2026, rejang_lebong, kaur, ketua_tim, more_villages
):
    offices = [rejang_lebong.pk, kaur.pk]
    tracked_items(year_2026, offices, now=IN_WINDOW)
    with CaptureQueriesContext(connection) as few:
        tracked_items(year_2026, offices, now=IN_WINDOW)
        progress_by_office(year_2026, offices)
    services.add_missing_worksheets(assessment, by=ketua_tim)

    with CaptureQueriesContext(connection) as many:
        tracked_items(year_2026, offices, now=IN_WINDOW)
        progress = progress_by_office(year_2026, offices)

    assert progress[kaur.pk].total == 5
    assert len(many) == len(few) <= 6


def test_progress_counts_self_assessed_verified_and_finalised(
    assessment, year_2026, rejang_lebong, kaur, tim_rejang_lebong, tim_provinsi, ketua_tim
):
    submit_office(assessment, rejang_lebong, tim_rejang_lebong)
    village, office = (
        Worksheet.objects.get(assessment=assessment, office=rejang_lebong, target=t)
        for t in ("village", "office")
    )
    services.start_verification(village, by=tim_provinsi)
    services.accept_self_answers(village, by=tim_provinsi)
    services.start_verification(office, by=tim_provinsi)
    services.accept_self_answers(office, by=tim_provinsi)
    services.finalise_worksheet(office, by=ketua_tim)

    progress = progress_by_office(year_2026, [rejang_lebong.pk, kaur.pk])

    assert progress[rejang_lebong.pk] == OfficeProgress(
        total=2, self_assessed=2, verified=2, finalised=1
    )
    assert (progress[kaur.pk].total, progress[kaur.pk].self_assessed) == (2, 0)
