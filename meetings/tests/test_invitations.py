"""Invitation e-mails: written into the mail outbox in the transaction that schedules or changes
the meeting, one per invited person, each with a valid RFC 5545 calendar attachment; delivered
by the outbox worker (core.mail.deliver_outbox; here to Django's in-memory backend)."""

from datetime import datetime

import pytest
from django.db import transaction

from conftest import make_user
from core.deadlines import JAKARTA
from core.mail import deliver_outbox
from core.models import Membership, NotificationKind, NotificationOptOut, Office, OutgoingMail, Role
from meetings import exports, services
from meetings.models import Meeting

SITE = "https://monev.example.id"


def unfold(ics: str) -> list[str]:
    """The content lines of an iCalendar text (RFC 5545 3.1: CRLF followed by a space joins)."""
    return ics.replace("\r\n ", "").split("\r\n")[:-1]


def properties(ics: str) -> dict[str, str]:
    """NAME (without parameters) → value, for the lines of the VEVENT and the calendar."""
    result = {}
    for line in unfold(ics):
        head, _sep, value = line.partition(":")
        result.setdefault(head.split(";")[0], value)
    return result


def calendar_part(message):
    (part,) = [a for a in message.attachments if a.get_content_type() == "text/calendar"]
    return part


@pytest.fixture
def invitees(rejang_lebong, kaur, province):
    """People with addresses: the Rejang Lebong team and head, the Kaur office's own address,
    a province staff member; a viewer of Rejang Lebong is not invited."""
    rejang_lebong.email = "bps1702@bps.go.id"
    rejang_lebong.save(update_fields=["email"])
    kaur.email = "bps1704@bps.go.id"
    kaur.save(update_fields=["email"])
    team = make_user("andi", "1702", Role.TIM_KABKOTA, email="andi@bps.go.id")
    head = make_user("kepala_rl", "1702", Role.PIMPINAN_KABKOTA, email="kepala.rl@bps.go.id")
    make_user("viewer_rl", "1702", Role.VIEWER, email="viewer.rl@bps.go.id")
    staff = make_user("sari", "1700", Role.TIM_PROVINSI, email="sari@bps.go.id")
    return {"team": team, "head": head, "staff": staff}


def test_scheduling_queues_the_invitations_and_the_worker_delivers_them(
    make_meeting, ketua_tim, invitees, mailoutbox
):
    meeting = make_meeting(invited_staff=[invitees["staff"]])

    services.schedule_meeting(meeting, by=ketua_tim, site_url=SITE, confirm_past=True)
    assert mailoutbox == []  # nothing is sent by the request
    assert OutgoingMail.objects.filter(state=OutgoingMail.State.PENDING).count() == 5

    assert deliver_outbox().sent == 5
    assert sorted(address for m in mailoutbox for address in m.to) == [
        "andi@bps.go.id",
        "bps1702@bps.go.id",
        "bps1704@bps.go.id",
        "kepala.rl@bps.go.id",
        "sari@bps.go.id",
    ]
    assert {m.subject for m in mailoutbox} == {
        "Undangan: Rapat koordinasi tim Desa Cantik Mei 2026, 18-05-2026 09:00 WIB"
    }


def test_a_rolled_back_schedule_sends_no_mail(make_meeting, ketua_tim, invitees, mailoutbox):
    meeting = make_meeting()

    with pytest.raises(RuntimeError), transaction.atomic():
        services.schedule_meeting(meeting, by=ketua_tim, site_url=SITE, confirm_past=True)
        raise RuntimeError("something after the schedule failed")

    assert OutgoingMail.objects.count() == 0
    deliver_outbox()
    assert mailoutbox == []
    assert Meeting.objects.get(pk=meeting.pk).state == Meeting.State.DRAFT


def test_the_invitation_body_names_the_meeting_agenda_and_link(
    make_meeting, ketua_tim, invitees, mailoutbox
):
    meeting = make_meeting()

    services.schedule_meeting(meeting, by=ketua_tim, site_url=SITE, confirm_past=True)
    deliver_outbox()

    message = next(m for m in mailoutbox if m.to == ["andi@bps.go.id"])
    assert "Yth. Andi," in message.body
    assert "Senin, 18 Mei 2026" in message.body
    assert "09.00–11.00 WIB" in message.body
    assert "https://zoom.us/j/81234567890" in message.body
    assert "1. Progres pembinaan desa (Tim Provinsi), 45 menit" in message.body
    assert f"{SITE}/rapat/{meeting.pk}/" in message.body


