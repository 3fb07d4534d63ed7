"""Exports of the reports: functions that yield rows (header first) or gather a document's
content, and one renderer per format (xlsx, PDF through WeasyPrint, DOCX through python-docx).
Views only authorise, filter and return the bytes."""

import io
import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from core.deadlines import Status

from .models import ReportKind, ReportState
from .queries import NOT_STARTED, FinalDraft, NeedsTable, ReportRow, display_value

PDF_CSS = Path(__file__).parent / "templates" / "reports" / "pdf" / "document.css"


# --- rows -----------------------------------------------------------------------------------------


def state_label(state: str) -> str:
    return str(_("Not started")) if state == NOT_STARTED else str(ReportState(state).label)


def report_list_rows(rows: Iterable[ReportRow], kind: str) -> Iterator[list]:
    """The report list of one kind: a line per village, header first."""
    yield [
        _("No."),
        _("BPS regency/city"),
        _("District"),
        _("Village"),
        _("Region code"),
        _("State"),
        _("Anchor date"),
        _("Due"),
        _("First submitted"),
        _("Timeliness"),
        _("Extension until"),
        _("Last action"),
        _("By"),
        _("At"),
    ]
    for number, row in enumerate(rows, start=1):
        report = row.report
        yield [
            number,
            row.village.office.short_name,
            row.village.village.parent.name,
            row.village.village.name,
            row.village.village.code,
            state_label(row.state),
            report.anchor_date if report else None,
            row.deadline.due.date() if row.deadline.due else None,
            row.deadline.done_at,
            str(Status(row.deadline.status).label),
            row.deadline.extended_until,
            report.get_last_action_display() if report else "",
            str(report.last_action_by) if report else "",
            report.last_action_at if report else None,
        ]


def needs_topic_rows(table: NeedsTable) -> Iterator[list]:
    """Per topic: how many villages need data (1001a) and activities (1001b), and which."""
    yield [
        _("Topic"),
        _("Villages needing data (1001a)"),
        _("Which villages (1001a)"),
        _("Data needed (1001a)"),
        _("Villages needing statistical activities (1001b)"),
        _("Which villages (1001b)"),
        _("Activities needed (1001b)"),
    ]
    for row in table.topics:
        yield [
            row.label,
            len(row.data_villages),
            "; ".join(row.data_villages),
            "; ".join(row.data_items),
            len(row.activity_villages),
            "; ".join(row.activity_villages),
            "; ".join(row.activity_items),
        ]


def coaching_rows(table: NeedsTable) -> Iterator[list]:
    """Per kab/kota: villages with a report, and how many answered Yes to each of 1002a–e."""
    yield [_("BPS regency/city"), _("Villages reported"), *table.coaching_labels]
    for row in table.coaching:
        yield [row.office.short_name, row.answered, *row.yes]
    yield [_("Total"), table.answered_total, *table.coaching_total]


# --- renderers ------------------------------------------------------------------------------------


def _cell_value(value):
    if isinstance(value, datetime):
        # Spreadsheets hold no time zone: write Jakarta wall time.
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def render_xlsx(sheets: Iterable[tuple[str, Iterable[list]]]) -> bytes:
    """One worksheet per (title, rows); the first row is the header, in bold and frozen."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    for title, rows in sheets:
        # Excel forbids some characters in sheet names ("Sosialisasi/pencanangan").
        sheet = workbook.create_sheet(title=re.sub(r"[\\/*?:\[\]]", "-", str(title))[:31])
        sheet.freeze_panes = "A2"
        rows = iter(rows)
        header = next(rows)
        for index, name in enumerate(header, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = max(
                10, min(45, len(str(name)) + 4)
            )
        cells = []
        for name in header:
            cell = WriteOnlyCell(sheet, value=str(name))
            cell.font = Font(bold=True)
            cells.append(cell)
        sheet.append(cells)
        for row in rows:
            values = []
            for value in row:
                value = _cell_value(value)
                cell = WriteOnlyCell(sheet, value=value)
                if isinstance(value, datetime):
                    cell.number_format = "dd-mm-yyyy hh:mm"
                elif isinstance(value, date):
                    cell.number_format = "dd-mm-yyyy"
                values.append(cell)
            sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def render_pdf(template: str, context: dict) -> bytes:
    """An HTML template laid out by WeasyPrint with the documents' stylesheet."""
    import weasyprint

    html = render_to_string(template, context)
    return weasyprint.HTML(string=html).write_pdf(
        stylesheets=[weasyprint.CSS(filename=str(PDF_CSS))]
    )


