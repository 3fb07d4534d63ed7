"""The meeting state machine: draft → scheduled → held → closed, recording only once held,
locking after close and the audited correction."""

from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from core.deadlines import JAKARTA
from core.models import AuditEvent
from core.services import audit_events_for
from meetings import services
from meetings.models import ActionItem, AgendaItem, Attendance, Meeting
from meetings.services import AgendaEntry, AttendanceEntry, MeetingStateError
from meetings.tests.conftest import NUMBER

State = Meeting.State
SITE = "https://monev.example.id"


def actions(obj) -> list[str]:
    return [event.action for event in reversed(list(audit_events_for(obj)))]


def move(meeting, target, user):
    if target == State.SCHEDULED:
        return services.schedule_meeting(meeting, by=user, site_url=SITE, confirm_past=True)
    if target == State.HELD:
        return services.hold_meeting(meeting, by=user)
    return services.close_meeting(meeting, number=NUMBER, by=user)


def test_a_new_meeting_is_a_draft_with_its_agenda_and_invitations(make_meeting, ketua_tim):
    meeting = make_meeting()

    assert meeting.state == State.DRAFT
    assert [(a.position, a.title, a.allotted_minutes) for a in meeting.agenda_items.all()] == [
        (1, "Progres pembinaan desa", 45),
        (2, "Persiapan penilaian LKE", 30),
    ]
    assert sorted(o.code for o in meeting.invited_offices.all()) == ["1702", "1704"]
    event = AuditEvent.objects.get(action="meeting.create")
    assert (event.actor, event.office.code) == (ketua_tim, "1700")
    assert event.changes["invited_offices"] == [None, ["Kaur", "Rejang Lebong"]]


def test_the_full_path_draft_scheduled_held_closed_is_audited(make_meeting, ketua_tim):
    meeting = make_meeting(State.CLOSED)

    assert meeting.state == State.CLOSED
    assert meeting.held_by == ketua_tim and meeting.closed_by == ketua_tim
    assert actions(meeting) == [
        "meeting.create",
        "meeting.schedule",
        "meeting.hold",
        "meeting.attendance",
        "meeting.close",
    ]
    close = audit_events_for(meeting).get(action="meeting.close")
    assert close.changes == {"state": ["held", "closed"], "report_number": ["", NUMBER]}


ALLOWED = {
    (State.DRAFT, State.SCHEDULED),
    (State.SCHEDULED, State.HELD),
    (State.HELD, State.CLOSED),
}


@pytest.mark.parametrize("start", [State.DRAFT, State.SCHEDULED, State.HELD, State.CLOSED])
@pytest.mark.parametrize("target", [State.SCHEDULED, State.HELD, State.CLOSED])
def test_only_the_listed_transitions_are_allowed(make_meeting, ketua_tim, start, target):
    meeting = make_meeting(start)
    if start == State.HELD:  # closing needs every office's attendance
        services.record_attendance(
            meeting,
            entries=[
                AttendanceEntry(o, Attendance.Status.TIDAK_HADIR)
                for o in meeting.invited_offices.all()
            ],
            by=ketua_tim,
        )
    before = AuditEvent.objects.count()

    if (start, target) in ALLOWED:
        move(meeting, target, ketua_tim)
        assert Meeting.objects.get(pk=meeting.pk).state == target
        assert AuditEvent.objects.count() == before + 1
    else:
        with pytest.raises(MeetingStateError):
            move(meeting, target, ketua_tim)
        assert Meeting.objects.get(pk=meeting.pk).state == start
        assert AuditEvent.objects.count() == before


def test_scheduling_needs_a_link_and_an_agenda(make_meeting, ketua_tim):
    meeting = make_meeting(link="", agenda=[])

    with pytest.raises(ValidationError) as error:
        services.schedule_meeting(meeting, by=ketua_tim, site_url=SITE, confirm_past=True)

    assert error.value.messages == [
        "Tambahkan tautan rapat sebelum menjadwalkan.",
        "Tambahkan minimal satu agenda sebelum menjadwalkan.",
    ]
    assert Meeting.objects.get(pk=meeting.pk).state == State.DRAFT


