"""Files made from meetings: the .ics invitation, the Laporan rapat (PDF and DOCX), the
attendance list (PDF) and the action item list (xlsx). Rows and facts are gathered once; each
renderer only writes bytes."""

import io
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from urllib.parse import urlparse

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from core.deadlines import JAKARTA
from core.mail import Attachment as MailAttachment

from .models import ActionItem, Attendance, Meeting
from .queries import meeting_periods, period_label

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
    now: datetime | None = None,
) -> str:
    """A METHOD:REQUEST calendar with one VEVENT for the meeting, times in UTC. The UID is
    stable per meeting and SEQUENCE rises with every update, so a calendar replaces the event
    instead of adding a second one."""
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
        "METHOD:REQUEST",
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
        f"ORGANIZER;CN={_ics_param(settings.ORGANISATION_NAME)}:mailto:{organiser}",
    ]
    if attendee:
        name, address = attendee
        lines.append(
            f"ATTENDEE;CN={_ics_param(name)};ROLE=REQ-PARTICIPANT;"
            f"PARTSTAT=NEEDS-ACTION;RSVP=FALSE:mailto:{address}"
        )
    lines += ["STATUS:CONFIRMED", "TRANSP:OPAQUE", "END:VEVENT", "END:VCALENDAR"]
    return "".join(fold(line) + "\r\n" for line in lines)


def invitation_attachment(ics: str, *, method: str = "REQUEST") -> MailAttachment:
    """The .ics as a text/calendar attachment of an outbox mail (the method parameter tells
    mail clients to offer accept/decline, or to remove the event for CANCEL)."""
    filename = "batal-rapat.ics" if method == "CANCEL" else "undangan-rapat.ics"
    return MailAttachment(filename, ics, "text/calendar", params=(("method", method),))


# --- the Laporan rapat ---------------------------------------------------------------------------


def _attendance_rows(meeting: Meeting) -> list[dict]:
    recorded = {a.office_id: a for a in meeting.attendances.all()}
    rows = []
    for number, office in enumerate(meeting.invited_offices.order_by("code"), start=1):
        row = recorded.get(office.pk)
        rows.append(
            {
                "number": number,
                "office": office,
                "status": row.get_status_display() if row else _("Not recorded"),
                "code": row.status if row else "",
                "present": bool(row and row.status == Attendance.Status.HADIR),
                "attendees": row.attendee_list if row else [],
                "note": row.note if row else "",
            }
        )
    return rows


def report_context(meeting: Meeting) -> dict:
    """Everything the Laporan rapat and the attendance list print, gathered once."""
    province = meeting.program_year.province
    attendance = _attendance_rows(meeting)
    present = sum(1 for row in attendance if row["present"])
    signed_on = (meeting.closed_at or meeting.held_at or timezone.now()).astimezone(JAKARTA)
    return {
        "meeting": meeting,
        "organisation": settings.ORGANISATION_NAME,
        "province": province,
        "place": province.region.display_name,
        "agenda": list(meeting.agenda_items.all()),
        "attendance": attendance,
        "present_count": present,
        "missing_count": sum(1 for row in attendance if not row["code"]),
        "invited_count": len(attendance),
        "staff": list(meeting.invited_staff.order_by("full_name", "username")),
        "decisions": meeting.decision_list,
        "action_items": list(
            meeting.action_items.select_related("owner_office").order_by("due_date", "id")
        ),
        "is_final": meeting.state == Meeting.State.CLOSED,
        "recorder": meeting.held_by,
        "approver": meeting.closed_by,
        "signed_on": signed_on.date(),
        "date_text": formats.date_format(meeting.local_start, "l, j F Y"),
        "time_text": f"{meeting.local_start:%H.%M}–{meeting.local_end:%H.%M} WIB",
        "period": _period_text(meeting),
    }


def _pdf(template: str, context: dict) -> bytes:
    from weasyprint import CSS, HTML  # imported here: loading it takes a moment

    html = render_to_string(template, context)
    css = render_to_string("meetings/pdf/document.css", context)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(
        stylesheets=[CSS(string=css)]
    )


def report_pdf(meeting: Meeting) -> bytes:
    """The Laporan rapat as a printable A4 PDF."""
    return _pdf("meetings/pdf/report.html", report_context(meeting))


def attendance_pdf(meeting: Meeting) -> bytes:
    """The attendance list (daftar hadir) as a printable A4 PDF."""
    return _pdf("meetings/pdf/attendance.html", report_context(meeting))


