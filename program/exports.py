"""The work plan as rows (header first), written as xlsx by core.xlsx.

The village workbook's columns are also the import format (services.read_work_plan)."""

from collections.abc import Iterable, Iterator

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.deadlines import Status
from core.models import Membership, Office, Region
from core.xlsx import XlsxWriter, column_range

from .models import ParticipatingVillage, Stage, VillageKind, WorkPlanActivity

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


def _work_plan_xlsx(rows: Iterable[tuple], *, title: str, stage_column: int) -> bytes:
    """The rows on one sheet with a filter, and the stage dropdown on `stage_column` for the
    rows a village may fill in."""
    writer = XlsxWriter()
    sheet = writer.add_sheet(title, rows, autofilter=True)
    cells = column_range(stage_column, 2, max(sheet.max_row, MAX_XLSX_ROWS))
    writer.add_choices(sheet, cells, stage_choices())
    return writer.to_bytes()


def stage_choices() -> list[str]:
    return [str(stage.label) for stage in Stage]


def village_work_plan_xlsx(village: ParticipatingVillage) -> bytes:
    return _work_plan_xlsx(
        work_plan_rows(village.activities.all()),
        title=village.village.name,
        stage_column=STAGE_COLUMN,
    )


def office_work_plan_xlsx(office_name: str, lines) -> bytes:
    return _work_plan_xlsx(
        office_work_plan_rows(lines), title=office_name, stage_column=STAGE_COLUMN + 3
    )


# --- the village import template (services.read_villages reads it back) ------------------------


def village_import_xlsx(program_year) -> bytes:
    """The template of the village import: the village sheet (header, kind dropdown), every
    desa/kelurahan of the province with its code (those already in the year marked), the
    staff of the kab/kota offices who may be pembina, and how to fill it in."""
    from .services import MAX_VILLAGE_ROWS, VILLAGE_COLUMNS

    province = program_year.province
    writer = XlsxWriter()
    sheet = writer.add_sheet(
        _("Villages"),
        [[str(label) for _name, label in VILLAGE_COLUMNS]],
        widths={1: 16, 2: 28, 3: 28, 4: 40, 5: 40},
    )
    kind_column = [name for name, _label in VILLAGE_COLUMNS].index("kind") + 1
    writer.add_choices(
        sheet,
        column_range(kind_column, 2, MAX_VILLAGE_ROWS + 1),
        [str(kind.label) for kind in VillageKind],
    )
    taken = set(program_year.villages.values_list("village_id", flat=True))
    desa = Region.objects.filter(
        level=Region.Level.DESA, code__startswith=province.region.code + "."
    ).select_related("parent__parent")
    writer.add_sheet(
        _("Village list"),
        [[_("Village code"), _("Village"), _("District"), _("Regency/City"), _("In the program")]]
        + [
            [
                r.code,
                r.name,
                r.parent.name,
                r.parent.parent.display_name,
                str(program_year.year) if r.pk in taken else "",
            ]
            for r in desa
        ],
        autofilter=True,
    )
    offices = Office.objects.filter(parent=province)
    members = (
        Membership.objects.filter(office__in=offices, user__is_active=True)
        .select_related("user", "office")
        .order_by("office__code", "user__full_name", "user__username")
    )
    writer.add_sheet(
        _("Pembina"),
        [[_("Username"), _("E-mail"), _("Name"), _("Office"), _("Role")]]
        + [
            [
                m.user.username,
                m.user.email,
                m.user.get_full_name(),
                m.office.short_name,
                m.get_role_display(),
            ]
            for m in members
        ],
        autofilter=True,
    )
    writer.add_sheet(
        _("How to fill in"),
        [
            [_("How to fill in")],
            [_("One row per village, below the header. Village code and kind are required.")],
            [
                _(
                    "Village code: the Kemendagri code, e.g. 17.02.01.2001 (see the sheet Village "
                    "list); the name, when given, must match the code."
                )
            ],
            [_("Kind: choose from the list.")],
            [
                _(
                    "Pembina: usernames or e-mails of staff of the village's regency/city office "
                    "(sheet Pembina), separated by commas."
                )
            ],
            [
                _(
                    "If any row is wrong, nothing is saved and every wrong row is listed with "
                    "its number."
                )
            ],
        ],
        widths={1: 110},
    )
    return writer.to_bytes()