def test_a_meeting_cannot_be_marked_held_before_it_starts(make_meeting, ketua_tim):
    meeting = make_meeting(State.SCHEDULED, starts_at=datetime(2026, 5, 18, 14, tzinfo=JAKARTA))

    with pytest.raises(MeetingStateError, match="belum dimulai"):
        services.hold_meeting(meeting, by=ketua_tim)

    assert Meeting.objects.get(pk=meeting.pk).state == State.SCHEDULED


def test_tim_provinsi_runs_a_meeting_but_only_ketua_tim_closes_it(
    make_meeting, tim_provinsi, rejang_lebong, kaur
):
    meeting = make_meeting(State.HELD, by=tim_provinsi)
    services.record_attendance(
        meeting,
        entries=[
            AttendanceEntry(rejang_lebong, Attendance.Status.HADIR, "Andi"),
            AttendanceEntry(kaur, Attendance.Status.TIDAK_HADIR),
        ],
        by=tim_provinsi,
    )

    with pytest.raises(PermissionDenied):
        services.close_meeting(meeting, number=NUMBER, by=tim_provinsi)

    assert Meeting.objects.get(pk=meeting.pk).state == State.HELD


@pytest.mark.parametrize(
    "persona", ["kepala", "viewer_provinsi", "tim_rejang_lebong", "pimpinan_rejang_lebong"]
)
def test_only_the_province_team_creates_meetings(request, year_2026, rejang_lebong, persona):
    user = request.getfixturevalue(persona)

    with pytest.raises(PermissionDenied):
        services.create_meeting(
            year_2026,
            title="Rapat",
            period_start=date(2026, 5, 1),
            starts_at=datetime(2026, 5, 20, 9, tzinfo=JAKARTA),
            ends_at=datetime(2026, 5, 20, 10, tzinfo=JAKARTA),
            platform="zoom",
            link="https://zoom.us/j/1",
            invited_offices=[rejang_lebong],
            invited_staff=[],
            agenda=[],
            by=user,
        )

    assert Meeting.objects.count() == 0


def test_closing_needs_the_attendance_of_every_invited_office(
    make_meeting, ketua_tim, rejang_lebong
):
    meeting = make_meeting(State.HELD)
    services.record_attendance(
        meeting,
        entries=[AttendanceEntry(rejang_lebong, Attendance.Status.HADIR, "Andi")],
        by=ketua_tim,
    )

    with pytest.raises(ValidationError) as error:
        services.close_meeting(meeting, number=NUMBER, by=ketua_tim)

    assert error.value.messages == ["Catat dulu kehadiran semua kantor yang diundang. Belum: Kaur."]
    assert Meeting.objects.get(pk=meeting.pk).state == State.HELD


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("  ", "Isi nomor surat Laporan rapat ini."),
        ("B-7/17000; DROP", "Gunakan huruf, angka, spasi, dan . / - saja"),
        ("B" * 101, "paling banyak 100 karakter"),
    ],
)
def test_closing_needs_the_letter_number_of_the_laporan_rapat(
    make_meeting, ketua_tim, number, message
):
    meeting = make_meeting(State.HELD)
    services.record_attendance(
        meeting,
        entries=[
            AttendanceEntry(o, Attendance.Status.HADIR, "Andi")
            for o in meeting.invited_offices.all()
        ],
        by=ketua_tim,
    )

    with pytest.raises(ValidationError) as error:
        services.close_meeting(meeting, number=number, by=ketua_tim)

    assert message in error.value.messages[0]
    assert Meeting.objects.get(pk=meeting.pk).state == State.HELD


def test_the_letter_number_is_kept_tidy_and_audited(make_meeting, ketua_tim):
    meeting = make_meeting(State.HELD)
    services.record_attendance(
        meeting,
        entries=[
            AttendanceEntry(o, Attendance.Status.HADIR, "Andi")
            for o in meeting.invited_offices.all()
        ],
        by=ketua_tim,
    )

    closed = services.close_meeting(meeting, number="  B-7/17000/VS.310/05/2026 ", by=ketua_tim)

    assert Meeting.objects.get(pk=closed.pk).report_number == "B-7/17000/VS.310/05/2026"
    event = audit_events_for(meeting).first()
    assert (event.action, event.changes["report_number"]) == (
        "meeting.close",
        ["", "B-7/17000/VS.310/05/2026"],
    )


