"""Writes to program years, the SOP calendar, participating villages and their work plans.
Each one checks the actor (`by`) with the rule the pages use (program.queries `can_*`), raising
PermissionDenied before anything is written, and is audited."""

import re
from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.deadlines import Unit
from core.models import Attachment, Membership, Office, Region, User
from core.permissions import is_system, require
from core.services import (
    StaleEditError,
    attachments_of,
    audit,
    diff_fields,
    locked,
    store_attachment,
    validate_upload,
)
from core.xlsx import cell_text, checked_rows, import_texts, read_import_sheet

from .exports import WORK_PLAN_COLUMNS
from .models import (
    ParticipatingVillage,
    ProgramYear,
    SopActivity,
    Stage,
    VillageAgent,
    VillageKind,
    WorkPlanActivity,
)
from .queries import (
    AGENTS_REFUSED,
    CALENDAR_REFUSED,
    VILLAGES_REFUSED,
    WORK_PLAN_REFUSED,
    can_create_program_year,
    can_edit_agents,
    can_edit_calendar,
    can_edit_work_plan,
    can_manage_villages,
    previous_agents,
)

# --- who may change what (the rules live in program.queries) -------------------------------------


def _require_village_manager(by: User | None, office: Office) -> None:
    require(can_manage_villages(by, office), VILLAGES_REFUSED)


def _require_calendar_editor(by: User | None, program_year: ProgramYear) -> None:
    require(can_edit_calendar(by, program_year), CALENDAR_REFUSED)


def _require_plan_writer(by: User | None, village: ParticipatingVillage) -> None:
    require(can_edit_work_plan(by, village.office), WORK_PLAN_REFUSED)


def _check_village(
    program_year: ProgramYear, *, village: Region, office: Office, pembina, exclude_pk=None
):
    errors = {}
    if office.parent_id != program_year.province_id:
        errors["office"] = _("This office is not in the province of this program year.")
    elif village.level != Region.Level.DESA or not village.code.startswith(
        office.region.code + "."
    ):
        errors["village"] = _("%(village)s is not in the area of %(office)s.") % {
            "village": village.name,
            "office": office.name,
        }
    duplicate = ParticipatingVillage.objects.filter(program_year=program_year, village=village)
    if exclude_pk:
        duplicate = duplicate.exclude(pk=exclude_pk)
    if duplicate.exists():
        errors["village"] = _("%(village)s already takes part in %(year)s.") % {
            "village": village.name,
            "year": program_year.year,
        }
    members = set(Membership.objects.filter(office=office).values_list("user_id", flat=True))
    strangers = [str(u) for u in pembina if u.pk not in members]
    if strangers:
        errors["pembina"] = _("Not staff of %(office)s: %(names)s.") % {
            "office": office.short_name,
            "names": ", ".join(strangers),
        }
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def add_village(
    program_year: ProgramYear,
    *,
    village: Region,
    office: Office,
    kind: str,
    pembina: list[User],
    notes: str = "",
    by: User,
) -> ParticipatingVillage:
    """Add a village to a program year, by the province team (PermissionDenied otherwise).
    Checks the village lies in the office's kab/kota, takes part only once a year, and that
    every pembina is staff of that office."""
    _require_village_manager(by, office)
    _check_village(program_year, village=village, office=office, pembina=pembina)
    participation = ParticipatingVillage.objects.create(
        program_year=program_year,
        village=village,
        office=office,
        kind=VillageKind(kind),
        notes=notes,
    )
    participation.pembina.set(pembina)
    audit(
        participation,
        by=by,
        action="village.add",
        office=office,
        changes={
            "village": (None, village),
            "kind": (None, kind),
            "pembina": (None, [str(u) for u in pembina]),
        },
    )
    return participation


@transaction.atomic
def update_village(
    participation: ParticipatingVillage,
    *,
    kind: str,
    pembina: list[User],
    notes: str,
    by: User,
) -> ParticipatingVillage:
    """Change a participating village's kind, pembina and notes (its place and year stay), by
    the province team (PermissionDenied otherwise)."""
    _require_village_manager(by, participation.office)
    _check_village(
        participation.program_year,
        village=participation.village,
        office=participation.office,
        pembina=pembina,
        exclude_pk=participation.pk,
    )
    changes = diff_fields(participation, {"kind": kind, "notes": notes})
    old_pembina = sorted(str(u) for u in participation.pembina.all())
    new_pembina = sorted(str(u) for u in pembina)
    if old_pembina != new_pembina:
        changes["pembina"] = (old_pembina, new_pembina)
    if not changes:
        return participation
    participation.kind = kind
    participation.notes = notes
    participation.save(update_fields=["kind", "notes"])
    participation.pembina.set(pembina)
    audit(
        participation, by=by, action="village.update", office=participation.office, changes=changes
    )
    return participation


