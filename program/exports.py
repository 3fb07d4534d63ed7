"""The work plan as rows (header first) and the renderer that writes rows as an xlsx workbook.

The village workbook's columns are also the import format (services.read_work_plan)."""

from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from io import BytesIO

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from core.deadlines import Status

from .models import ParticipatingVillage, Stage, WorkPlanActivity

WORK_PLAN_COLUMNS = [
    ("number", gettext_lazy("Row no.")),
    ("stage", gettext_lazy("Stage")),
    ("name", gettext_lazy("Activity details")),
    ("pelaksana", gettext_lazy("Carried out by")),
    ("target_output", gettext_lazy("Target output")),
    ("planned_start", gettext_lazy("Planned start")),
    ("planned_end", gettext_lazy("Planned end")),
    ("realised_on", gettext_lazy("Realisation date")),
    ("realisation_output", gettext_lazy("Realisation output")),
]
STAGE_COLUMN = 2  # 1-based, in the village workbook
STAGE_INDEX = {stage.value: index for index, stage in enumerate(Stage)}
MAX_XLSX_ROWS = 1000  # rows below the header that offer the stage dropdown


def _plan_cells(activity: WorkPlanActivity) -> tuple:
    return (
        activity.get_stage_display(),
        activity.name,
        activity.pelaksana,
        activity.target_output,
        activity.planned_start,
        activity.planned_end,
        activity.realised_on,
        activity.realisation_output,
    )


def work_plan_rows(activities: Iterable[WorkPlanActivity]) -> Iterator[tuple]:
    """One village's work plan: the header, then one row per line in stage order."""
    yield tuple(str(label) for _name, label in WORK_PLAN_COLUMNS)
    ordered = sorted(
        activities, key=lambda a: (STAGE_INDEX[a.stage], a.planned_start, a.planned_end, a.pk)
    )
    for number, activity in enumerate(ordered, start=1):
        yield (number, *_plan_cells(activity))


def office_work_plan_rows(
    lines: Iterable[tuple[ParticipatingVillage, WorkPlanActivity, Status]],
) -> Iterator[tuple]:
    """Every village of an office: the header, then one row per line with its village and
    deadline status (lines come ordered from queries.office_work_plan_lines)."""
    yield (
        _("Region code"),
        _("District"),
        _("Village"),
        *(str(label) for _name, label in WORK_PLAN_COLUMNS),
        _("Status"),
    )
    number, previous = 0, None
    for village, activity, status in lines:
        number = number + 1 if village.pk == previous else 1
        previous = village.pk
        yield (
            village.village.code,
            village.village.parent.name,
            village.village.name,
            number,
            *_plan_cells(activity),
            str(Status(status).label),
        )


def render_xlsx(
    rows: Iterable[tuple], *, title: str, choices: Mapping[int, list[str]] | None = None
) -> bytes:
    """Write rows (the first is the header) to a one-sheet workbook: a bold, frozen header with
    a filter, dates as dates, and a dropdown of `choices` on the given 1-based columns."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "".join(c for c in title if c not in "[]:*?/\\")[:31] or "Sheet1"
    widths: dict[int, int] = {}
    for row in rows:
        sheet.append(row)
        for index, value in enumerate(row, start=1):
            text = value.strftime("%d-%m-%Y") if isinstance(value, date) else str(value or "")
            widths[index] = max(widths.get(index, 0), len(text))
    header_fill = PatternFill("solid", fgColor="DCE6F1")
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, date):
                cell.number_format = "DD-MM-YYYY"
    for index, width in widths.items():
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)
    sheet.freeze_panes = "A2"
    if sheet.max_row > 1:
        sheet.auto_filter.ref = sheet.dimensions
    for column, options in (choices or {}).items():
        letter = get_column_letter(column)
        validation = DataValidation(
            type="list",
            formula1='"{}"'.format(",".join(options)),
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=_("Unknown value"),
            error=_("Choose one of the values in the list."),
        )
        validation.add(f"{letter}2:{letter}{max(sheet.max_row, MAX_XLSX_ROWS)}")
        sheet.add_data_validation(validation)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def stage_choices() -> list[str]:
    return [str(stage.label) for stage in Stage]


def village_work_plan_xlsx(village: ParticipatingVillage) -> bytes:
    return render_xlsx(
        work_plan_rows(village.activities.all()),
        title=village.village.name,
        choices={STAGE_COLUMN: stage_choices()},
    )


def office_work_plan_xlsx(office_name: str, lines) -> bytes:
    return render_xlsx(
        office_work_plan_rows(lines),
        title=office_name,
        choices={STAGE_COLUMN + 3: stage_choices()},
    )