CORRECTED = "B-17/17000/VS.310/05/2026"


def test_the_team_lead_corrects_the_letter_number_after_closing_audited_old_to_new(
    client, make_meeting, ketua_tim
):
    meeting = make_meeting(State.CLOSED)
    client.force_login(ketua_tim)

    response = client.post(
        reverse("meetings:correct_number", args=[meeting.pk]),
        {"number": f" {CORRECTED} ", "reason": "Salah ketik nomor urut"},
    )

    assert response.status_code == 302
    assert Meeting.objects.get(pk=meeting.pk).report_number == CORRECTED
    event = audit_events_for(meeting).first()
    assert (event.action, event.actor, event.changes, event.reason) == (
        "meeting.correct_number",
        ketua_tim,
        {"report_number": [NUMBER, CORRECTED]},
        "Salah ketik nomor urut",
    )
    history = client.get(reverse("meetings:history", args=[meeting.pk])).content.decode()
    assert "Nomor surat Laporan rapat dikoreksi" in history
    assert NUMBER in history and CORRECTED in history


def test_the_province_team_member_may_not_correct_the_number(client, make_meeting, tim_provinsi):
    meeting = make_meeting(State.CLOSED)
    client.force_login(tim_provinsi)

    response = client.post(
        reverse("meetings:correct_number", args=[meeting.pk]),
        {"number": CORRECTED, "reason": "Salah ketik"},
    )

    assert response.status_code == 403
    assert Meeting.objects.get(pk=meeting.pk).report_number == NUMBER


@pytest.mark.parametrize(
    ("number", "reason", "message"),
    [
        ("  ", "Salah ketik", "Isi nomor surat Laporan rapat ini."),
        (NUMBER, "Salah ketik", "Laporan rapat ini sudah memakai nomor tersebut"),
        (CORRECTED, " ", "Koreksi setelah rapat ditutup wajib beralasan."),
        ("b-3/17000/vs.310/04/2026", "Salah ketik", "sudah menjadi nomor surat Laporan rapat"),
    ],
)
def test_a_blank_unchanged_or_taken_number_is_refused_in_indonesian(
    make_meeting, ketua_tim, number, reason, message
):
    earlier = make_meeting(State.HELD, title="Rapat koordinasi April 2026")
    services.record_attendance(
        earlier,
        entries=[
            AttendanceEntry(o, Attendance.Status.HADIR, "Andi")
            for o in earlier.invited_offices.all()
        ],
        by=ketua_tim,
    )
    services.close_meeting(earlier, number="B-3/17000/VS.310/04/2026", by=ketua_tim)
    meeting = make_meeting(State.CLOSED)

    with pytest.raises(ValidationError) as error:
        services.correct_report_number(meeting, number=number, reason=reason, by=ketua_tim)

    assert message in " ".join(error.value.messages)
    assert Meeting.objects.get(pk=meeting.pk).report_number == NUMBER
    assert actions(meeting)[-1] == "meeting.close"


def test_closing_refuses_a_number_another_laporan_rapat_has(make_meeting, ketua_tim):
    make_meeting(State.CLOSED, title="Rapat koordinasi April 2026")
    meeting = make_meeting(State.HELD)
    services.record_attendance(
        meeting,
        entries=[
            AttendanceEntry(o, Attendance.Status.HADIR, "Andi")
            for o in meeting.invited_offices.all()
        ],
        by=ketua_tim,
    )

    with pytest.raises(ValidationError) as error:
        services.close_meeting(meeting, number=NUMBER, by=ketua_tim)

    assert error.value.messages == [
        f"{NUMBER} sudah menjadi nomor surat Laporan rapat Rapat koordinasi April 2026."
    ]
    assert Meeting.objects.get(pk=meeting.pk).state == State.HELD