def add_village_attachment(
    participation: ParticipatingVillage, *, upload: UploadedFile, purpose: str, by: User
) -> Attachment:
    """Attach a document (e.g. the SK of the pembina) to a participating village, by the province
    team (PermissionDenied otherwise). Checked and audited by core.services.store_attachment."""
    _require_village_manager(by, participation.office)
    return store_attachment(
        upload, owner=participation, by=by, purpose=purpose, office=participation.office
    )


# --- program years and the SOP calendar -------------------------------------------------------

SOP_DEFAULTS = [
    # number, code, amount, unit, anchor, anchor label, window start (month, day), output
    (
        1,
        SopActivity.Code.MONITORING,
        2,
        Unit.MONTH,
        SopActivity.Anchor.PERIODIC,
        "",
        (1, 1),
        "Rekap progres monitoring Desa Cantik BPS Kab/Kota",
    ),
    (
        2,
        SopActivity.Code.RAPAT,
        2,
        Unit.MONTH,
        SopActivity.Anchor.PERIODIC,
        "",
        (1, 1),
        "Laporan rapat",
    ),
    (
        3,
        SopActivity.Code.SOSIALISASI,
        2,
        Unit.WEEK,
        SopActivity.Anchor.EVENT,
        "Pelaksanaan sosialisasi/pencanangan",
        None,
        "Laporan sosialisasi/pencanangan pembinaan Desa Cantik BPS Kab/Kota",
    ),
    (
        4,
        SopActivity.Code.IDENTIFIKASI,
        2,
        Unit.WEEK,
        SopActivity.Anchor.EVENT,
        "Kunjungan identifikasi kebutuhan desa",
        None,
        "Laporan identifikasi kebutuhan desa/kelurahan",
    ),
    (
        5,
        SopActivity.Code.PENILAIAN,
        1,
        Unit.MONTH,
        SopActivity.Anchor.WINDOW,
        "Pembukaan penilaian LKE",
        (9, 1),
        "Hasil penilaian LKE Provinsi",
    ),
    (
        6,
        SopActivity.Code.LAPORAN_AKHIR,
        2,
        Unit.WEEK,
        SopActivity.Anchor.EVENT,
        "Berakhirnya pembinaan dan pendampingan",
        None,
        "Laporan akhir pembinaan Desa Cantik BPS Kab/Kota",
    ),
]


@transaction.atomic
def create_program_year(province: Office, *, year: int, by: User | None) -> ProgramYear:
    """Create a program year with the SOP calendar seeded from the SOP's time standards. By the
    province team lead or a superuser (PermissionDenied otherwise), or by the system
    (`by=core.permissions.SYSTEM`: a setup script or test, audited without an actor)."""
    if not is_system(by):
        require(
            can_create_program_year(by, province),
            _("Only the province team lead opens a program year."),
        )
    if ProgramYear.objects.filter(province=province, year=year).exists():
        raise ValidationError(
            {"year": _("The program year %(year)s already exists.") % {"year": year}}
        )
    program_year = ProgramYear.objects.create(province=province, year=year)
    SopActivity.objects.bulk_create(
        SopActivity(
            program_year=program_year,
            number=number,
            code=code,
            amount=amount,
            unit=unit,
            anchor=anchor,
            anchor_label=label,
            window_start=date(year, *start) if start else None,
            output=output,
        )
        for number, code, amount, unit, anchor, label, start, output in SOP_DEFAULTS
    )
    audit(
        program_year,
        by=by,
        action="program_year.create",
        office=province,
        changes={"year": (None, year)},
    )
    return program_year


@transaction.atomic
def update_program_year_settings(
    program_year: ProgramYear, *, working_days: bool, soon_days: int, by: User
) -> ProgramYear:
    """Switch working-day counting and the 'due soon' window of a year, by the province team
    lead (PermissionDenied otherwise). Audited."""
    _require_calendar_editor(by, program_year)
    changes = diff_fields(program_year, {"working_days": working_days, "soon_days": soon_days})
    if changes:
        program_year.working_days, program_year.soon_days = working_days, soon_days
        program_year.save(update_fields=["working_days", "soon_days"])
        audit(
            program_year,
            by=by,
            action="program_year.update",
            changes=changes,
            office=program_year.province,
        )
    return program_year


