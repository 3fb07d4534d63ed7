"""Cancelling a scheduled meeting, and the mails of a meeting's life over a real SMTP server
(aiosmtpd on loopback): the invitation (METHOD:REQUEST, SEQUENCE 0), the changed schedule (a
REQUEST with SEQUENCE 1) and the cancellation (METHOD:CANCEL, the same UID, SEQUENCE 2), each
to every invitee."""

from datetime import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from conftest import make_user
from core.deadlines import JAKARTA
from core.mail import deliver_outbox
from core.models import AuditEvent, OutgoingMail, Role
from meetings import queries, services
from meetings.models import Meeting

from .test_invitations import SITE, properties, unfold

INVITEES = ["andi@bps.go.id", "bps1702@bps.go.id", "bps1704@bps.go.id", "kepala.rl@bps.go.id"]


@pytest.fixture
def invitees(rejang_lebong, kaur):
    """The Rejang Lebong team member and head, both office addresses; a viewer (not invited)."""
    rejang_lebong.email = "bps1702@bps.go.id"
    rejang_lebong.save(update_fields=["email"])
    kaur.email = "bps1704@bps.go.id"
    kaur.save(update_fields=["email"])
    make_user("andi", "1702", Role.TIM_KABKOTA, email="andi@bps.go.id")
    make_user("kepala_rl", "1702", Role.PIMPINAN_KABKOTA, email="kepala.rl@bps.go.id")
    make_user("viewer_rl", "1702", Role.VIEWER, email="viewer.rl@bps.go.id")


def received(smtp_server) -> dict[str, object]:
    """Recipient → the message it got, for the messages the server received since the last
    call (each test phase clears them)."""
    by_address = {}
    for (_sender, rcpts), message in zip(smtp_server.envelopes, smtp_server.messages, strict=True):
        (address,) = rcpts
        by_address[address] = message
    smtp_server.envelopes.clear()
    smtp_server.messages.clear()
    return by_address


def calendar(message):
    (part,) = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    return part, part.get_payload(decode=True).decode()


def body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def reschedule(meeting: Meeting, *, by, starts_at: datetime) -> Meeting:
    return services.update_meeting(
        meeting,
        title=meeting.title,
        period_start=meeting.period_start,
        starts_at=starts_at,
        ends_at=starts_at.replace(hour=starts_at.hour + 2),
        platform=meeting.platform,
        link=meeting.link,
        invited_offices=list(meeting.invited_offices.all()),
        invited_staff=list(meeting.invited_staff.all()),
        agenda=[
            services.AgendaEntry(
                pk=a.pk, title=a.title, presenter=a.presenter, allotted_minutes=a.allotted_minutes
            )
            for a in meeting.agenda_items.all()
        ],
        by=by,
        site_url=SITE,
    )


def test_invitation_change_and_cancellation_reach_every_invitee_over_smtp(
    make_meeting, ketua_tim, invitees, smtp_server
):
    meeting = make_meeting()
    services.schedule_meeting(meeting, by=ketua_tim, site_url=SITE, confirm_past=True)
    deliver_outbox()
    invitations = received(smtp_server)
    later = datetime(2026, 5, 20, 13, tzinfo=JAKARTA)

    meeting = reschedule(Meeting.objects.get(pk=meeting.pk), by=ketua_tim, starts_at=later)
    deliver_outbox()
    changes = received(smtp_server)

    services.cancel_meeting(
        meeting, by=ketua_tim, reason="Bentrok dengan rapat nasional BPS RI.", site_url=SITE
    )
    assert deliver_outbox().sent == 4
    cancellations = received(smtp_server)

    assert sorted(invitations) == sorted(changes) == sorted(cancellations) == INVITEES
    andi = {"invite": invitations, "change": changes, "cancel": cancellations}
    andi = {phase: mails["andi@bps.go.id"] for phase, mails in andi.items()}
    assert andi["invite"]["Subject"] == (
        "Undangan: Rapat koordinasi tim Desa Cantik Mei 2026, 18-05-2026 09:00 WIB"
    )
    assert andi["change"]["Subject"] == (
        "Perubahan jadwal: Rapat koordinasi tim Desa Cantik Mei 2026, 20-05-2026 13:00 WIB"
    )
    assert andi["cancel"]["Subject"] == (
        "Dibatalkan: Rapat koordinasi tim Desa Cantik Mei 2026, 20-05-2026 13:00 WIB"
    )
    text = body(andi["cancel"])
    assert text.startswith("Yth. Andi,\n\nRapat berikut dibatalkan.")
    assert "Alasan: Bentrok dengan rapat nasional BPS RI." in text
    assert "Tanggal: Rabu, 20 Mei 2026" in text
    assert f"Rincian: {SITE}/rapat/{meeting.pk}/" in text
    assert "https://zoom.us/j/81234567890" not in text  # no link to a meeting that will not run

    calendars = {phase: calendar(message) for phase, message in andi.items()}
    props = {phase: properties(ics) for phase, (_part, ics) in calendars.items()}
    assert [calendars[p][0].get_param("method") for p in andi] == ["REQUEST", "REQUEST", "CANCEL"]
    assert calendars["cancel"][0].get_filename() == "batal-rapat.ics"
    assert [props[p]["METHOD"] for p in andi] == ["REQUEST", "REQUEST", "CANCEL"]
    assert {props[p]["UID"] for p in andi} == {f"rapat-{meeting.pk}@monev.example.id"}
    assert [props[p]["SEQUENCE"] for p in andi] == ["0", "1", "2"]
    assert [props[p]["STATUS"] for p in andi] == ["CONFIRMED", "CONFIRMED", "CANCELLED"]
    assert [props[p]["DTSTART"] for p in andi] == [
        "20260518T020000Z",
        "20260520T060000Z",
        "20260520T060000Z",
    ]
    cancel_lines = unfold(calendars["cancel"][1])
    attendee = next(line for line in cancel_lines if line.startswith("ATTENDEE"))
    assert attendee.endswith(":mailto:andi@bps.go.id")
    assert cancel_lines[-2:] == ["END:VEVENT", "END:VCALENDAR"]


