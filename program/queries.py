"""Reads of program years and participating villages, always from what the user may see."""

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from core.models import Office, User
from core.permissions import PROVINCE_TEAM, has_role, require, visible_office_ids

from .models import ParticipatingVillage, ProgramYear


def program_years_visible_to(user: User) -> QuerySet[ProgramYear]:
    """Years of the provinces the user reaches (own province office or its kab/kota)."""
    offices = Office.objects.filter(pk__in=visible_office_ids(user))
    provinces = {o.province_id for o in offices}
    return ProgramYear.objects.filter(province_id__in=provinces).select_related("province")


def current_program_year(user: User, year: int | None = None) -> ProgramYear | None:
    """The requested year if visible, else this calendar year's, else the latest one."""
    years = list(program_years_visible_to(user).order_by("-year"))
    if year is not None:
        return next((y for y in years if y.year == year), None)
    today = timezone.localdate().year
    return next((y for y in years if y.year == today), years[0] if years else None)


def villages_visible_to(user: User) -> QuerySet[ParticipatingVillage]:
    """Participating villages of the offices the user reaches, with what every list shows."""
    return (
        ParticipatingVillage.objects.filter(office_id__in=visible_office_ids(user))
        .select_related("village__parent", "office", "program_year")
        .prefetch_related(Prefetch("pembina", queryset=User.objects.order_by("full_name")))
    )


def can_manage_villages(user: User, office: Office) -> bool:
    """The province team (ketua_tim, tim_provinsi) adds and edits participating villages."""
    return has_role(user, office, PROVINCE_TEAM)


def get_village_for(user: User, pk: int, *, write: bool = False) -> ParticipatingVillage:
    """404 outside the user's scope; 403 when `write` and the user may only read."""
    village = get_object_or_404(villages_visible_to(user), pk=pk)
    if write:
        require(can_manage_villages(user, village.office))
    return village


def get_office_for(user: User, pk: int) -> Office:
    return get_object_or_404(Office.objects.filter(pk__in=visible_office_ids(user)), pk=pk)
