"""Files made from meetings: the .ics invitation, the Laporan rapat (PDF and DOCX), the
attendance list (PDF) and the action item list (xlsx). Rows and facts are gathered once; each
renderer only writes bytes."""

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from urllib.parse import urlparse

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from core.docx import DocxWriter
from core.mail import Attachment as MailAttachment
from core.pdf import render_pdf
from core.xlsx import write_xlsx

from .models import ActionItem, Meeting

# --- iCalendar (RFC 5545) ------------------------------------------------------------------------


def _ics_text(value: str) -> str:
    """Escape a TEXT value (RFC 5545 3.3.11)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _ics_param(value: str) -> str:
    """A quoted parameter value (no DQUOTE allowed inside)."""
    return '"' + value.replace('"', "'") + '"'


def _ics_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 3.1), never inside a UTF-8 character."""
    parts, current, limit = [], b"", 75
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > limit:
            parts.append(current)
            current, limit = b"", 74  # a continuation line starts with one space
        current += encoded
    parts.append(current)
    return "\r\n ".join(part.decode() for part in parts)


def invitation_ics(
    meeting: Meeting,
    *,
    attendee: tuple[str, str] | None,
    page_url: str,
    method: str = "REQUEST",
    now: datetime | None = None,
) -> str:
    """A calendar with one VEVENT for the meeting, times in UTC: METHOD:REQUEST (an invitation
    or its update) or METHOD:CANCEL (STATUS:CANCELLED, for a cancelled meeting). The UID is
    stable per meeting and SEQUENCE rises with every update and the cancellation, so a
    calendar replaces or removes the event instead of adding a second one."""
    host = urlparse(page_url).hostname or "monev-desacantik"
    organiser = settings.DEFAULT_FROM_EMAIL
    agenda = [
        f"{item.position}. {item.title}"
        + (f" ({item.presenter})" if item.presenter else "")
        + f" – {item.allotted_minutes} {_('min')}"
        for item in meeting.agenda_items.all()
    ]
    description = "\n".join(
        [_("Agenda:"), *agenda, "", _("Meeting link: %(link)s") % {"link": meeting.link}, page_url]
    )
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:-//{_ics_text(settings.ORGANISATION_NAME)}//Monev Desa Cantik//ID",
        "CALSCALE:GREGORIAN",
        f"METHOD:{method}",
        "BEGIN:VEVENT",
        f"UID:rapat-{meeting.pk}@{host}",
        f"DTSTAMP:{_ics_time(now or timezone.now())}",
        f"SEQUENCE:{meeting.invitation_sequence}",
        f"DTSTART:{_ics_time(meeting.starts_at)}",
        f"DTEND:{_ics_time(meeting.ends_at)}",
        f"SUMMARY:{_ics_text(meeting.title)}",
        f"LOCATION:{_ics_text(f'{meeting.get_platform_display()}: {meeting.link}')}",
        f"URL:{meeting.link}",
        f"DESCRIPTION:{_ics_text(description)}",
        f"ORGANIZER;CN={_ics_param(meeting.program_year.province.organisation_name)}"
        f":mailto:{organiser}",
    ]
    if attendee:
        name, address = attendee
        lines.append(
            f"ATTENDEE;CN={_ics_param(name)};ROLE=REQ-PARTICIPANT;"
            f"PARTSTAT=NEEDS-ACTION;RSVP=FALSE:mailto:{address}"
        )
    status = "CANCELLED" if method == "CANCEL" else "CONFIRMED"
    lines += [f"STATUS:{status}", "TRANSP:OPAQUE", "END:VEVENT", "END:VCALENDAR"]
    return "".join(fold(line) + "\r\n" for line in lines)


def invitation_attachment(ics: str, *, method: str = "REQUEST") -> MailAttachment:
    """The .ics as a text/calendar attachment of an outbox mail (the method parameter tells
    mail clients to offer accept/decline, or to remove the event for CANCEL)."""
    filename = "batal-rapat.ics" if method == "CANCEL" else "undangan-rapat.ics"
    return MailAttachment(filename, ics, "text/calendar", params=(("method", method),))


# --- the Laporan rapat ---------------------------------------------------------------------------


def _document(record: dict) -> dict:
    """A meeting record (queries.meeting_record_for: what the viewer may see) with the
    letterhead: the province office holding the meeting."""
    return {
        **record,
        "letterhead_office": record["meeting"].program_year.province,
        "letterhead_unit": _("Desa Cantik coaching team"),
    }


def report_pdf(record: dict) -> bytes:
    """The Laporan rapat of a meeting record (queries.meeting_record_for) as a printable A4
    PDF."""
    return render_pdf("meetings/pdf/report.html", _document(record))