def test_a_meeting_not_closed_has_no_number_to_correct(make_meeting, ketua_tim):
    meeting = make_meeting(State.HELD)

    with pytest.raises(MeetingStateError):
        services.correct_report_number(
            meeting, number=CORRECTED, reason="Salah ketik", by=ketua_tim
        )

    assert Meeting.objects.get(pk=meeting.pk).report_number == ""


def test_details_are_checked_before_anything_is_saved(year_2026, ketua_tim, rejang_lebong):
    from core.models import Office

    other = Office.objects.get(code="1700")  # the province office is no kab/kota invitee

    with pytest.raises(ValidationError) as error:
        services.create_meeting(
            year_2026,
            title="Rapat",
            period_start=date(2026, 5, 2),  # not the start of a period
            starts_at=datetime(2026, 5, 20, 9, tzinfo=JAKARTA),
            ends_at=datetime(2026, 5, 20, 8, tzinfo=JAKARTA),
            platform="zoom",
            link="",
            invited_offices=[rejang_lebong, other],
            invited_staff=[],
            agenda=[],
            by=ketua_tim,
        )

    assert set(error.value.message_dict) == {"ends_at", "period_start", "invited_offices"}
    assert Meeting.objects.count() == 0


# --- recording ---------------------------------------------------------------------------------


@pytest.mark.parametrize("state", [State.DRAFT, State.SCHEDULED])
def test_attendance_minutes_and_action_items_only_once_held(
    make_meeting, ketua_tim, rejang_lebong, state
):
    meeting = make_meeting(state)

    with pytest.raises(MeetingStateError):
        services.record_attendance(
            meeting,
            entries=[AttendanceEntry(rejang_lebong, Attendance.Status.HADIR, "Andi")],
            by=ketua_tim,
        )
    with pytest.raises(MeetingStateError):
        services.record_minutes(meeting, minutes={}, decisions="Sepakat", by=ketua_tim)
    with pytest.raises(MeetingStateError):
        services.add_action_item(
            meeting,
            owner_office=rejang_lebong,
            description="Kirim laporan",
            due_date=date(2026, 6, 1),
            by=ketua_tim,
        )

    assert Attendance.objects.count() == 0
    assert ActionItem.objects.count() == 0
    assert Meeting.objects.get(pk=meeting.pk).decisions == ""


def test_attendance_is_recorded_per_office_with_names_and_audited(
    make_meeting, tim_provinsi, rejang_lebong, kaur
):
    meeting = make_meeting(State.HELD)

    services.record_attendance(
        meeting,
        entries=[
            AttendanceEntry(rejang_lebong, Attendance.Status.HADIR, " Andi Saputra \n\nRina "),
            AttendanceEntry(kaur, Attendance.Status.IZIN, note="Bertugas lapangan"),
        ],
        by=tim_provinsi,
    )

    rows = {
        a.office.code: (a.status, a.attendee_list, a.note, a.recorded_by)
        for a in meeting.attendances.all()
    }
    assert rows == {
        "1702": ("hadir", ["Andi Saputra", "Rina"], "", tim_provinsi),
        "1704": ("izin", [], "Bertugas lapangan", tim_provinsi),
    }
    event = audit_events_for(meeting).get(action="meeting.attendance")
    assert event.changes == {
        "Rejang Lebong": [None, "Hadir: Andi Saputra, Rina"],
        "Kaur": [None, "Izin (Bertugas lapangan)"],
    }


def test_present_without_names_and_uninvited_offices_are_refused(
    make_meeting, ketua_tim, rejang_lebong
):
    from core.models import Office

    meeting = make_meeting(State.HELD)
    bengkulu_selatan = Office.objects.get(code="1701")

    with pytest.raises(ValidationError) as error:
        services.record_attendance(
            meeting,
            entries=[
                AttendanceEntry(rejang_lebong, Attendance.Status.HADIR, "  "),
                AttendanceEntry(bengkulu_selatan, Attendance.Status.HADIR, "Budi"),
            ],
            by=ketua_tim,
        )

    assert error.value.messages == [
        "Rejang Lebong: Tuliskan nama yang hadir.",
        "Bengkulu Selatan: Kantor ini tidak diundang.",
    ]
    assert Attendance.objects.count() == 0


