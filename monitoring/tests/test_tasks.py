""" "Tugas saya": each kind of task appears for the people who must act and disappears when it
is done; oldest deadline first; the team lead's overdue list per office; the navbar count;
a query count that does not grow with the data."""

from datetime import date

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from meetings import services as meeting_services
from meetings.models import Meeting
from monitoring.services import generate_recap, sign_recap
from monitoring.tasks import overdue_by_office, tasks_for
from reports import services as report_services
from reports.tests.conftest import submitted_sosialisasi

from .conftest import NOW

pytestmark = pytest.mark.django_db
frozen = time_machine.travel(NOW, tick=False)


def titles(user):
    return [t.title for t in tasks_for(user)]


@frozen
def test_a_submitted_report_waits_on_the_province_team_until_it_is_reviewed(
    village_rejang_lebong, tim_rejang_lebong, tim_provinsi, ketua_tim, kepala, tim_kaur
):
    report = submitted_sosialisasi(village_rejang_lebong, tim_rejang_lebong)
    name = village_rejang_lebong.village.name
    expected = f"Telaah: Laporan sosialisasi/pencanangan, {name}"

    assert expected in titles(tim_provinsi)
    assert expected in titles(ketua_tim)
    assert expected not in titles(kepala) + titles(tim_kaur) + titles(tim_rejang_lebong)

    report_services.approve_report(report, by=tim_provinsi)
    assert expected not in titles(tim_provinsi)


@frozen
def test_a_returned_report_comes_first_for_the_kabkota_with_the_comment_until_resubmitted(
    village_rejang_lebong, tim_rejang_lebong, tim_provinsi, tim_kaur
):
    report = submitted_sosialisasi(
        village_rejang_lebong, tim_rejang_lebong, anchor_date=date(2026, 5, 11)
    )
    report_services.return_report(report, by=tim_provinsi, comment="Lengkapi daftar hadir.")

    (first, *_rest) = tasks_for(tim_rejang_lebong)
    assert first.kind == "fix"
    assert first.title.startswith("Dikembalikan: Laporan sosialisasi/pencanangan")
    assert first.detail == "Lengkapi daftar hadir."
    assert first.url == f"/laporan/sosialisasi/desa/{village_rejang_lebong.pk}/"
    assert [t for t in tasks_for(tim_kaur) if t.kind == "fix"] == []

    report.refresh_from_db()
    report_services.submit_report(report, by=tim_rejang_lebong)
    assert [t for t in tasks_for(tim_rejang_lebong) if t.kind == "fix"] == []


@frozen
def test_reports_due_soon_or_overdue_wait_on_the_kabkota_team_oldest_first(
    village_rejang_lebong, village_kaur, tim_rejang_lebong, tim_kaur
):
    from program.models import Stage, WorkPlanActivity

    for village, day in [
        (village_rejang_lebong, date(2026, 5, 1)),
        (village_kaur, date(2026, 5, 10)),
    ]:
        WorkPlanActivity.objects.create(
            village=village,
            stage=Stage.KOORDINASI,
            name="Pencanangan",
            planned_start=day,
            planned_end=day,
            realised_on=day,
        )

    due = [t for t in tasks_for(tim_rejang_lebong) if t.kind == "due"]
    assert [(t.title.split(": ")[1], t.overdue) for t in due] == [
        ("Laporan sosialisasi/pencanangan", True)  # due 15 May, never started
    ]
    kaur_due = [t for t in tasks_for(tim_kaur) if t.kind == "due"]
    assert [(t.due.date(), t.overdue) for t in kaur_due] == [(date(2026, 5, 24), False)]


@frozen
def test_a_draft_recap_waits_on_the_head_until_signed(tim_provinsi, kepala, year_2026, plan):
    recap = generate_recap(year_2026, period=2, narrative="", by=tim_provinsi)

    assert [t.kind for t in tasks_for(kepala)] == ["sign"]
    assert tasks_for(kepala)[0].url == f"/rekap/{recap.pk}/"

    sign_recap(recap, by=kepala)
    assert tasks_for(kepala) == []