def attendance_pdf(record: dict) -> bytes:
    """The attendance list (daftar hadir) of a meeting record as a printable A4 PDF: one row
    per person who attended, with a signature column, then the offices not present."""
    people = [
        (name, row["office"])
        for row in record["attendance"]
        if row["present"]
        for name in row["attendees"]
    ]
    return render_pdf("meetings/pdf/attendance.html", {**_document(record), "people": people})


def report_docx(record: dict) -> bytes:
    """The Laporan rapat of a meeting record as an editable DOCX with the same content as the
    PDF."""
    c = _document(record)
    meeting = c["meeting"]
    doc = DocxWriter()
    doc.letterhead(c["letterhead_office"], c["letterhead_unit"])
    doc.paragraph(_("MEETING REPORT"), bold=True, size=14, align="center")
    if not c["is_final"]:
        doc.paragraph(_("DRAFT — the meeting has not been closed yet"), bold=True, align="center")
    number = meeting.report_number if c["is_final"] and meeting.report_number else "……………………"
    doc.paragraph(_("Number: %(number)s") % {"number": number}, align="center")
    doc.paragraph(meeting.title, bold=True, size=12, align="center")

    doc.heading(_("Meeting facts"), level=2)
    doc.facts(
        [
            (_("Day, date"), c["date_text"]),
            (_("Time"), c["time_text"]),
            (_("Platform"), f"{meeting.get_platform_display()} — {meeting.link}"),
            (_("Period"), c["period"]),
            (
                _("Attendance"),
                _("%(present)s of %(invited)s invited offices present")
                % {"present": c["present_count"], "invited": c["invited_count"]},
            ),
        ]
    )

    doc.heading(_("Agenda"), level=2)
    doc.table(
        [_("No."), _("Agenda item"), _("Presenter"), _("Duration (min)")],
        [[i.position, i.title, i.presenter or "—", i.allotted_minutes] for i in c["agenda"]],
    )

    doc.heading(_("Attendance"), level=2)
    doc.table(
        [_("No."), _("Office"), _("Attendance"), _("Who attended"), _("Note")],
        [
            [
                row["number"],
                row["office"].name,
                row["status"],
                "\n".join(row["attendees"]) or "—",
                row["note"] or "—",
            ]
            for row in c["attendance"]
        ],
    )
    if c["staff"]:
        doc.paragraph(
            _("Province staff invited: %(names)s.")
            % {"names": ", ".join(u.get_full_name() for u in c["staff"])}
        )

    doc.heading(_("Minutes"), level=2)
    for item in c["agenda"]:
        doc.heading(f"{item.position}. {item.title}", level=3)
        doc.lines(item.minutes, empty=_("No minutes recorded."))

    doc.heading(_("Decisions"), level=2)
    if c["decisions"]:
        doc.bullets(c["decisions"], numbered=True)
    else:
        doc.paragraph(_("No decisions recorded."))

    doc.heading(_("Action items"), level=2)
    if c["action_items"]:
        doc.table(
            [_("No."), _("Action item"), _("Owner"), _("Due date"), _("Status")],
            [
                [
                    number,
                    item.description,
                    item.owner_office.name,
                    formats.date_format(item.due_date, "DATE_FORMAT"),
                    item.get_state_display(),
                ]
                for number, item in enumerate(c["action_items"], start=1)
            ],
        )
    else:
        doc.paragraph(_("No action items."))

    doc.signature_block(
        c["place"],
        c["signed_on"],
        c["signers"],
    )
    return doc.to_bytes()


def report_filename(meeting: Meeting, kind: str, extension: str) -> str:
    return f"{kind}-{meeting.local_start:%Y-%m-%d}-{meeting.pk}.{extension}"


# --- the action item list ------------------------------------------------------------------------


def action_item_rows(items: Iterable[ActionItem]) -> Iterator[list]:
    """The action item list, header first. `items` carry `tracked` (queries.with_statuses)."""
    yield [
        _("Meeting"),
        _("Meeting date"),
        _("Owner"),
        _("Action item"),
        _("Due date"),
        _("Status"),
        _("Deadline status"),
        _("Marked done at"),
        _("Completion note"),
        _("Confirmed at"),
    ]
    for item in items:
        yield [
            item.meeting.title,
            item.meeting.local_start.date(),
            item.owner_office.name,
            item.description,
            item.due_date,
            str(item.get_state_display()),
            str(item.tracked.label),
            item.done_at,
            item.done_note,
            item.confirmed_at,
        ]


def action_items_xlsx(items: Iterable[ActionItem], *, title: str) -> bytes:
    return write_xlsx([(title, action_item_rows(items))], wrap=True)
