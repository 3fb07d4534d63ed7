"""Deadlines that follow the work: a report without a date of its own is dated by the work
plan's realisation, so a report never started falls due; a returned report is open again until
it is resubmitted, and its first submission still decides whether it was on time."""

from datetime import date, datetime

import time_machine

from core.deadlines import JAKARTA, Status
from program.models import Stage, WorkPlanActivity
from reports import services
from reports.models import ReportKind
from reports.queries import report_rows

from .conftest import submitted_sosialisasi


def realise(village, stage, on, *, realised=True):
    return WorkPlanActivity.objects.create(
        village=village,
        stage=stage,
        name=f"{stage} {on}",
        planned_start=on,
        planned_end=on,
        realised_on=on if realised else None,
    )


def status_of(village, kind, now):
    (row,) = report_rows(village.program_year, [village], [kind], now=now)
    return row.deadline


def test_a_report_never_started_falls_due_from_the_work_plan_realisation(village_rejang_lebong):
    realise(village_rejang_lebong, Stage.KOORDINASI, date(2026, 3, 2))  # the pencanangan

    deadline = status_of(
        village_rejang_lebong, ReportKind.SOSIALISASI, datetime(2026, 4, 1, tzinfo=JAKARTA)
    )

    assert deadline.due == datetime(2026, 3, 16, 23, 59, 59, 999999, tzinfo=JAKARTA)
    assert deadline.status == Status.LEWAT


def test_the_final_report_is_dated_by_the_last_coaching_activity_once_all_are_realised(
    village_rejang_lebong,
):
    realise(village_rejang_lebong, Stage.PELAKSANAAN, date(2026, 8, 3))
    pending = realise(village_rejang_lebong, Stage.PELAKSANAAN, date(2026, 9, 1), realised=False)
    now = datetime(2026, 12, 1, tzinfo=JAKARTA)

    assert status_of(village_rejang_lebong, ReportKind.LAPORAN_AKHIR, now).due is None

    pending.realised_on = date(2026, 9, 4)
    pending.save()
    assert status_of(village_rejang_lebong, ReportKind.LAPORAN_AKHIR, now).due.date() == date(
        2026, 9, 18
    )


def test_a_returned_report_is_not_done_until_resubmitted_and_keeps_its_first_submission(
    village_rejang_lebong, tim_rejang_lebong, tim_provinsi
):
    with time_machine.travel(datetime(2026, 5, 4, 10, tzinfo=JAKARTA), tick=False):
        report = submitted_sosialisasi(
            village_rejang_lebong, tim_rejang_lebong, anchor_date=date(2026, 4, 27)
        )
        services.return_report(report, by=tim_provinsi, comment="Lengkapi notulen.")
    after_deadline = datetime(2026, 5, 20, 10, tzinfo=JAKARTA)

    assert status_of(village_rejang_lebong, ReportKind.SOSIALISASI, after_deadline).status == (
        Status.LEWAT
    )

    with time_machine.travel(after_deadline, tick=False):
        report.refresh_from_db()
        services.submit_report(report, by=tim_rejang_lebong)

    deadline = status_of(village_rejang_lebong, ReportKind.SOSIALISASI, after_deadline)
    assert deadline.status == Status.TEPAT_WAKTU  # the first submission, 4 May, was on time
    assert deadline.done_at == datetime(2026, 5, 4, 10, tzinfo=JAKARTA)
