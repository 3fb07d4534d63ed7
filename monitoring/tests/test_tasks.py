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
RECORD = {"number": "B-7/17000/VS.300/05/2026", "place": "Bengkulu"}
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

    sign_recap(recap, **RECORD, by=kepala)
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


# --- the LKE: fill → verify → finalise → sign -------------------------------------------------


@frozen
def test_lke_worksheets_move_from_the_kabkota_to_the_verifier_the_lead_and_the_head(
    year_2026, ketua_tim, tim_provinsi, kepala, tim_rejang_lebong, tim_kaur, village_rejang_lebong
):
    from lke import services as lke_services
    from lke.models import Target, Worksheet
    from lke.tests.conftest import SMALL, record_of
    from lke.tests.conftest import fill as fill_all

    def fill(ws, *, by):
        fill_all(ws, {"o.a": 2} if ws.target == Target.OFFICE else None, by=by)

    instrument = lke_services.create_instrument(__import__("copy").deepcopy(SMALL), by=None)
    assessment = lke_services.open_assessment(year_2026, instrument=instrument, by=ketua_tim)
    worksheets = list(Worksheet.objects.filter(assessment=assessment).order_by("id"))
    assert [t.kind for t in tasks_for(tim_rejang_lebong) if t.kind == "fill"] == ["fill"] * len(
        worksheets
    )
    assert not [t for t in tasks_for(tim_kaur) if t.kind == "fill"]

    for ws in worksheets:
        fill(ws, by=tim_rejang_lebong)
        lke_services.submit_worksheet(ws, by=tim_rejang_lebong)
    assert not [t for t in tasks_for(tim_rejang_lebong) if t.kind == "fill"]
    verify = [t for t in tasks_for(tim_provinsi) if t.kind == "verify"]
    assert sorted(t.url for t in verify) == sorted(f"/lke/lembar/{ws.pk}/" for ws in worksheets)
    assert len([t for t in tasks_for(ketua_tim) if t.kind == "verify"]) == len(worksheets)

    first = worksheets[0]
    lke_services.start_verification(first, by=tim_provinsi)
    lke_services.return_worksheet(first, reason="Bukti SK belum ada.", by=tim_provinsi)
    fix = [t for t in tasks_for(tim_rejang_lebong) if t.kind == "fill"]
    assert [(t.title.split(" ")[0], t.detail) for t in fix] == [("Perbaiki", "Bukti SK belum ada.")]
    fill(first, by=tim_rejang_lebong)
    lke_services.submit_worksheet(first, by=tim_rejang_lebong)

    for ws in worksheets:
        ws.refresh_from_db()
        lke_services.start_verification(ws, by=tim_provinsi)
        lke_services.accept_self_answers(ws, by=tim_provinsi)
    lead = [t.title for t in tasks_for(ketua_tim) if t.kind == "verify"]
    assert all(title.startswith("Verifikasi atau finalkan LKE") for title in lead)
    assert [t for t in tasks_for(kepala) if t.kind == "sign"] == []

    for ws in worksheets:
        lke_services.finalise_worksheet(ws, by=ketua_tim)
    assert not [t for t in tasks_for(ketua_tim) + tasks_for(tim_provinsi) if t.kind == "verify"]
    (sign,) = tasks_for(kepala)
    assert (sign.title, sign.url) == ("Tandatangani hasil LKE 2026", "/lke/hasil/?tahun=2026")

    lke_services.sign_off_results(assessment, record=record_of(ketua_tim), by=kepala)
    assert tasks_for(kepala) == []


# --- dispensasi requests -----------------------------------------------------------------------