def report_docx(meeting: Meeting) -> bytes:
    """The Laporan rapat as an editable DOCX with the same content as the PDF."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    c = report_context(meeting)
    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2.2))
    document.styles["Normal"].font.name = "Arial"
    document.styles["Normal"].font.size = Pt(10.5)

    def centred(text: str, *, bold=False, size=None):
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = paragraph.add_run(text)
        run.bold = bold
        if size:
            run.font.size = Pt(size)
        return paragraph

    def table(header: list[str], rows: list[list[str]]):
        grid = document.add_table(rows=1, cols=len(header))
        grid.style = "Table Grid"
        for cell, text in zip(grid.rows[0].cells, header, strict=True):
            cell.text = ""
            cell.paragraphs[0].add_run(text).bold = True
        for row in rows:
            for cell, text in zip(grid.add_row().cells, row, strict=True):
                cell.text = text
        return grid

    centred(c["organisation"].upper(), bold=True, size=13)
    centred(_("Desa Cantik coaching team"), size=10)
    document.add_paragraph()
    centred(_("MEETING REPORT"), bold=True, size=14)
    if not c["is_final"]:
        centred(_("DRAFT — the meeting has not been closed yet"), bold=True)
    centred(meeting.title, bold=True, size=12)

    document.add_heading(_("Meeting facts"), level=2)
    facts = [
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
    grid = document.add_table(rows=0, cols=2)
    for label, value in facts:
        cells = grid.add_row().cells
        cells[0].text, cells[1].text = label, value
        cells[0].width, cells[1].width = Cm(4), Cm(12.5)

    document.add_heading(_("Agenda"), level=2)
    table(
        [_("No."), _("Agenda item"), _("Presenter"), _("Duration (min)")],
        [
            [str(i.position), i.title, i.presenter or "—", str(i.allotted_minutes)]
            for i in c["agenda"]
        ],
    )

    document.add_heading(_("Attendance"), level=2)
    table(
        [_("No."), _("Office"), _("Attendance"), _("Who attended"), _("Note")],
        [
            [
                str(row["number"]),
                row["office"].name,
                row["status"],
                "\n".join(row["attendees"]) or "—",
                row["note"] or "—",
            ]
            for row in c["attendance"]
        ],
    )
    if c["staff"]:
        document.add_paragraph(
            _("Province staff invited: %(names)s.")
            % {"names": ", ".join(u.get_full_name() for u in c["staff"])}
        )

    document.add_heading(_("Minutes"), level=2)
    for item in c["agenda"]:
        document.add_paragraph(f"{item.position}. {item.title}", style="Heading 3")
        for line in (item.minutes or _("No minutes recorded.")).splitlines():
            document.add_paragraph(line)

    document.add_heading(_("Decisions"), level=2)
    if c["decisions"]:
        for decision in c["decisions"]:
            document.add_paragraph(decision, style="List Number")
    else:
        document.add_paragraph(_("No decisions recorded."))

    document.add_heading(_("Action items"), level=2)
    if c["action_items"]:
        table(
            [_("No."), _("Action item"), _("Owner"), _("Due date"), _("Status")],
            [
                [
                    str(number),
                    item.description,
                    item.owner_office.name,
                    formats.date_format(item.due_date, "DATE_FORMAT"),
                    item.get_state_display(),
                ]
                for number, item in enumerate(c["action_items"], start=1)
            ],
        )
    else:
        document.add_paragraph(_("No action items."))

    document.add_paragraph()
    signed = document.add_paragraph(
        f"{c['place']}, {formats.date_format(c['signed_on'], 'DATE_FORMAT')}"
    )
    signed.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    signatures = document.add_table(rows=3, cols=2)
    signatures.rows[0].cells[0].text = _("Recorder (notulis)")
    signatures.rows[0].cells[1].text = _("Approved by, team lead")
    signatures.rows[1].cells[0].text = "\n\n\n"
    signatures.rows[2].cells[0].text = _signature_name(c["recorder"])
    signatures.rows[2].cells[1].text = _signature_name(c["approver"])
    for row in signatures.rows:
        for cell in row.cells:
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _signature_name(user) -> str:
    if user is None:
        return "(" + "." * 40 + ")"
    text = user.get_full_name()
    return f"{text}\nNIP {user.nip}" if user.nip else text


def _period_text(meeting: Meeting) -> str:
    for start, end in meeting_periods(meeting.program_year):
        if start == meeting.period_start:
            return period_label(start, end)
    return formats.date_format(meeting.period_start, "F Y")


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
            item.done_at.astimezone(JAKARTA).replace(tzinfo=None) if item.done_at else None,
            item.done_note,
            item.confirmed_at.astimezone(JAKARTA).replace(tzinfo=None)
            if item.confirmed_at
            else None,
        ]


def render_xlsx(rows: Iterable[list], *, title: str) -> bytes:
    """One sheet: a bold, frozen header row, dates as Excel dates, sensible column widths."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    widths: dict[int, int] = {}
    for row in rows:
        sheet.append(row)
        for index, value in enumerate(row, start=1):
            widths[index] = max(widths.get(index, 0), min(len(str(value or "")), 60))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column in sheet.iter_cols(min_row=2):
        for cell in column:
            if isinstance(cell.value, datetime):
                cell.number_format = "dd-mm-yyyy hh:mm"
            elif hasattr(cell.value, "isoformat"):
                cell.number_format = "dd-mm-yyyy"
            cell.alignment = Alignment(vertical="top", wrap_text=isinstance(cell.value, str))
    for index, width in widths.items():
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = width + 2
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