def pdf_context(**context) -> dict:
    return {
        "ORGANISATION_NAME": settings.ORGANISATION_NAME,
        "printed_at": timezone.now(),
        **context,
    }


# --- the final report draft as DOCX -------------------------------------------------------------


def _date(value) -> str:
    return formats.date_format(value, "DATE_FORMAT") if value else "—"


def _table(document, header: list[str], rows: list[list[str]]):
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(str(text)).bold = True
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = str(text)
    return table


def _to_fill(document, text: str) -> None:
    paragraph = document.add_paragraph()
    run = paragraph.add_run(f"[{text}]")
    run.italic = True


def final_draft_sections(draft: FinalDraft) -> dict:
    """The texts of the draft shared by the DOCX and the PDF (and the page's preview)."""
    village = draft.village
    region = village.village
    kind_word = _("Kelurahan") if region.is_kelurahan else _("Desa")
    return {
        "title": _("Final report on Desa Cantik coaching"),
        "village_title": f"{kind_word} {region.name}",
        "subtitle": _("%(office)s · program year %(year)s")
        % {"office": village.office.name, "year": village.program_year.year},
        "background": _(
            "Desa Cinta Statistik (Desa Cantik) is a BPS programme that coaches villages to "
            "manage and use their own data. In %(year)s %(office)s coached %(kind)s %(village)s "
            "as a %(vkind)s village."
        )
        % {
            "year": village.program_year.year,
            "office": village.office.name,
            "kind": kind_word,
            "village": region.name,
            "vkind": village.get_kind_display().lower(),
        },
        "overview": [
            (_("Village"), f"{kind_word} {region.name}"),
            (_("Region code"), region.code),
            (_("District"), region.parent.name),
            (_("BPS regency/city"), village.office.name),
            (_("Kind of participation"), village.get_kind_display()),
            (_("Program year"), str(village.program_year.year)),
        ],
    }


