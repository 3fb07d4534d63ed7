"""Program years with their SOP calendar, participating villages, work plans with their
realisation, and the one write of the work plan the API offers: recording a realisation."""

from datetime import date

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema

from program import services
from program.models import ParticipatingVillage, ProgramYear, VillageKind
from program.queries import (
    activity_line,
    get_activity_for,
    get_plan_village_for,
    program_years_visible_to,
    village_work_plan,
    villages_visible_to,
    with_plan_counts,
)

from ..auth import write_auth
from ..errors import READ_ERRORS, WRITE_ERRORS
from ..paging import PageParams, page_of, paginate
from .common import (
    NO_NUL,
    DeadlineStatus,
    FileOut,
    OfficeRef,
    UserRef,
    YearFilter,
    file_out,
    object_id,
    office_ref,
)

router = Router(tags=["program"])


class SopActivityOut(Schema):
    number: int
    code: str
    label: str
    amount: int
    unit: str
    anchor: str
    window_start: date | None
    output: str


class ProgramYearOut(Schema):
    id: int
    year: int
    province: OfficeRef
    working_days: bool
    soon_days: int


class ProgramYearDetail(ProgramYearOut):
    sop_activities: list[SopActivityOut]


def program_year_out(year: ProgramYear) -> dict:
    return {
        "id": year.pk,
        "year": year.year,
        "province": office_ref(year.province),
        "working_days": year.working_days,
        "soon_days": year.soon_days,
    }


@router.get(
    "/program-years",
    response={200: page_of(ProgramYearOut), **READ_ERRORS},
    summary="Program years in scope",
)
def program_year_list(
    request, page: Query[PageParams], year: int | None = Query(None, ge=2021, le=2100)
):
    years = program_years_visible_to(request.user).order_by("province__code", "-year")
    if year is not None:
        years = years.filter(year=year)
    return paginate(years, page, program_year_out)


@router.get(
    "/program-years/{program_year_id}",
    response={200: ProgramYearDetail, **READ_ERRORS},
    summary="A program year with its SOP calendar",
)
def program_year_detail(request, program_year_id: int = object_id()):
    year = get_object_or_404(program_years_visible_to(request.user), pk=program_year_id)
    activities = year.sop_activities.order_by("number")
    return program_year_out(year) | {
        "sop_activities": [
            {
                "number": a.number,
                "code": a.code,
                "label": a.get_code_display(),
                "amount": a.amount,
                "unit": a.unit,
                "anchor": a.anchor,
                "window_start": a.window_start,
                "output": a.output,
            }
            for a in activities
        ]
    }


class VillageOut(Schema):
    id: int
    program_year_id: int
    year: int
    office: OfficeRef
    region_code: str = Field(description="Kemendagri code of the desa/kelurahan")
    name: str
    kecamatan: str
    is_kelurahan: bool
    kind: str
    pembina: list[UserRef]
    work_plan_planned: int
    work_plan_realised: int


class VillageFilter(YearFilter):
    kind: VillageKind | None = None


def village_out(village: ParticipatingVillage) -> dict:
    return {
        "id": village.pk,
        "program_year_id": village.program_year_id,
        "year": village.program_year.year,
        "office": office_ref(village.office),
        "region_code": village.village.code,
        "name": village.village.name,
        "kecamatan": village.village.parent.name,
        "is_kelurahan": village.village.is_kelurahan,
        "kind": village.kind,
        "pembina": [{"id": u.pk, "name": u.get_full_name()} for u in village.pembina.all()],
        "work_plan_planned": village.planned,
        "work_plan_realised": village.realised,
    }


def _filtered(queryset, filters: YearFilter, *, year="program_year_id", office="office_id"):
    if filters.program_year is not None:
        queryset = queryset.filter(**{year: filters.program_year})
    if filters.office is not None:
        queryset = queryset.filter(**{office: filters.office})
    return queryset


@router.get(
    "/villages",
    response={200: page_of(VillageOut), **READ_ERRORS},
    summary="Participating villages in scope, with work-plan progress",
)
def village_list(request, page: Query[PageParams], filters: Query[VillageFilter]):
    villages = with_plan_counts(_filtered(villages_visible_to(request.user), filters))
    if filters.kind:
        villages = villages.filter(kind=filters.kind)
    return paginate(
        villages.order_by("program_year__year", "office__code", "village__code", "pk"),
        page,
        village_out,
    )


@router.get(
    "/villages/{village_id}", response={200: VillageOut, **READ_ERRORS}, summary="A village"
)
def village_detail(request, village_id: int = object_id()):
    villages = with_plan_counts(villages_visible_to(request.user))
    return village_out(get_object_or_404(villages, pk=village_id))


class ActivityOut(Schema):
    id: int
    village_id: int
    stage: str
    name: str
    pelaksana: str
    target_output: str
    planned_start: date
    planned_end: date
    realised_on: date | None
    realisation_output: str
    realisation_notes: str
    version: int = Field(description="Send it back with a change; a stale one is refused (409)")
    status: DeadlineStatus = Field(description="Deadline status")
    extended_until: date | None
    evidence: list[FileOut]


def activity_out(line) -> dict:
    a = line.activity
    return {
        "id": a.pk,
        "village_id": a.village_id,
        "stage": a.stage,
        "name": a.name,
        "pelaksana": a.pelaksana,
        "target_output": a.target_output,
        "planned_start": a.planned_start,
        "planned_end": a.planned_end,
        "realised_on": a.realised_on,
        "realisation_output": a.realisation_output,
        "realisation_notes": a.realisation_notes,
        "version": a.version,
        "status": line.status,
        "extended_until": line.extended_until,
        "evidence": [file_out(f) for f in line.evidence],
    }


@router.get(
    "/villages/{village_id}/work-plan",
    response={200: list[ActivityOut], **READ_ERRORS},
    summary="A village's work plan with realisation and deadline status",
)
def village_work_plan_list(request, village_id: int = object_id()):
    village = get_plan_village_for(request.user, village_id)
    return [activity_out(line) for group in village_work_plan(village) for line in group.lines]


@router.get(
    "/work-plan-activities/{activity_id}",
    response={200: ActivityOut, **READ_ERRORS},
    summary="One work-plan activity",
)
def activity_detail(request, activity_id: int = object_id()):
    return activity_out(activity_line(get_activity_for(request.user, activity_id)))


class RealisationIn(Schema):
    version: int = Field(ge=1, le=2**31 - 1, description="The activity's version as read")
    realised_on: date
    realisation_output: str = Field("", max_length=200, pattern=NO_NUL)
    realisation_notes: str = Field("", max_length=5000, pattern=NO_NUL)


@router.put(
    "/work-plan-activities/{activity_id}/realisation",
    auth=write_auth,
    response={200: ActivityOut, **WRITE_ERRORS},
    summary="Record or correct an activity's realisation (kab/kota team)",
    description="The same service as the page (program.services.realise_activity): the "
    "realisation date may not be in the future; a stale `version` is refused with 409 and "
    "the other change stays. Audited like a page write.",
)
def activity_realise(request, data: RealisationIn, activity_id: int = object_id()):
    activity = get_activity_for(request.user, activity_id, write=True)
    activity = services.realise_activity(
        activity,
        version=data.version,
        realised_on=data.realised_on,
        realisation_output=data.realisation_output.strip(),
        realisation_notes=data.realisation_notes.strip(),
        by=request.user,
    )
    return activity_out(activity_line(get_activity_for(request.user, activity.pk)))
