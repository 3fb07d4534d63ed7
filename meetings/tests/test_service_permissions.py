"""Who may change meetings and their action items is checked inside meetings.services with the
rules the pages use (meetings.queries: can_manage, can_close, can_record,
can_confirm_attendance, can_mark_done, can_review), so a management command or the API is
refused what the page refuses. Every meeting is of the province of Bengkulu and invites Rejang
Lebong; the clock is frozen at Monday 18 May 2026, 12:00 WIB (meetings/tests/conftest.py).
Harness: core/tests/service_permissions.py."""

from datetime import date, timedelta

import pytest

from core.models import Office
from core.tests.service_permissions import (
    PROVINCE_TEAM,
    Case,
    check,
    parametrize,
    people,  # noqa: F401 (the fixture)
)
from meetings import services
from meetings.models import ActionItem, Attendance, AttendanceConfirmation, Meeting
from meetings.services import AttendanceEntry
from meetings.tests.conftest import AGENDA, MORNING, NUMBER
from program.models import ProgramYear
from program.services import create_program_year

pytestmark = pytest.mark.usefixtures("frozen")

LEAD = frozenset({"ketua_tim"})
KABKOTA_TEAM = frozenset({"tim_kabkota"})
SITE = "https://monev.example.id"
LATER = MORNING + timedelta(days=2)  # Wednesday 20 May, 09:00 WIB: not started yet


def _year() -> ProgramYear:
    province = Office.objects.get(code="1700")
    return ProgramYear.objects.filter(province=province, year=2026).first() or create_program_year(
        province, year=2026, by=None
    )


def _details(starts_at=MORNING, **values) -> dict:
    return {
        "title": "Rapat koordinasi tim Desa Cantik Mei 2026",
        "period_start": date(2026, 5, 1),
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=2),
        "platform": Meeting.Platform.ZOOM,
        "link": "https://zoom.us/j/81234567890",
        "invited_offices": [Office.objects.get(code="1702")],
        "invited_staff": [],
        "agenda": AGENDA,
        **values,
    }


def _meeting(users, state=Meeting.State.DRAFT, starts_at=MORNING) -> Meeting:
    """A meeting brought to `state` by ketua_tim through the services, as the pages do."""
    lead = users["ketua_tim"]
    meeting = services.create_meeting(_year(), **_details(starts_at), by=lead)
    if state == Meeting.State.DRAFT:
        return meeting
    services.schedule_meeting(meeting, by=lead, site_url=SITE, confirm_past=True)
    if state == Meeting.State.SCHEDULED:
        return Meeting.objects.get(pk=meeting.pk)
    services.hold_meeting(meeting, by=lead)
    if state == Meeting.State.HELD:
        return Meeting.objects.get(pk=meeting.pk)
    rejang_lebong = Office.objects.get(code="1702")
    services.record_attendance(
        meeting,
        entries=[AttendanceEntry(rejang_lebong, Attendance.Status.HADIR, "Andi Saputra")],
        by=lead,
    )
    services.close_meeting(meeting, number=NUMBER, by=lead)
    return Meeting.objects.get(pk=meeting.pk)


def _item(users, meeting_state=Meeting.State.HELD, owner="1702", done=False, confirmed=False):
    meeting = _meeting(users, Meeting.State.HELD)
    owner_office = Office.objects.get(code=owner)
    item = services.add_action_item(
        meeting,
        owner_office=owner_office,
        description="Kirim daftar desa binaan",
        due_date=date(2026, 6, 1),
        by=users["ketua_tim"],
    )
    if done:
        marker = users["tim_kabkota"] if owner == "1702" else users["tim_provinsi"]
        services.mark_action_item_done(item, note="Sudah dikirim", by=marker)
    if confirmed:
        services.confirm_action_item(item, by=users["ketua_tim"])
    if meeting_state == Meeting.State.CLOSED:
        services.close_meeting(_attended(meeting, users), number=NUMBER, by=users["ketua_tim"])
    return ActionItem.objects.get(pk=item.pk)


def _attended(meeting: Meeting, users) -> Meeting:
    services.record_attendance(
        meeting,
        entries=[
            AttendanceEntry(
                Office.objects.get(code="1702"), Attendance.Status.HADIR, "Andi Saputra"
            )
        ],
        by=users["ketua_tim"],
    )
    return meeting