@frozen
def test_a_dispensasi_request_waits_on_the_team_lead_until_granted_or_declined(
    client, plan, year_2026, rejang_lebong, ketua_tim, tim_provinsi, kepala, tim_rejang_lebong
):
    from django.contrib.contenttypes.models import ContentType

    from core.models import Extension
    from monitoring import services
    from monitoring.models import ExtensionRequest

    overdue = plan["overdue"]
    subject = (ContentType.objects.get_for_model(overdue).pk, str(overdue.pk))
    services.request_extension(
        overdue,
        program_year=year_2026,
        office=rejang_lebong,
        label="Rencana",
        until=date(2026, 5, 29),
        reason="Kepala desa sedang umrah.",
        by=tim_rejang_lebong,
    )

    (task,) = [t for t in tasks_for(ketua_tim) if t.kind == "dispensasi"]
    assert task.title == "Dispensasi diminta: Rencana"
    assert task.detail == "Rejang Lebong meminta 29 Mei 2026: Kepala desa sedang umrah."
    assert (
        task.url == f"/dasbor/dispensasi/{subject[0]}/{subject[1]}/{rejang_lebong.pk}/?tahun=2026"
    )
    for other in (tim_provinsi, kepala, tim_rejang_lebong):
        assert not [t for t in tasks_for(other) if t.kind == "dispensasi"]

    # The lead opens the task: the grant form is filled with what was asked.
    client.force_login(ketua_tim)
    page = client.get(task.url)
    assert page.context["form"].initial == {
        "until": date(2026, 5, 29),
        "reason": "Kepala desa sedang umrah.",
    }
    assert "Kepala desa sedang umrah." in page.content.decode()
    response = client.post(task.url, {"until": "2026-05-29", "reason": "Kepala desa umrah."})
    assert response.status_code == 302
    assert Extension.objects.get(subject_id=subject[1], office=rejang_lebong).until == date(
        2026, 5, 29
    )
    assert ExtensionRequest.objects.get().state == "granted"
    assert not [t for t in tasks_for(ketua_tim) if t.kind == "dispensasi"]

    # Asked again, and declined with a note.
    services.request_extension(
        overdue,
        program_year=year_2026,
        office=rejang_lebong,
        label="Rencana",
        until=date(2026, 6, 30),
        reason="Masih umrah.",
        by=tim_rejang_lebong,
    )
    second = ExtensionRequest.objects.get(state="pending")
    response = client.post(f"/dasbor/dispensasi/permintaan/{second.pk}/tolak/", {"note": "Cukup."})
    assert response.status_code == 302
    second.refresh_from_db()
    assert (second.state, second.decided_by, second.decision_note) == (
        "declined",
        ketua_tim,
        "Cukup.",
    )
    assert not [t for t in tasks_for(ketua_tim) if t.kind == "dispensasi"]


@frozen
def test_the_kabkota_team_requests_a_dispensasi_from_its_office_page(
    client,
    plan,
    year_2026,
    rejang_lebong,
    kaur,
    tim_rejang_lebong,
    pimpinan_rejang_lebong,
    tim_kaur,
):
    from django.contrib.contenttypes.models import ContentType

    from monitoring.models import ExtensionRequest

    overdue = plan["overdue"]
    type_id = ContentType.objects.get_for_model(overdue).pk
    url = f"/dasbor/dispensasi/{type_id}/{overdue.pk}/{rejang_lebong.pk}/minta/?tahun=2026"
    client.force_login(tim_rejang_lebong)
    office_page = client.get(f"/dasbor/kabkota/{rejang_lebong.pk}/", {"tahun": 2026})
    assert url.split("?")[0] in office_page.content.decode()

    refused = client.post(url, {"until": "2026-05-29", "reason": " "})
    assert refused.status_code == 400
    assert refused.context["form"].errors["reason"] == ["Dispensasi wajib disertai alasan."]
    response = client.post(url, {"until": "2026-05-29", "reason": "Kepala desa sedang umrah."})

    assert response.status_code == 302
    request = ExtensionRequest.objects.get()
    assert (request.office, request.until, request.requested_by) == (
        rejang_lebong,
        date(2026, 5, 29),
        tim_rejang_lebong,
    )
    assert request.label.endswith(": Rencana")
    page = client.get(f"/dasbor/kabkota/{rejang_lebong.pk}/", {"tahun": 2026}).content.decode()
    assert 'data-testid="dispensasi-requested"' in page
    client.force_login(pimpinan_rejang_lebong)
    assert client.get(url).status_code == 403
    client.force_login(tim_kaur)
    assert client.get(url).status_code == 404


