"""Writes to program years and participating villages. Each one is audited."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.deadlines import Unit
from core.models import Membership, Office, Region, User
from core.services import audit, diff_fields

from .models import (
    ParticipatingVillage,
    ProgramYear,
    SopActivity,
    VillageKind,
    WorkPlanActivity,
)


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
    """Add a village to a program year. Checks the village lies in the office's kab/kota, takes
    part only once a year, and that every pembina is staff of that office."""
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
    """Change a participating village's kind, pembina and notes (its place and year stay)."""
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
    """Create a program year with the SOP calendar seeded from the SOP's time standards."""
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
    """Switch working-day counting and the 'due soon' window of a year. Audited."""
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
    """Change an SOP activity's time standard for one year (the anchor kind stays). Audited."""
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


class StaleEditError(ValidationError):
    """Somebody else saved the same row since this form was opened."""


def _check_plan(values: dict) -> None:
    if values["planned_end"] < values["planned_start"]:
        raise ValidationError({"planned_end": _("The end date is before the start date.")})


@transaction.atomic
def add_activity(village: ParticipatingVillage, *, by: User, **values) -> WorkPlanActivity:
    """Add a line to a village's work plan. Audited."""
    _check_plan(values)
    activity = WorkPlanActivity.objects.create(village=village, **values)
    audit(
        activity,
        by=by,
        action="work_plan.add",
        office=village.office,
        changes={name: (None, values[name]) for name in PLAN_FIELDS},
    )
    return activity


@transaction.atomic
def update_activity(
    activity: WorkPlanActivity, *, version: int, by: User, **values
) -> WorkPlanActivity:
    """Change plan or realisation fields of an activity opened at `version`.

    The write only happens if nobody saved the row since (the version still matches);
    otherwise StaleEditError, and the other person's change stays. Audited with old → new."""
    if "planned_start" in values or "planned_end" in values:
        _check_plan(
            {
                "planned_start": values.get("planned_start", activity.planned_start),
                "planned_end": values.get("planned_end", activity.planned_end),
            }
        )
    if values.get("realised_on") and values["realised_on"] > timezone.localdate():
        raise ValidationError({"realised_on": _("The realisation date cannot be in the future.")})
    current = WorkPlanActivity.objects.select_for_update().get(pk=activity.pk)
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
def delete_activity(activity: WorkPlanActivity, *, by: User) -> None:
    """Remove a line that was not realised yet (a realised one is history). Audited."""
    if activity.realised_on:
        raise ValidationError(_("A realised activity cannot be deleted."))
    audit(
        activity,
        by=by,
        action="work_plan.delete",
        office=activity.village.office,
        changes={"name": (activity.name, None)},
    )
    activity.delete()