def _meeting_row(meeting: Meeting, *fields):
    return tuple(Meeting.objects.filter(pk=meeting.pk).values_list(*fields).first() or ())


def _item_row(item: ActionItem):
    return tuple(
        ActionItem.objects.filter(pk=item.pk)
        .values_list("state", "description", "due_date", "owner_office", "done_note")
        .first()
        or ()
    )


def _attendance(meeting: Meeting):
    return sorted(meeting.attendances.values_list("office__code", "status", "attendees", "note"))


def _minutes(meeting: Meeting):
    return (
        _meeting_row(meeting, "decisions"),
        list(meeting.agenda_items.order_by("position").values_list("minutes", flat=True)),
    )


# --- meetings ------------------------------------------------------------------------------------


def create_meeting(users):
    year = _year()
    return (
        lambda by: services.create_meeting(year, **_details(LATER), by=by),
        lambda: Meeting.objects.count(),
    )


def update_meeting(users):
    meeting = _meeting(users, starts_at=LATER)
    return (
        lambda by: services.update_meeting(
            meeting, **_details(LATER, title="Rapat koordinasi (diubah)"), by=by, site_url=SITE
        ),
        lambda: _meeting_row(meeting, "title", "invitation_sequence"),
    )


def delete_meeting(users):
    meeting = _meeting(users, starts_at=LATER)
    return (
        lambda by: services.delete_meeting(meeting, by=by),
        lambda: Meeting.objects.filter(pk=meeting.pk).exists(),
    )


def schedule_meeting(users):
    meeting = _meeting(users, starts_at=LATER)
    return (
        lambda by: services.schedule_meeting(meeting, by=by, site_url=SITE),
        lambda: _meeting_row(meeting, "state", "scheduled_at"),
    )


def cancel_meeting(users):
    meeting = _meeting(users, Meeting.State.SCHEDULED, starts_at=LATER)
    return (
        lambda by: services.cancel_meeting(
            meeting, by=by, reason="Bentrok dengan rapat nasional", site_url=SITE
        ),
        lambda: _meeting_row(meeting, "state", "cancellation_reason", "invitation_sequence"),
    )


def hold_meeting(users):
    meeting = _meeting(users, Meeting.State.SCHEDULED)
    return (
        lambda by: services.hold_meeting(meeting, by=by),
        lambda: _meeting_row(meeting, "state", "held_by"),
    )


def close_meeting(users):
    meeting = _attended(_meeting(users, Meeting.State.HELD), users)
    return (
        lambda by: services.close_meeting(meeting, number=NUMBER, by=by),
        lambda: _meeting_row(meeting, "state", "closed_by"),
    )


def correct_report_number(users):
    meeting = _meeting(users, Meeting.State.CLOSED)
    return (
        lambda by: services.correct_report_number(
            meeting, number="B-9/17000/VS.310/05/2026", reason="Salah ketik", by=by
        ),
        lambda: _meeting_row(meeting, "report_number"),
    )


def confirm_attendance(users):
    meeting = _meeting(users, Meeting.State.SCHEDULED, starts_at=LATER)
    office = Office.objects.get(code="1702")
    return (
        lambda by: services.confirm_attendance(
            meeting,
            office=office,
            status=AttendanceConfirmation.Status.HADIR,
            attendees="Andi Saputra",
            by=by,
        ),
        lambda: list(
            AttendanceConfirmation.objects.filter(meeting=meeting).values_list(
                "office", "status", "attendees"
            )
        ),
    )


def _record_attendance(state):
    def setup(users):
        meeting = _meeting(users, state)
        entry = AttendanceEntry(
            Office.objects.get(code="1702"), Attendance.Status.IZIN, "", "Bertugas lapangan"
        )
        reason = "Salah catat kehadiran" if state == Meeting.State.CLOSED else ""
        return (
            lambda by: services.record_attendance(meeting, entries=[entry], by=by, reason=reason),
            lambda: _attendance(meeting),
        )

    return setup