def test_the_calendar_attachment_is_valid_icalendar(make_meeting, ketua_tim, invitees, mailoutbox):
    meeting = make_meeting()

    services.schedule_meeting(meeting, by=ketua_tim, site_url=SITE, confirm_past=True)
    deliver_outbox()

    message = next(m for m in mailoutbox if m.to == ["andi@bps.go.id"])
    part = calendar_part(message)
    assert part.get_param("method") == "REQUEST"
    assert part.get_filename() == "undangan-rapat.ics"
    raw = part.get_payload(decode=True)
    ics = raw.decode("utf-8")
    assert ics.startswith("BEGIN:VCALENDAR\r\n") and ics.endswith("END:VCALENDAR\r\n")
    assert "\n" not in ics.replace("\r\n", "")  # every line ends with CRLF
    assert all(len(line.encode()) <= 75 for line in ics.split("\r\n"))
    lines = unfold(ics)
    assert lines[lines.index("BEGIN:VEVENT") :][-2:] == ["END:VEVENT", "END:VCALENDAR"]
    props = properties(ics)
    assert props["VERSION"] == "2.0"
    assert props["METHOD"] == "REQUEST"
    assert props["PRODID"].startswith("-//Badan Pusat Statistik Provinsi Bengkulu//")
    assert props["UID"] == f"rapat-{meeting.pk}@monev.example.id"
    assert props["DTSTAMP"] == "20260518T050000Z"  # 12:00 WIB, frozen
    assert props["DTSTART"] == "20260518T020000Z"  # 09:00 WIB
    assert props["DTEND"] == "20260518T040000Z"
    assert props["SEQUENCE"] == "0"
    assert props["SUMMARY"] == "Rapat koordinasi tim Desa Cantik Mei 2026"
    assert props["LOCATION"] == "Zoom: https://zoom.us/j/81234567890"
    assert props["URL"] == "https://zoom.us/j/81234567890"
    attendee = next(line for line in lines if line.startswith("ATTENDEE"))
    assert attendee.endswith(":mailto:andi@bps.go.id") and 'CN="Andi"' in attendee


def test_long_and_special_text_is_escaped_and_folded_without_splitting_characters(
    make_meeting,
):
    meeting = make_meeting(title="Rapat; evaluasi, tindak lanjut — " + "pembinaan ü " * 10)

    ics = exports.invitation_ics(meeting, attendee=None, page_url=f"{SITE}/rapat/1/")

    assert all(len(line.encode()) <= 75 for line in ics.split("\r\n"))
    summary = properties(ics)["SUMMARY"]
    assert summary.startswith("Rapat\\; evaluasi\\, tindak lanjut — pembinaan ü")
    ics.encode("utf-8").decode("utf-8")  # folding never cut a multi-byte character


def test_changing_a_scheduled_meeting_sends_an_updated_invitation_with_a_higher_sequence(
    make_meeting, ketua_tim, invitees, mailoutbox
):
    meeting = make_meeting(Meeting.State.SCHEDULED)
    deliver_outbox()  # the first invitations
    mailoutbox.clear()
    later = datetime(2026, 5, 19, 13, tzinfo=JAKARTA)

    services.update_meeting(
        meeting,
        title=meeting.title,
        period_start=meeting.period_start,
        starts_at=later,
        ends_at=later.replace(hour=15),
        platform=meeting.platform,
        link=meeting.link,
        invited_offices=list(meeting.invited_offices.all()),
        invited_staff=[],
        agenda=[
            services.AgendaEntry(
                pk=a.pk,
                title=a.title,
                presenter=a.presenter,
                allotted_minutes=a.allotted_minutes,
            )
            for a in meeting.agenda_items.all()
        ],
        by=ketua_tim,
        site_url=SITE,
    )
    deliver_outbox()

    assert len(mailoutbox) == 4
    message = mailoutbox[0]
    assert message.subject.startswith("Perubahan jadwal: ")
    props = properties(calendar_part(message).get_payload(decode=True).decode())
    assert (props["SEQUENCE"], props["DTSTART"]) == ("1", "20260519T060000Z")


def test_a_draft_edit_sends_nothing(make_meeting, ketua_tim, invitees, mailoutbox):
    meeting = make_meeting()

    services.update_meeting(
        meeting,
        title="Judul baru",
        period_start=meeting.period_start,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        platform=meeting.platform,
        link=meeting.link,
        invited_offices=list(meeting.invited_offices.all()),
        invited_staff=[],
        agenda=[],
        by=ketua_tim,
        site_url=SITE,
    )

    assert OutgoingMail.objects.count() == 0


def test_inactive_people_and_people_of_offices_not_invited_get_no_invitation(
    make_meeting, ketua_tim, invitees, mailoutbox
):
    invitees["head"].is_active = False
    invitees["head"].save(update_fields=["is_active"])
    make_user("budi", "1701", Role.TIM_KABKOTA, email="budi@bps.go.id")
    meeting = make_meeting(invited_offices=[Office.objects.get(code="1702")])

    services.schedule_meeting(meeting, by=ketua_tim, site_url=SITE, confirm_past=True)
    deliver_outbox()

    assert sorted(m.to[0] for m in mailoutbox) == ["andi@bps.go.id", "bps1702@bps.go.id"]
    assert Membership.objects.filter(user__email="budi@bps.go.id").exists()


def test_people_who_switched_meeting_mails_off_get_no_invitation(make_meeting, ketua_tim, invitees):
    NotificationOptOut.objects.create(user=invitees["team"], kind=NotificationKind.MEETING)
    meeting = make_meeting()

    services.schedule_meeting(meeting, by=ketua_tim, site_url=SITE, confirm_past=True)

    assert sorted(OutgoingMail.objects.values_list("to", flat=True)) == [
        "bps1702@bps.go.id",
        "bps1704@bps.go.id",
        "kepala.rl@bps.go.id",
    ]
