"""Writes to program years and participating villages. Each one is audited."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.models import Membership, Office, Region, User
from core.services import audit, diff_fields

from .models import ParticipatingVillage, ProgramYear, VillageKind


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