def _record_minutes(state):
    def setup(users):
        meeting = _meeting(users, state)
        first = meeting.agenda_items.order_by("position").first()
        reason = "Keputusan belum tercatat" if state == Meeting.State.CLOSED else ""
        return (
            lambda by: services.record_minutes(
                meeting,
                minutes={first.pk: "Progres dibahas"},
                decisions="Desa binaan dikunjungi Juni",
                by=by,
                reason=reason,
            ),
            lambda: _minutes(meeting),
        )

    return setup


# --- action items --------------------------------------------------------------------------------


def _add_action_item(state):
    def setup(users):
        meeting = _meeting(users, state)
        reason = "Tindak lanjut terlewat" if state == Meeting.State.CLOSED else ""
        return (
            lambda by: services.add_action_item(
                meeting,
                owner_office=Office.objects.get(code="1702"),
                description="Perbarui rencana kerja",
                due_date=date(2026, 6, 15),
                by=by,
                reason=reason,
            ),
            lambda: ActionItem.objects.count(),
        )

    return setup


def _update_action_item(state):
    def setup(users):
        item = _item(users, meeting_state=state)
        reason = "Tenggat salah catat" if state == Meeting.State.CLOSED else ""
        return (
            lambda by: services.update_action_item(
                item,
                owner_office=item.owner_office,
                description=item.description,
                due_date=date(2026, 6, 30),
                by=by,
                reason=reason,
            ),
            lambda: _item_row(item),
        )

    return setup


def delete_action_item(users):
    item = _item(users)
    return (
        lambda by: services.delete_action_item(item, by=by),
        lambda: ActionItem.objects.filter(pk=item.pk).exists(),
    )


def _mark_done(owner):
    def setup(users):
        item = _item(users, owner=owner)
        return (
            lambda by: services.mark_action_item_done(item, note="Sudah dikirim", by=by),
            lambda: _item_row(item),
        )

    return setup


def confirm_action_item(users):
    item = _item(users, done=True)
    return (
        lambda by: services.confirm_action_item(item, by=by),
        lambda: _item_row(item),
    )


def reopen_action_item(users):
    item = _item(users, done=True, confirmed=True)
    return (
        lambda by: services.reopen_action_item(item, reason="Bukti belum lengkap", by=by),
        lambda: _item_row(item),
    )


HELD, CLOSED = Meeting.State.HELD, Meeting.State.CLOSED
CASES = [
    Case(services.create_meeting, PROVINCE_TEAM, create_meeting),
    Case(services.update_meeting, PROVINCE_TEAM, update_meeting),
    Case(services.delete_meeting, PROVINCE_TEAM, delete_meeting),
    Case(services.schedule_meeting, PROVINCE_TEAM, schedule_meeting),
    Case(services.cancel_meeting, PROVINCE_TEAM, cancel_meeting),
    Case(services.hold_meeting, PROVINCE_TEAM, hold_meeting),
    Case(services.close_meeting, LEAD, close_meeting),
    Case(services.correct_report_number, LEAD, correct_report_number),
    Case(services.confirm_attendance, KABKOTA_TEAM, confirm_attendance),
    Case(services.record_attendance, PROVINCE_TEAM, _record_attendance(HELD), "held"),
    Case(services.record_attendance, LEAD, _record_attendance(CLOSED), "correction"),
    Case(services.record_minutes, PROVINCE_TEAM, _record_minutes(HELD), "held"),
    Case(services.record_minutes, LEAD, _record_minutes(CLOSED), "correction"),
    Case(services.add_action_item, PROVINCE_TEAM, _add_action_item(HELD), "held"),
    Case(services.add_action_item, LEAD, _add_action_item(CLOSED), "correction"),
    Case(services.update_action_item, PROVINCE_TEAM, _update_action_item(HELD), "held"),
    Case(services.update_action_item, LEAD, _update_action_item(CLOSED), "correction"),
    Case(services.delete_action_item, PROVINCE_TEAM, delete_action_item),
    Case(services.mark_action_item_done, KABKOTA_TEAM, _mark_done("1702"), "kabkota"),
    Case(services.mark_action_item_done, PROVINCE_TEAM, _mark_done("1700"), "province"),
    Case(services.confirm_action_item, PROVINCE_TEAM, confirm_action_item),
    Case(services.reopen_action_item, PROVINCE_TEAM, reopen_action_item),
]


@parametrize(CASES)
def test_service_checks_the_actor(case, persona, allowed, people):  # noqa: F811
    check(case, persona, allowed, people)