def test_cancelling_records_the_state_the_reason_and_an_audit_row(
    make_meeting, ketua_tim, tim_provinsi
):
    meeting = make_meeting(Meeting.State.SCHEDULED)

    services.cancel_meeting(
        meeting, by=tim_provinsi, reason="  Narasumber berhalangan  ", site_url=SITE
    )

    meeting.refresh_from_db()
    assert (meeting.state, meeting.cancelled_by, meeting.cancellation_reason) == (
        "cancelled",
        tim_provinsi,
        "Narasumber berhalangan",
    )
    assert meeting.cancelled_at == datetime(2026, 5, 18, 12, tzinfo=JAKARTA)
    event = AuditEvent.objects.filter(action="meeting.cancel").get()
    assert (event.actor, event.reason) == (tim_provinsi, "Narasumber berhalangan")
    assert event.changes == {"state": ["scheduled", "cancelled"]}


@pytest.mark.parametrize("state", [Meeting.State.DRAFT, Meeting.State.HELD, Meeting.State.CLOSED])
def test_only_a_scheduled_meeting_can_be_cancelled(make_meeting, ketua_tim, invitees, state):
    meeting = make_meeting(state)
    before = OutgoingMail.objects.count()

    with pytest.raises(services.MeetingStateError):
        services.cancel_meeting(meeting, by=ketua_tim, reason="Batal", site_url=SITE)

    assert Meeting.objects.get(pk=meeting.pk).state == state
    assert OutgoingMail.objects.count() == before


def test_a_cancelled_meeting_cannot_be_cancelled_again_held_or_changed(
    make_meeting, ketua_tim, invitees
):
    meeting = make_meeting(Meeting.State.SCHEDULED)
    services.cancel_meeting(meeting, by=ketua_tim, reason="Batal", site_url=SITE)
    before = OutgoingMail.objects.count()

    with pytest.raises(services.MeetingStateError):
        services.cancel_meeting(meeting, by=ketua_tim, reason="Lagi", site_url=SITE)
    with pytest.raises(services.MeetingStateError):
        services.hold_meeting(meeting, by=ketua_tim)
    with pytest.raises(services.MeetingStateError):
        reschedule(meeting, by=ketua_tim, starts_at=datetime(2026, 5, 20, 9, tzinfo=JAKARTA))

    assert OutgoingMail.objects.count() == before


def test_cancelling_needs_a_reason(make_meeting, ketua_tim, invitees):
    meeting = make_meeting(Meeting.State.SCHEDULED)
    before = OutgoingMail.objects.count()

    with pytest.raises(ValidationError) as error:
        services.cancel_meeting(meeting, by=ketua_tim, reason=" ", site_url=SITE)

    assert error.value.message_dict == {"reason": ["Jelaskan mengapa rapat dibatalkan."]}
    assert Meeting.objects.get(pk=meeting.pk).state == "scheduled"
    assert OutgoingMail.objects.count() == before


@pytest.mark.parametrize("persona", ["kepala", "viewer_provinsi", "tim_rejang_lebong"])
def test_only_the_province_team_cancels(make_meeting, request, persona):
    meeting = make_meeting(Meeting.State.SCHEDULED)

    with pytest.raises(PermissionDenied):
        services.cancel_meeting(
            meeting, by=request.getfixturevalue(persona), reason="Batal", site_url=SITE
        )

    assert Meeting.objects.get(pk=meeting.pk).state == "scheduled"


def test_a_cancelled_meeting_leaves_the_upcoming_list_and_the_cadence(
    make_meeting, ketua_tim, tim_rejang_lebong, year_2026
):
    meeting = make_meeting(
        Meeting.State.SCHEDULED, starts_at=datetime(2026, 5, 25, 9, tzinfo=JAKARTA)
    )
    assert queries.home_panel(tim_rejang_lebong).upcoming == [meeting]

    services.cancel_meeting(meeting, by=ketua_tim, reason="Batal", site_url=SITE)

    assert queries.home_panel(tim_rejang_lebong).upcoming == []
    periods = queries.cadence(year_2026, []).periods
    assert all(meeting.pk not in [m.pk for m in p.meetings] for p in periods)