def test_minutes_and_decisions_are_saved_and_audited(make_meeting, tim_provinsi):
    meeting = make_meeting(State.HELD)
    first, second = meeting.agenda_items.all()

    services.record_minutes(
        meeting,
        minutes={first.pk: "Semua desa sudah dicanangkan.", second.pk: ""},
        decisions="- Laporan identifikasi dikirim 1 Juni\n\n2. Rapat berikut Juli",
        by=tim_provinsi,
    )

    meeting.refresh_from_db()
    assert AgendaItem.objects.get(pk=first.pk).minutes == "Semua desa sudah dicanangkan."
    assert meeting.decision_list == ["Laporan identifikasi dikirim 1 Juni", "2. Rapat berikut Juli"]
    event = audit_events_for(meeting).get(action="meeting.minutes")
    assert set(event.changes) == {"minutes: Progres pembinaan desa", "decisions"}


def test_after_closing_tim_provinsi_can_no_longer_record(make_meeting, tim_provinsi, kaur):
    meeting = make_meeting(State.CLOSED)

    with pytest.raises(PermissionDenied):
        services.record_attendance(
            meeting,
            entries=[AttendanceEntry(kaur, Attendance.Status.HADIR, "Sari")],
            by=tim_provinsi,
            reason="Salah catat",
        )
    with pytest.raises(PermissionDenied):
        services.record_minutes(meeting, minutes={}, decisions="Baru", by=tim_provinsi)

    assert meeting.attendances.get(office=kaur).status == Attendance.Status.IZIN


def test_a_correction_after_closing_needs_a_reason(make_meeting, ketua_tim, kaur):
    meeting = make_meeting(State.CLOSED)

    with pytest.raises(ValidationError) as error:
        services.record_attendance(
            meeting,
            entries=[AttendanceEntry(kaur, Attendance.Status.HADIR, "Sari")],
            by=ketua_tim,
            reason="   ",
        )

    assert error.value.message_dict == {
        "reason": ["Koreksi setelah rapat ditutup wajib beralasan."]
    }
    assert meeting.attendances.get(office=kaur).status == Attendance.Status.IZIN


def test_ketua_tim_corrects_a_closed_meeting_with_a_reason_and_it_is_audited(
    make_meeting, ketua_tim, kaur
):
    meeting = make_meeting(State.CLOSED)

    services.record_attendance(
        meeting,
        entries=[AttendanceEntry(kaur, Attendance.Status.HADIR, "Sari Dewi")],
        by=ketua_tim,
        reason="Kaur bergabung terlambat, tercatat izin",
    )

    assert meeting.attendances.get(office=kaur).attendee_list == ["Sari Dewi"]
    event = audit_events_for(meeting).get(action="meeting.correct_attendance")
    assert (event.actor, event.reason) == (ketua_tim, "Kaur bergabung terlambat, tercatat izin")
    assert event.changes == {"Kaur": ["Izin (Bertugas lapangan)", "Hadir: Sari Dewi"]}
    assert Meeting.objects.get(pk=meeting.pk).state == State.CLOSED


def test_ketua_tim_adds_an_action_item_after_closing_as_a_correction(make_meeting, ketua_tim, kaur):
    meeting = make_meeting(State.CLOSED)

    item = services.add_action_item(
        meeting,
        owner_office=kaur,
        description="Unggah SK agen statistik",
        due_date=date(2026, 6, 15),
        by=ketua_tim,
        reason="Terlewat saat notulen",
    )

    assert item.state == ActionItem.State.OPEN
    event = audit_events_for(meeting).get(action="meeting.correct_action_items")
    assert event.reason == "Terlewat saat notulen"


# --- editing and deleting ----------------------------------------------------------------------