# --- meeting attendance to confirm -------------------------------------------------------------


@frozen
def test_an_invited_office_confirms_its_attendance_before_the_meeting(
    client, year_2026, ketua_tim, rejang_lebong, kaur, tim_rejang_lebong, tim_kaur, tim_provinsi
):
    from datetime import datetime, timedelta

    from core.deadlines import JAKARTA
    from meetings.models import AttendanceConfirmation
    from meetings.services import AgendaEntry

    start = datetime(2026, 5, 25, 9, tzinfo=JAKARTA)
    meeting = meeting_services.create_meeting(
        year_2026,
        title="Rapat koordinasi Mei 2026",
        period_start=date(2026, 5, 1),
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        platform=Meeting.Platform.ZOOM,
        link="https://zoom.us/j/1",
        invited_offices=[rejang_lebong, kaur],
        invited_staff=[],
        agenda=[AgendaEntry(title="Progres", presenter="", allotted_minutes=30)],
        by=ketua_tim,
    )
    assert not [t for t in tasks_for(tim_rejang_lebong) if t.kind == "attend"]  # a draft
    meeting_services.schedule_meeting(meeting, by=ketua_tim, site_url="https://x.example")

    def attend(user):
        return [(t.title, t.detail, t.url) for t in tasks_for(user) if t.kind == "attend"]

    assert attend(tim_rejang_lebong) == [
        (
            "Konfirmasi kehadiran: Rapat koordinasi Mei 2026",
            "Rejang Lebong, rapat pada 25-05-2026 09:00 WIB",
            f"/rapat/{meeting.pk}/#konfirmasi",
        )
    ]
    assert len(attend(tim_kaur)) == 1
    assert attend(tim_provinsi) == attend(ketua_tim) == []

    client.force_login(tim_rejang_lebong)
    page = client.get(f"/rapat/{meeting.pk}/").content.decode()
    assert f'action="/rapat/{meeting.pk}/konfirmasi-kehadiran/"' in page
    refused = client.post(f"/rapat/{meeting.pk}/konfirmasi-kehadiran/", {"status": "hadir"})
    assert refused.status_code == 400
    assert "Tuliskan nama yang akan hadir." in refused.content.decode()
    response = client.post(
        f"/rapat/{meeting.pk}/konfirmasi-kehadiran/",
        {"status": "hadir", "attendees": "Andi Saputra\n\nRina Marlina", "note": ""},
    )

    assert response.status_code == 302
    answer = AttendanceConfirmation.objects.get()
    assert (answer.office, answer.attendee_list) == (
        rejang_lebong,
        ["Andi Saputra", "Rina Marlina"],
    )
    assert attend(tim_rejang_lebong) == []
    assert len(attend(tim_kaur)) == 1
    client.force_login(ketua_tim)
    page = client.get(f"/rapat/{meeting.pk}/").content.decode()
    assert "Andi Saputra, Rina Marlina" in page  # the province sees the answers
    assert (
        client.post(f"/rapat/{meeting.pk}/konfirmasi-kehadiran/", {"status": "izin"}).status_code
        == 403
    )

    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        assert attend(tim_kaur) == []  # too late to answer once the meeting started
        meeting_services.hold_meeting(meeting, by=ketua_tim)
        client.force_login(ketua_tim)
        form = client.get(f"/rapat/{meeting.pk}/kehadiran/").context["form"]
        assert form.initial[f"status_{rejang_lebong.pk}"] == "hadir"  # filled from the answer
        assert form.initial[f"attendees_{rejang_lebong.pk}"] == "Andi Saputra\nRina Marlina"
