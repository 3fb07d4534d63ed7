"""The recap as rows (header first) and its two renderers: xlsx and PDF.

Rows carry only what the reader may see: `recap_rows` takes a `RecapView`, which already holds
only the visible offices' rows (and the province totals only for province readers)."""

import io
from collections.abc import Iterator

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .figures import Dashboard, Rag, activity_label, rag_legend
from .queries import RecapLine, RecapView, period_label

RAG_FILLS = {Rag.RED: "F8D7DA", Rag.AMBER: "FFF3CD", Rag.GREEN: "D1E7DD"}


def recap_activities(view: RecapView) -> list[str]:
    return Dashboard.activities_of([line.row for line in view.lines], view.dashboard.activities)


def _office_name(line: RecapLine) -> str:
    if line.row.is_total:
        return _("Total of regencies/cities")
    if line.row.is_province:
        return _("%(office)s (own SOP items)") % {"office": line.row.office_name}
    return line.row.office_name


def recap_rows(view: RecapView) -> Iterator[list]:
    """Header, then one row per visible office, then the province total (province readers).
    Percentages are numbers (None where nothing is due yet); trends in percentage points."""
    activities = recap_activities(view)
    header = [_("No."), _("BPS regency/city"), _("Villages")]
    for code in activities:
        label = activity_label(code)
        header += [
            _("%(activity)s: done/expected") % {"activity": label},
            _("%(activity)s: completeness (%%)") % {"activity": label},
            _("%(activity)s: timeliness (%%)") % {"activity": label},
        ]
    header += [
        _("Open items"),
        _("Overdue"),
        _("Completeness (%)"),
        _("Change (pp)"),
        _("Timeliness (%)"),
        _("Change (pp)"),
        _("Status"),
    ]
    yield header
    lines = list(view.lines) + ([view.totals] if view.totals else [])
    for number, line in enumerate(lines, start=1):
        row = line.row
        cells = [
            "" if row.is_total else number,
            _office_name(line),
            "" if row.is_province else row.villages,
        ]
        for code in activities:
            f = row.activity(code)
            # An office with no item of an activity (the recap is the province's own) shows a
            # dash rather than a misleading 0/0.
            cells += [f"{f.done}/{f.expected}" if f.total else "—", f.completeness, f.timeliness]
        cells += [
            row.total.open,
            row.total.overdue,
            row.total.completeness,
            line.trend["completeness"],
            row.total.timeliness,
            line.trend["timeliness"],
            str(Rag(row.rag).label),
        ]
        yield cells


def recap_title(view: RecapView) -> str:
    recap = view.recap
    return _("%(title)s %(year)s, %(period)s") % {
        "title": _("Desa Cantik Monitoring Progress Recap"),
        "year": recap.program_year.year,
        "period": period_label(recap.period, recap.period_start, recap.period_end),
    }


def recap_filename(view: RecapView, extension: str) -> str:
    recap = view.recap
    return f"rekap-progres-{recap.program_year.year}-periode-{recap.period}.{extension}"


def render_xlsx(view: RecapView) -> bytes:
    """The rows on a first sheet (header bold, frozen, RAG coloured); title, state and narrative
    on a second."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Recap")
    rows = list(recap_rows(view))
    for row in rows:
        sheet.append(row)
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    status_column = len(rows[0])
    lines = list(view.lines) + ([view.totals] if view.totals else [])
    for index, line in enumerate(lines, start=2):
        cell = sheet.cell(row=index, column=status_column)
        cell.fill = PatternFill("solid", fgColor=RAG_FILLS[Rag(line.row.rag)])
        if line.row.is_total:
            for total_cell in sheet[index]:
                total_cell.font = bold
    sheet.freeze_panes = "C2"
    for column in range(1, status_column + 1):
        sheet.column_dimensions[get_column_letter(column)].width = 30 if column == 2 else 14
    info = workbook.create_sheet(_("Information"))
    recap = view.recap
    info.append([settings.ORGANISATION_NAME.upper()])
    info.append([recap_title(view)])
    info.append([_("State"), recap.get_state_display()])
    info.append(
        [
            _("Figures as of"),
            date_format(timezone.localtime(view.dashboard.as_of), "DATETIME_FORMAT"),
        ]
    )
    info.append([_("Generated by"), str(recap.generated_by)])
    if recap.is_signed_off:
        info.append([_("Signed off by"), str(recap.signed_by)])
        info.append(
            [_("Signed off on"), date_format(timezone.localtime(recap.signed_at), "DATE_FORMAT")]
        )
    info.append([_("Narrative"), recap.narrative])
    info["A1"].font = info["A2"].font = bold
    info.column_dimensions["A"].width = 22
    info.column_dimensions["B"].width = 100
    info.cell(row=info.max_row, column=2).alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def render_pdf_html(view: RecapView) -> str:
    rows = list(recap_rows(view))
    lines = list(view.lines) + ([view.totals] if view.totals else [])
    return render_to_string(
        "monitoring/recap_pdf.html",
        {
            "view": view,
            "recap": view.recap,
            "letterhead": settings.ORGANISATION_NAME.upper(),
            "title": _("Desa Cantik Monitoring Progress Recap"),
            "period": period_label(
                view.recap.period, view.recap.period_start, view.recap.period_end
            ),
            "header": rows[0],
            "body": list(zip(rows[1:], lines, strict=True)),
            "province": view.recap.program_year.province,
            "legend": rag_legend(),
            "language": get_language() or "id",
        },
    )


def render_pdf(view: RecapView) -> bytes:
    """A4 landscape: letterhead, title, period, the table, the narrative and the signature
    block of the head of the province office (with the name once signed off)."""
    from weasyprint import CSS, HTML  # imported here: it is slow to load and only PDFs need it

    stylesheet = CSS(string=render_to_string("monitoring/recap_pdf.css"))
    html = HTML(string=render_pdf_html(view), base_url=str(settings.BASE_DIR))
    return html.write_pdf(stylesheets=[stylesheet])