def test_editing_keeps_agenda_rows_that_stay_and_audits_the_change(make_meeting, ketua_tim):
    meeting = make_meeting()
    first, second = meeting.agenda_items.all()

    services.update_meeting(
        meeting,
        title="Rapat koordinasi (diubah)",
        period_start=date(2026, 5, 1),
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        platform=Meeting.Platform.GOOGLE_MEET,
        link="https://meet.google.com/abc-defg-hij",
        invited_offices=list(meeting.invited_offices.all()),
        invited_staff=[],
        agenda=[
            AgendaEntry(pk=second.pk, title="Persiapan LKE", presenter="", allotted_minutes=20),
            AgendaEntry(title="Lain-lain", presenter="", allotted_minutes=10),
        ],
        by=ketua_tim,
        site_url=SITE,
    )

    items = list(Meeting.objects.get(pk=meeting.pk).agenda_items.all())
    assert [(a.position, a.title) for a in items] == [(1, "Persiapan LKE"), (2, "Lain-lain")]
    assert items[0].pk == second.pk
    assert not AgendaItem.objects.filter(pk=first.pk).exists()
    event = audit_events_for(meeting).get(action="meeting.update")
    assert event.changes["title"] == [
        "Rapat koordinasi tim Desa Cantik Mei 2026",
        "Rapat koordinasi (diubah)",
    ]
    assert event.changes["agenda"] == [
        ["Persiapan penilaian LKE", "Progres pembinaan desa"],
        ["Lain-lain", "Persiapan LKE"],
    ]


def test_a_held_meeting_can_no_longer_be_rescheduled(make_meeting, ketua_tim):
    meeting = make_meeting(State.HELD)

    with pytest.raises(MeetingStateError):
        services.update_meeting(
            meeting,
            title="Baru",
            period_start=meeting.period_start,
            starts_at=meeting.starts_at + timedelta(days=1),
            ends_at=meeting.ends_at + timedelta(days=1),
            platform=meeting.platform,
            link=meeting.link,
            invited_offices=list(meeting.invited_offices.all()),
            invited_staff=[],
            agenda=[],
            by=ketua_tim,
            site_url=SITE,
        )

    assert Meeting.objects.get(pk=meeting.pk).title == meeting.title


def test_only_a_draft_can_be_deleted_and_the_deletion_is_audited(make_meeting, ketua_tim):
    draft = make_meeting()
    scheduled = make_meeting(State.SCHEDULED)

    services.delete_meeting(draft, by=ketua_tim)
    with pytest.raises(MeetingStateError):
        services.delete_meeting(scheduled, by=ketua_tim)

    assert list(Meeting.objects.values_list("pk", flat=True)) == [scheduled.pk]
    event = AuditEvent.objects.get(action="meeting.delete")
    assert event.changes == {"title": ["Rapat koordinasi tim Desa Cantik Mei 2026", None]}


def test_scheduling_a_meeting_whose_start_has_passed_needs_a_confirmation(make_meeting, ketua_tim):
    meeting = make_meeting(starts_at=datetime(2026, 5, 18, 8, tzinfo=JAKARTA))  # now is 12:00

    with pytest.raises(ValidationError) as error:
        services.schedule_meeting(meeting, by=ketua_tim, site_url=SITE)

    assert error.value.messages == [
        "Waktu mulai rapat (18 Mei 2026, 08.00) sudah lewat. Centang “Ya, jadwalkan walau "
        "waktunya sudah lewat” bila rapat memang hendak dijadwalkan."
    ]
    assert Meeting.objects.get(pk=meeting.pk).state == State.DRAFT
    assert "meeting.schedule" not in actions(meeting)

    services.schedule_meeting(meeting, by=ketua_tim, site_url=SITE, confirm_past=True)
    assert Meeting.objects.get(pk=meeting.pk).state == State.SCHEDULED
    assert actions(meeting)[-1] == "meeting.schedule"


def test_a_meeting_still_to_come_is_scheduled_without_a_confirmation(make_meeting, ketua_tim):
    meeting = make_meeting(starts_at=datetime(2026, 5, 18, 14, tzinfo=JAKARTA))

    services.schedule_meeting(meeting, by=ketua_tim, site_url=SITE)

    assert Meeting.objects.get(pk=meeting.pk).state == State.SCHEDULED