@frozen
def test_an_open_action_item_waits_on_the_owner_office_until_done(
    make_meeting_held, ketua_tim, rejang_lebong, tim_rejang_lebong, tim_kaur
):
    item = meeting_services.add_action_item(
        make_meeting_held,
        owner_office=rejang_lebong,
        description="Unggah SK agen statistik",
        due_date=date(2026, 5, 25),
        by=ketua_tim,
    )

    assert "Tindak lanjut: Unggah SK agen statistik" in titles(tim_rejang_lebong)
    assert not [t for t in tasks_for(tim_kaur) if t.kind == "action"]
    assert "Tutup rapat: " + make_meeting_held.title in titles(ketua_tim)

    meeting_services.mark_action_item_done(item, note="Sudah", by=tim_rejang_lebong)
    assert "Tindak lanjut: Unggah SK agen statistik" not in titles(tim_rejang_lebong)


@pytest.fixture
def make_meeting_held(year_2026, ketua_tim, rejang_lebong, kaur):
    from datetime import datetime, timedelta

    from core.deadlines import JAKARTA

    start = datetime(2026, 5, 18, 9, tzinfo=JAKARTA)
    meeting = Meeting.objects.create(
        program_year=year_2026,
        title="Rapat koordinasi Mei 2026",
        period_start=date(2026, 5, 1),
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        platform=Meeting.Platform.ZOOM,
        link="https://zoom.us/j/1",
        state=Meeting.State.HELD,
        held_at=start,
        held_by=ketua_tim,
        created_by=ketua_tim,
    )
    meeting.invited_offices.set([rejang_lebong, kaur])
    return meeting


@frozen
def test_the_team_lead_sees_the_overdue_work_per_office(ketua_tim, tim_provinsi, plan):
    rows = overdue_by_office(ketua_tim)

    by_office = {row.office.code: [i.label.split(": ")[-1] for i in row.items] for row in rows}
    assert by_office["1702"] == ["Rencana"]
    assert by_office["1704"] == ["Sosialisasi Kaur", "Identifikasi Kaur", "Pelatihan Kaur"]
    assert overdue_by_office(tim_provinsi) == []


@frozen
def test_the_home_page_lists_the_tasks_and_the_navbar_counts_them(
    client, village_rejang_lebong, tim_rejang_lebong, tim_provinsi
):
    report = submitted_sosialisasi(village_rejang_lebong, tim_rejang_lebong)
    report_services.return_report(report, by=tim_provinsi, comment="Lengkapi daftar hadir.")
    client.force_login(tim_rejang_lebong)

    response = client.get("/")

    html = response.content.decode()
    tasks = response.context["tasks"]
    assert tasks[0].detail == "Lengkapi daftar hadir."
    assert 'data-testid="task-count"' in html
    assert f'>{len(tasks)}<span class="visually-hidden"> tugas</span>' in html
    assert "Tugas saya" in html


@frozen
def test_the_task_list_costs_the_same_queries_for_more_data(
    year_2026, rejang_lebong, tim_rejang_lebong, tim_provinsi, ketua_tim, village_rejang_lebong
):
    from conftest import desa_in
    from program.models import ParticipatingVillage, VillageKind

    used = iter(range(10, 100))

    def add(n):
        for _i in range(n):
            village = ParticipatingVillage.objects.create(
                program_year=year_2026,
                village=desa_in(rejang_lebong, next(used)),
                office=rejang_lebong,
                kind=VillageKind.UTAMA,
            )
            submitted_sosialisasi(village, tim_rejang_lebong)

    add(1)
    counts = []
    for _round in range(2):
        for user in (tim_provinsi, ketua_tim, tim_rejang_lebong):
            tasks_for(user)  # warm caches (content types, memberships)
        with CaptureQueriesContext(connection) as queries:
            for user in (tim_provinsi, ketua_tim, tim_rejang_lebong):
                tasks_for(user)
            overdue_by_office(ketua_tim)
        counts.append(len(queries))
        add(4)

    assert counts[0] == counts[1]
