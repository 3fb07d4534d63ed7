"""Reads of program years and participating villages, always from what the user may see."""

from collections.abc import Collection
from datetime import datetime, time

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from core.deadlines import JAKARTA, TrackedItem, end_of_day, item_status
from core.models import Office, User
from core.permissions import PROVINCE_TEAM, has_role, require, visible_office_ids
from core.services import extensions_for

from .models import ParticipatingVillage, ProgramYear, WorkPlanActivity


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


def start_of_day(day) -> datetime:
    return datetime.combine(day, time.min, tzinfo=JAKARTA)


def work_plan_items(
    program_year: ProgramYear, office_ids: Collection[int], *, now: datetime | None = None
) -> list[TrackedItem]:
    """Every work-plan activity of the year's villages in `office_ids` as a tracked item, due
    at the end of its planned end day, done on its realisation day. One query for the rows,
    one for extensions, whatever the number of villages."""
    now = now or timezone.now()
    rows = (
        WorkPlanActivity.objects.filter(
            village__program_year=program_year, village__office_id__in=office_ids
        )
        .select_related("village__village")
        .order_by("planned_end", "id")
    )
    extensions = extensions_for(WorkPlanActivity, office_ids)
    subject_type = ContentType.objects.get_for_model(WorkPlanActivity).pk
    items = []
    for activity in rows:
        office_id = activity.village.office_id
        until = extensions.get((str(activity.pk), office_id))
        due = end_of_day(activity.planned_end)
        done_at = start_of_day(activity.realised_on) if activity.realised_on else None
        items.append(
            TrackedItem(
                activity="rencana_kerja",
                label=f"{activity.village.village.name}: {activity.name}",
                office_id=office_id,
                village_id=activity.village_id,
                due=due,
                done_at=done_at,
                status=item_status(
                    due=due,
                    done_at=done_at,
                    now=now,
                    soon_days=program_year.soon_days,
                    extended_due=end_of_day(until) if until else None,
                ),
                extended=until is not None,
                url=reverse("program:village_detail", args=[activity.village_id])
                + "#rencana-kerja",
                subject=(subject_type, str(activity.pk)),
            )
        )
    return items
