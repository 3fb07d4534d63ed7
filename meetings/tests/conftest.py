"""Meetings built through the app's own services, in the state a test needs.

The clock is frozen at Monday 18 May 2026, 12:00 WIB; the default meeting ran that morning
(09:00–11:00) for the May–June period and invited Rejang Lebong and Kaur."""

from datetime import date, datetime, timedelta

import pytest
import time_machine

from core.deadlines import JAKARTA
from meetings import services
from meetings.models import Attendance, Meeting
from meetings.services import AgendaEntry, AttendanceEntry

NOW = datetime(2026, 5, 18, 12, 0, tzinfo=JAKARTA)
NUMBER = "B-7/17000/VS.310/05/2026"  # the letter number the team lead gives the Laporan rapat
MORNING = datetime(2026, 5, 18, 9, 0, tzinfo=JAKARTA)
AGENDA = [
    AgendaEntry(title="Progres pembinaan desa", presenter="Tim Provinsi", allotted_minutes=45),
    AgendaEntry(title="Persiapan penilaian LKE", presenter="Ketua Tim", allotted_minutes=30),
]


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_meeting(year_2026, ketua_tim, rejang_lebong, kaur, frozen):
    """make_meeting(state, **details): a meeting brought to `state` through the services, the
    way the pages do it. Attendance for closing: Rejang Lebong present, Kaur excused."""

    def make(state: str = Meeting.State.DRAFT, *, by=None, **details) -> Meeting:
        by = by or ketua_tim
        starts_at = details.pop("starts_at", MORNING)
        values = {
            "title": "Rapat koordinasi tim Desa Cantik Mei 2026",
            "period_start": date(2026, 5, 1),
            "starts_at": starts_at,
            "ends_at": starts_at + timedelta(hours=2),
            "platform": Meeting.Platform.ZOOM,
            "link": "https://zoom.us/j/81234567890",
            "invited_offices": [rejang_lebong, kaur],
            "invited_staff": [],
            "agenda": AGENDA,
            **details,
        }
        meeting = services.create_meeting(year_2026, **values, by=by)
        if state == Meeting.State.DRAFT:
            return meeting
        services.schedule_meeting(
            meeting, by=by, site_url="https://monev.example.id", confirm_past=True
        )
        if state == Meeting.State.SCHEDULED:
            return Meeting.objects.get(pk=meeting.pk)
        services.hold_meeting(meeting, by=by)
        if state == Meeting.State.HELD:
            return Meeting.objects.get(pk=meeting.pk)
        services.record_attendance(
            meeting,
            entries=[
                AttendanceEntry(
                    rejang_lebong, Attendance.Status.HADIR, "Andi Saputra\nRina Marlina"
                ),
                AttendanceEntry(kaur, Attendance.Status.IZIN, "", "Bertugas lapangan"),
            ],
            by=by,
        )
        services.close_meeting(meeting, number=NUMBER, by=ketua_tim)
        return Meeting.objects.get(pk=meeting.pk)

    return make