@transaction.atomic
def update_sop_activity(
    activity: SopActivity, *, amount: int, unit: str, window_start, anchor_label: str, by: User
) -> SopActivity:
    """Change an SOP activity's time standard for one year (the anchor kind stays), by the
    province team lead (PermissionDenied otherwise). Audited."""
    _require_calendar_editor(by, activity.program_year)
    if activity.anchor != SopActivity.Anchor.EVENT and window_start is None:
        raise ValidationError({"window_start": _("This activity needs the date its window opens.")})
    if amount < 1:
        raise ValidationError({"amount": _("The time standard must be at least 1.")})
    values = {
        "amount": amount,
        "unit": unit,
        "window_start": window_start,
        "anchor_label": anchor_label,
    }
    changes = diff_fields(activity, values)
    if changes:
        for name, value in values.items():
            setattr(activity, name, value)
        activity.save(update_fields=list(values))
        audit(
            activity,
            by=by,
            action="sop_activity.update",
            changes=changes,
            office=activity.program_year.province,
        )
    return activity


# --- the coaching work plan ---------------------------------------------------------------------

PLAN_FIELDS = ("stage", "name", "pelaksana", "target_output", "planned_start", "planned_end")
REALISATION_FIELDS = ("realised_on", "realisation_output", "realisation_notes")
EVIDENCE_PURPOSE = "bukti_realisasi"