def final_draft_docx(draft: FinalDraft) -> bytes:
    """The Laporan akhir draft as an editable Word document, following the outline in
    reference/domain.md. What the system cannot know (problems, conclusions) is left as a
    clearly marked place to write; the LKE results are marked as not yet available."""
    from docx import Document

    texts = final_draft_sections(draft)
    document = Document()
    document.add_heading(f"{texts['title']}\n{texts['village_title']}", level=0)
    document.add_paragraph(texts["subtitle"])

    document.add_heading(_("I. Introduction"), level=1)
    document.add_heading(_("A. Background"), level=2)
    document.add_paragraph(texts["background"])
    document.add_heading(_("B. Overview of the village"), level=2)
    _table(document, [_("Item"), _("Value")], [list(map(str, r)) for r in texts["overview"]])
    document.add_heading(_("C. Governance"), level=2)
    document.add_paragraph(_("Coaching team (pembina):"))
    if draft.pembina:
        _table(
            document,
            [_("No."), _("Name"), _("NIP")],
            [[str(i), p.get_full_name(), p.nip or "—"] for i, p in enumerate(draft.pembina, 1)],
        )
    else:
        _to_fill(document, _("No pembina recorded in the system yet"))
    document.add_paragraph(_("Agen statistik (from the sosialisasi/pencanangan report):"))
    if draft.agents:
        _table(
            document,
            [_("No."), _("Name"), _("Position"), _("Village official"), _("SK")],
            [
                [
                    str(i),
                    a.name,
                    a.role or "—",
                    _("Yes") if a.is_village_official else _("No"),
                    " ".join(x for x in (a.sk_number, _date(a.sk_date) if a.sk_date else "") if x)
                    or "—",
                ]
                for i, a in enumerate(draft.agents, 1)
            ],
        )
    else:
        _to_fill(document, _("No agen statistik recorded in the system yet"))

    document.add_heading(_("II. Preparation"), level=1)
    document.add_heading(_("A. Sosialisasi/pencanangan"), level=2)
    sos = draft.sosialisasi
    if sos is not None:
        _table(
            document,
            [_("Item"), _("Value")],
            [
                [_("Date"), _date(sos.anchor_date)],
                [_("Place"), sos.place or "—"],
                [_("Number of attendees"), str(sos.attendance_count or "—")],
                [_("Notable attendees"), sos.notable_attendees or "—"],
                [_("Commitment charter signed"), display_value(sos.charter_signed)],
                [_("Report state"), str(sos.get_state_display())],
            ],
        )
    else:
        _to_fill(document, _("The sosialisasi/pencanangan report has not been made yet"))
    document.add_heading(_("B. Activity design"), level=2)
    plan = draft.preparation
    if plan:
        _table(
            document,
            [_("No."), _("Activity"), _("Planned"), _("Target output")],
            [
                [
                    str(i),
                    a.name,
                    f"{_date(a.planned_start)} – {_date(a.planned_end)}",
                    a.target_output or "—",
                ]
                for i, a in enumerate(plan, 1)
            ],
        )
    else:
        _to_fill(document, _("No preparation activities in the work plan"))
    _to_fill(document, _("Describe the training and the budget here"))

    document.add_heading(_("III. Coaching and mentoring"), level=1)
    document.add_heading(_("A. Realisation matrix"), level=2)
    if draft.activities:
        _table(
            document,
            [_("Row no."), _("Activity detail"), _("Carried out by"), _("Output")],
            [
                [
                    str(i),
                    f"{a.name} ({_date(a.realised_on)})"
                    if a.realised_on
                    else f"{a.name} ({_('not realised yet')})",
                    a.pelaksana or "—",
                    a.realisation_output or a.target_output or "—",
                ]
                for i, a in enumerate(draft.activities, 1)
            ],
        )
    else:
        _to_fill(document, _("The work plan has no activities yet"))
    document.add_heading(_("B. Identification of data needs"), level=2)
    idn = draft.identifikasi
    if idn is not None:
        document.add_paragraph(
            _("Visit on %(date)s; respondent: %(name)s (%(position)s).")
            % {
                "date": _date(idn.anchor_date),
                "name": idn.respondent_name or "—",
                "position": idn.respondent_position or "—",
            }
        )
        document.add_paragraph(_("1001a Data needed:"))
        for need in draft.data_needs:
            document.add_paragraph(
                f"{need.description} ({need.get_topic_display()})", style="List Bullet"
            )
        document.add_paragraph(_("1001b Statistical activities needed:"))
        for need in draft.activity_needs:
            document.add_paragraph(
                f"{need.description} ({need.get_topic_display()})", style="List Bullet"
            )
        _table(
            document,
            [_("Coaching needed"), _("Answer")],
            [[label, display_value(value)] for label, value in draft.coaching],
        )
    else:
        _to_fill(document, _("The identification report has not been made yet"))
    document.add_heading(_("C. Outputs"), level=2)
    if draft.outputs:
        for output, produced in draft.outputs:
            mark = _("produced") if produced else _("planned")
            document.add_paragraph(f"{output} ({mark})", style="List Bullet")
    else:
        _to_fill(document, _("No outputs listed in the work plan"))
    document.add_heading(_("D. LKE assessment results"), level=2)
    if draft.lke:
        document.add_paragraph(f"{draft.lke['instrument']} · {draft.lke['status']}")
        for label, total, aspects in draft.lke["levels"]:
            _table(
                document,
                [label, _("Score (0–100)")],
                [[_("Total"), display_value(total)]]
                + [[name, display_value(score)] for name, score in aspects],
            )
    else:
        document.add_paragraph(_("LKE assessment results: not available yet."))

    document.add_heading(_("IV. Closing"), level=1)
    document.add_heading(_("A. Problems and solutions"), level=2)
    _table(document, [_("Row no."), _("Problem"), _("Solution")], [["1", "", ""], ["2", "", ""]])
    document.add_heading(_("B. Conclusions"), level=2)
    _to_fill(document, _("To be written by the BPS regency/city"))

    document.add_heading(_("Appendix"), level=1)
    if draft.appendix:
        _table(document, [_("Report"), _("Document"), _("File")], [list(r) for r in draft.appendix])
    else:
        _to_fill(document, _("No documents uploaded yet"))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def final_draft_pdf(draft: FinalDraft) -> bytes:
    return render_pdf(
        "reports/pdf/final_draft.html",
        pdf_context(draft=draft, texts=final_draft_sections(draft), kind=ReportKind.LAPORAN_AKHIR),
    )