def _check_values(values: dict) -> None:
    errors = {}
    start, end = values.get("planned_start"), values.get("planned_end")
    if start and end and end < start:
        errors["planned_end"] = _("The end date is before the start date.")
    if values.get("realised_on") and values["realised_on"] > timezone.localdate():
        errors["realised_on"] = _("The realisation date cannot be in the future.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def add_activity(village: ParticipatingVillage, *, by: User, **values) -> WorkPlanActivity:
    """Add a line to a village's work plan: the plan fields, and the realisation fields when it
    was already carried out. Checks the dates (end not before start, realisation not in the
    future). By the village office's kab/kota team (PermissionDenied otherwise). Audited with
    every value given."""
    _require_plan_writer(by, village)
    unknown = set(values) - set(PLAN_FIELDS) - set(REALISATION_FIELDS)
    if unknown:
        raise TypeError(f"unknown work plan fields: {sorted(unknown)}")
    _check_values(values)
    activity = WorkPlanActivity.objects.create(village=village, **values)
    changes = {name: (None, values.get(name)) for name in PLAN_FIELDS}
    changes |= {name: (None, values[name]) for name in REALISATION_FIELDS if values.get(name)}
    audit(activity, by=by, action="work_plan.add", office=village.office, changes=changes)
    return activity


@transaction.atomic
def update_activity(
    activity: WorkPlanActivity, *, version: int, by: User, **values
) -> WorkPlanActivity:
    """Change plan or realisation fields of an activity opened at `version`.

    The write only happens if nobody saved the row since (the version still matches);
    otherwise StaleEditError, and the other person's change stays. By the village office's
    kab/kota team (PermissionDenied otherwise). Audited with old → new."""
    _require_plan_writer(by, activity.village)
    _check_values(
        {
            "planned_start": values.get("planned_start", activity.planned_start),
            "planned_end": values.get("planned_end", activity.planned_end),
            "realised_on": values.get("realised_on"),
        }
    )
    current = locked(WorkPlanActivity, activity.pk)
    if current.version != version:
        raise StaleEditError(
            _(
                "Someone else changed this activity while you were editing. "
                "Your changes were not saved; reload to see theirs."
            )
        )
    changes = diff_fields(current, values)
    if not changes:
        return current
    for name, value in values.items():
        setattr(current, name, value)
    current.version += 1
    current.save(update_fields=[*values, "version"])
    action = "work_plan.realise" if set(changes) <= set(REALISATION_FIELDS) else "work_plan.update"
    audit(current, by=by, action=action, changes=changes, office=current.village.office)
    return current


@transaction.atomic
def realise_activity(
    activity: WorkPlanActivity,
    *,
    version: int,
    realised_on: date,
    realisation_output: str,
    realisation_notes: str,
    evidence: list[UploadedFile] = (),
    by: User,
) -> WorkPlanActivity:
    """Record (or correct) when an activity was carried out and what it produced, with
    evidence files. Every file is checked before anything is written, so a bad file saves
    nothing; a stale `version` raises StaleEditError. By the village office's kab/kota team
    (PermissionDenied otherwise). Audited (realisation and each file)."""
    _require_plan_writer(by, activity.village)
    if realised_on is None:
        raise ValidationError({"realised_on": _("Enter the date the activity was carried out.")})
    for upload in evidence:
        try:
            validate_upload(upload)
        except ValidationError as error:
            raise ValidationError({"evidence": error.messages}) from None
    current = update_activity(
        activity,
        version=version,
        by=by,
        realised_on=realised_on,
        realisation_output=realisation_output,
        realisation_notes=realisation_notes,
    )
    for upload in evidence:
        store_attachment(
            upload, owner=current, by=by, purpose=EVIDENCE_PURPOSE, office=current.village.office
        )
    return current


def add_evidence(activity: WorkPlanActivity, *, upload: UploadedFile, by: User) -> Attachment:
    """Attach one more evidence file to a realised activity (checked by content), by the
    village office's kab/kota team (PermissionDenied otherwise). Audited."""
    _require_plan_writer(by, activity.village)
    if not activity.realised_on:
        raise ValidationError(_("Record the realisation before adding evidence."))
    return store_attachment(
        upload, owner=activity, by=by, purpose=EVIDENCE_PURPOSE, office=activity.village.office
    )


@transaction.atomic
def delete_activity(activity: WorkPlanActivity, *, by: User) -> None:
    """Remove a line that was not realised yet (a realised one, or one with evidence, is
    history), by the village office's kab/kota team (PermissionDenied otherwise). Audited."""
    _require_plan_writer(by, activity.village)
    if activity.realised_on or attachments_of(activity).exists():
        raise ValidationError(_("A realised activity cannot be deleted."))
    audit(
        activity,
        by=by,
        action="work_plan.delete",
        office=activity.village.office,
        changes={"name": (activity.name, None)},
    )
    activity.delete()


# --- work plan import from xlsx -----------------------------------------------------------------

MAX_IMPORT_ROWS = 500
MAX_SHEET_ROWS, MAX_SHEET_COLUMNS = 1000, 30  # the sheet's ceiling, checked before parsing
TEXT_LIMITS = {"name": 200, "pelaksana": 150, "target_output": 200, "realisation_output": 200}
REQUIRED_COLUMNS = ("stage", "name", "planned_start", "planned_end")


@dataclass(frozen=True)
class ImportedRow:
    number: int  # the row number in the sheet, as Excel shows it
    values: dict


@dataclass(frozen=True)
class WorkPlanImportResult:
    added: int
    updated: int
    unchanged: int


def _both_languages(text) -> set[str]:
    found = set()
    for language in ("id", "en"):
        with translation.override(language):
            found.add(str(text).strip().casefold())
    return found


def _stage_lookup() -> dict[str, str]:
    lookup = {}
    for stage in Stage:
        lookup[stage.value] = stage.value
        for name in _both_languages(stage.label):
            lookup[name] = stage.value
    return lookup


def _date(value) -> date | None:
    """A date from a cell: a real Excel date, or text as 2026-05-04, 04-05-2026 or 04/05/2026.
    Raises ValueError for anything else."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        for pattern in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"):
            try:
                return datetime.strptime(value.strip(), pattern).date()
            except ValueError:
                continue
    raise ValueError(value)


def _parse_row(cells: dict, stages: dict[str, str]):
    """(values, problems) of one data row ({column name: raw cell value})."""
    cell = cells.get

    problems, values = [], {}
    stage_text = cell_text(cell("stage"))
    if not stage_text:
        problems.append(_("the stage is empty"))
    elif stage_text.casefold() not in stages:
        problems.append(
            _('unknown stage "%(stage)s" (use one of: %(stages)s)')
            % {"stage": stage_text, "stages": ", ".join(str(s.label) for s in Stage)}
        )
    else:
        values["stage"] = stages[stage_text.casefold()]
    for name in ("name", "pelaksana", "target_output", "realisation_output"):
        values[name] = cell_text(cell(name))
    if not values["name"]:
        problems.append(_("the activity details are empty"))
    for name, limit in TEXT_LIMITS.items():
        if len(values[name]) > limit:
            problems.append(
                _("%(column)s is longer than %(limit)s characters")
                % {"column": _column_label(name), "limit": limit}
            )
    for name in ("planned_start", "planned_end", "realised_on"):
        try:
            values[name] = _date(cell(name))
        except ValueError:
            problems.append(
                _('%(column)s "%(value)s" is not a date (write it as 2026-05-04 or 04-05-2026)')
                % {"column": _column_label(name), "value": cell_text(cell(name))}
            )
            values[name] = None
            continue
        if values[name] is None and name != "realised_on":
            problems.append(_("%(column)s is empty") % {"column": _column_label(name)})
    start, end = values["planned_start"], values["planned_end"]
    if start and end and end < start:
        problems.append(_("the planned end is before the planned start"))
    if values["realised_on"] and values["realised_on"] > timezone.localdate():
        problems.append(_("the realisation date is in the future"))
    if values["realisation_output"] and cell_text(cell("realised_on")) == "":
        problems.append(_("a realisation output needs a realisation date"))
    return values, problems


def _column_label(name: str) -> str:
    return str(dict(WORK_PLAN_COLUMNS)[name])


def read_work_plan(upload: UploadedFile) -> list[ImportedRow]:
    """The activity rows of a work-plan workbook (first sheet, header in row 1, columns as the
    export writes them, in any order), opened by core.xlsx.open_workbook: a file too large, not
    an xlsx, or with a sheet beyond MAX_SHEET_ROWS × MAX_SHEET_COLUMNS is refused before its
    rows are parsed. Every bad row is reported with its row number; any problem raises one
    ValidationError listing them all."""
    sheet = read_import_sheet(
        upload,
        columns=WORK_PLAN_COLUMNS,
        required=REQUIRED_COLUMNS,
        missing=_(
            "Row 1: the column(s) %(columns)s are missing. Use the exported file as a template."
        ),
        max_rows=MAX_IMPORT_ROWS,
        max_sheet_rows=MAX_SHEET_ROWS,
        max_cols=MAX_SHEET_COLUMNS,
    )
    stages, seen = _stage_lookup(), {}

    def check(number: int, cells: dict) -> tuple[dict, list[str]]:
        values, problems = _parse_row(cells, stages)
        key = (values.get("stage"), values["name"].casefold())
        if key[0] and key[1] and key in seen:
            problems.append(_("the same stage and activity as row %(row)s") % {"row": seen[key]})
        seen.setdefault(key, number)
        return values, problems

    rows = checked_rows(
        sheet.rows,
        check,
        empty=_("The file has no activity rows below the header."),
        too_many=_("The file has more than %(limit)s activity rows.") % {"limit": MAX_IMPORT_ROWS}
        if sheet.overflow
        else None,
    )
    return [ImportedRow(number, values) for number, values in rows]


@transaction.atomic
def import_work_plan(
    village: ParticipatingVillage, *, upload: UploadedFile, by: User
) -> WorkPlanImportResult:
    """Add the rows of a work-plan workbook to a village's plan; a row whose stage and activity
    (ignoring case) match an existing line updates that line instead (an empty realisation cell
    keeps what is recorded). All or nothing: any bad row saves nothing. Each line is audited as
    an add or update, and the import itself on the village. By the village office's kab/kota
    team (PermissionDenied otherwise, before the file is read)."""
    _require_plan_writer(by, village)
    rows = read_work_plan(upload)
    existing = {
        (a.stage, a.name.casefold()): a
        for a in WorkPlanActivity.objects.select_for_update().filter(village=village)
    }
    added = updated = unchanged = 0
    for row in rows:
        values = row.values
        match = existing.get((values["stage"], values["name"].casefold()))
        if match is None:
            plan = {k: v for k, v in values.items() if k in PLAN_FIELDS or v}
            add_activity(village, by=by, **plan)
            added += 1
            continue
        changes = {k: v for k, v in values.items() if k in PLAN_FIELDS or v}
        saved = update_activity(match, version=match.version, by=by, **changes)
        if saved.version != match.version:
            updated += 1
        else:
            unchanged += 1
    audit(
        village,
        by=by,
        action="work_plan.import",
        office=village.office,
        changes={
            "file": (None, upload.name),
            "added": (None, added),
            "updated": (None, updated),
        },
    )
    return WorkPlanImportResult(added=added, updated=updated, unchanged=unchanged)


# --- participating villages (with their pembina) imported from xlsx -----------------------------

VILLAGE_COLUMNS = [
    ("code", gettext_lazy("Village code")),
    ("name", gettext_lazy("Village")),
    ("kind", gettext_lazy("Kind")),
    ("pembina", gettext_lazy("Pembina")),
    ("notes", gettext_lazy("Notes")),
]
REQUIRED_VILLAGE_COLUMNS = ("code", "kind")
MAX_VILLAGE_ROWS = 500
# The template carries the province's whole village list on a sheet of its own (about 8,600
# desa in the largest province): every sheet's rows are counted against this ceiling.
VILLAGE_SHEET_ROWS = 10_000
PEMBINA_SEPARATORS = re.compile(r"[,;\n]+")


@dataclass(frozen=True)
class VillageRow:
    number: int  # the row in the sheet, as Excel shows it
    values: dict  # village_id, office_id, kind, pembina_ids, notes


def _village_column(name: str) -> str:
    return str(dict(VILLAGE_COLUMNS)[name])


def _kind_lookup() -> dict[str, str]:
    lookup = {}
    for kind in VillageKind:
        lookup[kind.value] = kind.value
        for text in _both_languages(kind.label):
            lookup[text] = kind.value
    return lookup


def read_villages(upload: UploadedFile, program_year: ProgramYear, *, by: User) -> list[VillageRow]:
    """The villages of an import workbook for `program_year` (first sheet, header in row 1 as
    the template writes it), opened by core.xlsx.open_workbook with the work plan's ceilings.
    Each row names a desa/kelurahan by its Kemendagri code (the name, when given, must match),
    its kind, and optionally its pembina (usernames or e-mails of staff of the village's
    kab/kota office, separated by commas). A village already in the year, or twice in the
    file, is refused. Only the province team imports (PermissionDenied). Any problem raises
    one ValidationError listing every bad row by its number; nothing is saved here."""
    _require_village_manager(by, program_year.province)
    offices = {
        o.region.code: o
        for o in Office.objects.filter(parent_id=program_year.province_id).select_related("region")
    }
    kinds = _kind_lookup()
    sheet = read_import_sheet(
        upload,
        columns=VILLAGE_COLUMNS,
        required=REQUIRED_VILLAGE_COLUMNS,
        missing=_("Row 1: the column(s) %(columns)s are missing. Use the template."),
        max_rows=MAX_VILLAGE_ROWS,
        max_sheet_rows=VILLAGE_SHEET_ROWS,
        max_cols=MAX_SHEET_COLUMNS,
    )
    if sheet.overflow:
        raise ValidationError(
            _("The file has more than %(limit)s village rows.") % {"limit": MAX_VILLAGE_ROWS}
        )
    raw_rows = [(number, import_texts(values)) for number, values in sheet.rows]
    regions = {
        r.code: r
        for r in Region.objects.filter(
            code__in=[raw["code"] for _n, raw in raw_rows], level=Region.Level.DESA
        )
    }
    taken = set(
        ParticipatingVillage.objects.filter(
            program_year=program_year, village__in=regions.values()
        ).values_list("village__code", flat=True)
    )
    staff = {}
    for membership in Membership.objects.filter(
        office__in=offices.values(), user__is_active=True
    ).select_related("user"):
        for key in (membership.user.username, membership.user.email):
            if key:
                staff.setdefault((membership.office_id, key.casefold()), membership.user)
    seen = {}

    def check(number: int, raw: dict) -> tuple[dict, list[str]]:
        problems, values = [], {"notes": raw["notes"], "pembina_ids": []}
        region = regions.get(raw["code"])
        office = offices.get(raw["code"].rsplit(".", 2)[0]) if region else None
        if not raw["code"]:
            problems.append(_("%(column)s is empty") % {"column": _village_column("code")})
        elif region is None:
            problems.append(
                _('"%(code)s" is not a desa/kelurahan code of the Kemendagri master')
                % {"code": raw["code"]}
            )
        elif office is None:
            problems.append(
                _("%(village)s is not in the province of this program year")
                % {"village": region.name}
            )
        else:
            if raw["name"] and raw["name"].casefold() != region.name.casefold():
                problems.append(
                    _("the code %(code)s is %(village)s, not %(name)s")
                    % {"code": region.code, "village": region.name, "name": raw["name"]}
                )
            if region.code in taken:
                problems.append(
                    _("%(village)s already takes part in %(year)s")
                    % {"village": region.name, "year": program_year.year}
                )
            if region.code in seen:
                problems.append(_("the same village as row %(row)s") % {"row": seen[region.code]})
            seen.setdefault(region.code, number)
            values["village_id"], values["office_id"] = region.pk, office.pk
            for who in filter(None, (w.strip() for w in PEMBINA_SEPARATORS.split(raw["pembina"]))):
                user = staff.get((office.pk, who.casefold()))
                if user is None:
                    problems.append(
                        _('"%(who)s" is not an active staff member of %(office)s')
                        % {"who": who, "office": office.short_name}
                    )
                elif user.pk not in values["pembina_ids"]:
                    values["pembina_ids"].append(user.pk)
        kind = kinds.get(" ".join(raw["kind"].split()).casefold())
        if not raw["kind"]:
            problems.append(_("%(column)s is empty") % {"column": _village_column("kind")})
        elif kind is None:
            problems.append(
                _('unknown kind "%(kind)s" (use one of: %(kinds)s)')
                % {"kind": raw["kind"], "kinds": ", ".join(str(k.label) for k in VillageKind)}
            )
        values["kind"] = kind
        if len(raw["notes"]) > ParticipatingVillage._meta.get_field("notes").max_length:
            problems.append(_("the notes are too long"))
        return values, problems

    rows = checked_rows(raw_rows, check, empty=_("The file has no village rows below the header."))
    return [VillageRow(number, values) for number, values in rows]


def import_villages(
    program_year: ProgramYear, rows: list[VillageRow], *, by: User, file_name: str
) -> list[ParticipatingVillage]:
    """Add every village of an import (see read_villages) to `program_year`, all or nothing:
    a row refused now (added by someone else since the preview, a pembina who left the
    office) refuses the whole import with its row number. Each village is audited as
    `village.add`, the import itself as `village.import` on the program year."""
    _require_village_manager(by, program_year.province)
    regions = Region.objects.in_bulk([r.values["village_id"] for r in rows])
    offices = Office.objects.in_bulk([r.values["office_id"] for r in rows])
    people = User.objects.in_bulk([pk for r in rows for pk in r.values["pembina_ids"]])
    added = []
    with transaction.atomic():
        for row in rows:
            values = row.values
            try:
                added.append(
                    add_village(
                        program_year,
                        village=regions[values["village_id"]],
                        office=offices[values["office_id"]],
                        kind=values["kind"],
                        pembina=[people[pk] for pk in values["pembina_ids"]],
                        notes=values["notes"],
                        by=by,
                    )
                )
            except (ValidationError, KeyError) as error:
                messages = error.messages if isinstance(error, ValidationError) else []
                raise ValidationError(
                    _("Row %(row)s: %(problems)s.")
                    % {"row": row.number, "problems": "; ".join(messages) or _("changed")}
                ) from None
        audit(
            program_year,
            by=by,
            action="village.import",
            office=program_year.province,
            changes={"file": (None, file_name), "added": (None, len(added))},
        )
    return added


# --- the agen statistik register of a village ---------------------------------------------------

AGENT_FIELDS = ("name", "role", "is_village_official", "sk_number", "sk_date", "phone")
AGENTS_KEY = "agen statistik"  # the audit key of a register line (kept on the village)
COPIED_FROM_KEY = "copied from"  # the audit key of the program year a copy comes from
# An Indonesian phone number once spaces, dots, dashes and brackets are dropped: a mobile or a
# landline with its area code, from 0 or +62 (e.g. 0812 3456 7890, (0736) 21234, +62 812 ...).
PHONE = re.compile(r"(?:\+62|0)\d{7,13}")
PHONE_SEPARATORS = re.compile(r"[\s.\-()]")


def _require_agent_keeper(by: User | None, village: ParticipatingVillage) -> None:
    require(can_edit_agents(by, village.office), AGENTS_REFUSED)


def agent_line(values) -> str:
    """One agent as the history shows it: name · position · village official · SK · phone."""
    get = values.get if isinstance(values, dict) else lambda key: getattr(values, key)
    parts = [get("name")]
    if get("role"):
        parts.append(get("role"))
    if get("is_village_official"):
        parts.append(_("village official"))
    if get("sk_number") or get("sk_date"):
        day = get("sk_date")
        sk = " ".join(
            x for x in (get("sk_number"), formats.date_format(day, "j F Y") if day else "") if x
        )
        parts.append(_("SK %(number)s") % {"number": sk})
    if get("phone"):
        parts.append(get("phone"))
    return " · ".join(parts)


def _clean_agent(village: ParticipatingVillage, values: dict, *, exclude_pk=None) -> dict:
    """The values with text trimmed and the phone without separators; ValidationError (per
    field, in the user's language) for a missing name, a name already in the register, a
    malformed phone, an SK date in the future or an SK date without its number."""
    unknown = set(values) - set(AGENT_FIELDS)
    if unknown:
        raise TypeError(f"unknown agent fields: {sorted(unknown)}")
    cleaned = {
        name: (values.get(name) or "").strip() for name in ("name", "role", "sk_number", "phone")
    }
    cleaned["is_village_official"] = bool(values.get("is_village_official"))
    cleaned["sk_date"] = values.get("sk_date") or None
    cleaned["phone"] = PHONE_SEPARATORS.sub("", cleaned["phone"])
    errors = {}
    if not cleaned["name"]:
        errors["name"] = _("Enter the agent's name.")
    else:
        same = VillageAgent.objects.filter(village=village, name__iexact=cleaned["name"])
        if exclude_pk:
            same = same.exclude(pk=exclude_pk)
        if same.exists():
            errors["name"] = _("%(name)s is already in this village's register.") % {
                "name": cleaned["name"]
            }
    if cleaned["phone"] and not PHONE.fullmatch(cleaned["phone"]):
        errors["phone"] = _(
            "Enter a phone number in digits, starting with 0 or +62, e.g. 0812 3456 7890."
        )
    if cleaned["sk_date"] and cleaned["sk_date"] > timezone.localdate():
        errors["sk_date"] = _("The SK date cannot be in the future.")
    if cleaned["sk_date"] and not cleaned["sk_number"]:
        errors["sk_number"] = _("Enter the number of the SK dated %(date)s.") % {
            "date": formats.date_format(cleaned["sk_date"], "j F Y")
        }
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def add_agent(village: ParticipatingVillage, *, by: User, **values) -> VillageAgent:
    """Add an agen statistik to the village's register, by the village office's kab/kota team
    or the province team (PermissionDenied otherwise). Checks the values (_clean_agent).
    Audited on the village with the new line."""
    _require_agent_keeper(by, village)
    cleaned = _clean_agent(village, values)
    agent = VillageAgent.objects.create(village=village, **cleaned)
    audit(
        village,
        by=by,
        action="agent.add",
        office=village.office,
        changes={AGENTS_KEY: (None, agent_line(cleaned))},
    )
    return agent


def _current_agent(agent: VillageAgent, version: int) -> VillageAgent:
    current = VillageAgent.objects.select_for_update().filter(pk=agent.pk).first()
    if current is None or current.version != version:
        raise StaleEditError(
            _(
                "Someone else changed or removed this agen statistik while you were editing. "
                "Your changes were not saved; reload to see theirs."
            )
        )
    return current


@transaction.atomic
def update_agent(agent: VillageAgent, *, version: int, by: User, **values) -> VillageAgent:
    """Change an agen statistik opened at `version`: only if nobody saved or removed it since
    (else StaleEditError, and the other change stays). By the village office's kab/kota team or
    the province team (PermissionDenied otherwise). Checks the values (_clean_agent). Audited
    on the village with the old and the new line."""
    _require_agent_keeper(by, agent.village)
    current = _current_agent(agent, version)
    cleaned = _clean_agent(agent.village, values, exclude_pk=agent.pk)
    old = agent_line(current)
    if not diff_fields(current, cleaned):
        return current
    for name, value in cleaned.items():
        setattr(current, name, value)
    current.version += 1
    current.save(update_fields=[*cleaned, "version"])
    audit(
        agent.village,
        by=by,
        action="agent.update",
        office=agent.village.office,
        changes={AGENTS_KEY: (old, agent_line(current))},
    )
    return current


@transaction.atomic
def delete_agent(agent: VillageAgent, *, version: int, by: User) -> None:
    """Remove an agen statistik from the register (reports that listed them keep their own
    copy), if nobody changed it since it was opened at `version` (else StaleEditError). By the
    village office's kab/kota team or the province team (PermissionDenied otherwise). Audited
    on the village with the removed line."""
    _require_agent_keeper(by, agent.village)
    current = _current_agent(agent, version)
    line = agent_line(current)
    current.delete()
    audit(
        agent.village,
        by=by,
        action="agent.delete",
        office=agent.village.office,
        changes={AGENTS_KEY: (line, None)},
    )


@transaction.atomic
def copy_previous_agents(village: ParticipatingVillage, *, by: User) -> list[VillageAgent]:
    """Copy into the village's register the agen statistik of its latest earlier participation
    (program.queries.previous_agents) that it does not list yet, with the position, SK and
    phone registered then: a village taking part again mostly keeps its agents, and the team
    checks each one (a new SK, a new position) instead of typing them all again. Offered on
    the register page, not done when the village is added: whether last year's agents still
    serve is for the village office's team to say. By the village office's kab/kota team or
    the province team (PermissionDenied otherwise); ValidationError when there is nothing to
    copy. Audited on the village with the copied lines and the year they come from."""
    _require_agent_keeper(by, village)
    ParticipatingVillage.objects.select_for_update().filter(pk=village.pk).first()  # one copy
    earlier, agents = previous_agents(village)
    if not agents:
        raise ValidationError(
            _("There are no agen statistik of an earlier program year to copy into this register.")
        )
    copies = [
        VillageAgent.objects.create(village=village, **{f: getattr(a, f) for f in AGENT_FIELDS})
        for a in agents
    ]
    audit(
        village,
        by=by,
        action="agent.copy",
        office=village.office,
        changes={
            AGENTS_KEY: (None, [agent_line(a) for a in copies]),
            COPIED_FROM_KEY: (None, earlier.program_year.year),
        },
    )
    return copies
