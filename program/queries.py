"""Reads of program years, the SOP calendar, participating villages and their work plans,
always from what the user may see."""

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, CharField, Count, F, Prefetch, Q, QuerySet, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from core.deadlines import (
    JAKARTA,
    Status,
    TrackedItem,
    add_standard,
    end_of_day,
    item_status,
    next_working_day,
)
from core.models import Attachment, AuditEvent, Office, Role, User
from core.permissions import (
    PROVINCE_TEAM,
    has_role,
    memberships_of,
    offices_visible_to,
    province_ids_visible_to,
    require,
    visible_office_ids,
)
from core.services import extensions_for

from .models import (
    ParticipatingVillage,
    ProgramYear,
    SopActivity,
    Stage,
    VillageAgent,
    WorkPlanActivity,
)

Years = ProgramYear | Collection[ProgramYear]


def years_of(program_years: Years) -> dict[int, ProgramYear]:
    """{id: year} of one program year or of several (a provider of the dashboard answers for
    one province's year, or for one year of every province at once on the national view)."""
    if isinstance(program_years, ProgramYear):
        return {program_years.pk: program_years}
    return {year.pk: year for year in program_years}


def program_years_visible_to(user: User) -> QuerySet[ProgramYear]:
    """Years of the provinces the user reaches (own province office or its kab/kota)."""
    return ProgramYear.objects.filter(province_id__in=province_ids_visible_to(user)).select_related(
        "province"
    )


def current_program_year(
    user: User, year: int | None = None, *, province: Office | None = None
) -> ProgramYear | None:
    """The requested year if visible, else this calendar year's, else the latest one; of
    `province` when given (a user who reaches several provinces names one), else of the first
    province by code."""
    years = program_years_visible_to(user).order_by("-year", "province__code")
    if province is not None:
        years = years.filter(province=province)
    years = list(years)
    if year is not None:
        return next((y for y in years if y.year == year), None)
    today = timezone.localdate().year
    return next((y for y in years if y.year == today), years[0] if years else None)


def provinces_visible_to(user: User) -> QuerySet[Office]:
    """The province offices the user reaches (its own; every one for a national user)."""
    return (
        Office.objects.filter(pk__in=province_ids_visible_to(user))
        .select_related("region")
        .order_by("code")
    )


def province_from(data, user: User) -> Office | None:
    """The province office named by `provinsi` (its code, e.g. "1700") in `data`, among those
    the user reaches; None when not named. An unknown or unreachable province is a 404."""
    raw = data.get("provinsi")
    if raw in (None, ""):
        return None
    province = provinces_visible_to(user).filter(code=str(raw)).first()
    if province is None:
        raise Http404
    return province


def program_year_from(
    data, user: User, *, required: bool = False, province: Office | None = None
) -> ProgramYear | None:
    """The program year named by `tahun` in `data` (a request's GET or POST), else the current
    one, of `province` (else of the province named by `provinsi` in `data`, else of the
    user's first province). A malformed or unknown year is a 404, and so is having none when
    `required`."""
    if province is None:
        province = province_from(data, user)
    raw = data.get("tahun")
    if raw in (None, ""):
        year = current_program_year(user, province=province)
    else:
        try:
            year = current_program_year(user, int(raw), province=province)
        except ValueError:
            raise Http404 from None
        if year is None:
            raise Http404
    if year is None and required:
        raise Http404
    return year


def villages_visible_to(user: User) -> QuerySet[ParticipatingVillage]:
    """Participating villages of the offices the user reaches, with what every list shows."""
    return (
        ParticipatingVillage.objects.filter(office_id__in=visible_office_ids(user))
        .select_related("village__parent", "office", "program_year")
        .prefetch_related(Prefetch("pembina", queryset=User.objects.order_by("full_name")))
    )


# What a refused user is told (the 403 page, and the PermissionDenied of program.services).
VILLAGES_REFUSED = gettext_lazy(
    "Only the province Desa Cantik team adds and changes participating villages."
)
CALENDAR_REFUSED = gettext_lazy(
    "Only the province team lead sets the SOP calendar of a program year."
)
WORK_PLAN_REFUSED = gettext_lazy(
    "Only the village's own regency/city Desa Cantik team writes its work plan."
)
AGENTS_REFUSED = gettext_lazy(
    "Only the village's own regency/city Desa Cantik team and the province team keep its "
    "agen statistik register."
)


def can_manage_villages(user: User, office: Office) -> bool:
    """The province team (ketua_tim, tim_provinsi) adds and edits participating villages."""
    return has_role(user, office, PROVINCE_TEAM)


def get_village_for(user: User, pk: int, *, write: bool = False) -> ParticipatingVillage:
    """404 outside the user's scope; 403 when `write` and the user may only read."""
    village = get_object_or_404(villages_visible_to(user), pk=pk)
    if write:
        require(can_manage_villages(user, village.office), VILLAGES_REFUSED)
    return village


def get_office_for(user: User, pk: int) -> Office:
    return get_object_or_404(offices_visible_to(user), pk=pk)


def start_of_day(day) -> datetime:
    return datetime.combine(day, time.min, tzinfo=JAKARTA)


def activity_status(
    activity: WorkPlanActivity, *, soon_days: int, extended_until: date | None, now: datetime
) -> Status:
    """The deadline status of a work-plan activity: due at the end of its planned end day (or
    of the extension's day), done at the start of its realisation day."""
    return item_status(
        due=end_of_day(activity.planned_end),
        done_at=start_of_day(activity.realised_on) if activity.realised_on else None,
        now=now,
        soon_days=soon_days,
        extended_due=end_of_day(extended_until) if extended_until else None,
    )


def work_plan_items(
    program_year: Years,
    office_ids: Collection[int],
    *,
    now: datetime | None = None,
    urgent_only: bool = False,
    extensions: dict[tuple[str, int], date] | None = None,
) -> list[TrackedItem]:
    """Every work-plan activity of the year's villages in `office_ids` as a tracked item, due
    at the end of its planned end day, done on its realisation day (each year's own 'due soon'
    window when several years are given). One query for the rows, one for extensions,
    whatever the number of villages and years. Reads plain tuples, not model instances, and
    builds the link once: the dashboard of a large province asks for ~1,000. `urgent_only`:
    only the open activities that may be overdue or due soon (the dashboard, which counts the
    others in SQL, picks each office's worst item from them). `extensions`: those of the
    offices, when the caller has read them already."""
    now = now or timezone.now()
    years = years_of(program_year)
    if extensions is None:
        extensions = extensions_for(WorkPlanActivity, office_ids)
    rows = WorkPlanActivity.objects.filter(
        village__program_year__in=list(years), village__office_id__in=office_ids
    )
    if urgent_only:
        widest = max((y.soon_days for y in years.values()), default=0)
        soon = now.astimezone(JAKARTA).date() + timedelta(days=widest)
        extended = {int(subject_id) for subject_id, _office in extensions}
        rows = rows.filter(realised_on__isnull=True).filter(
            Q(planned_end__lte=soon) | Q(pk__in=extended)
        )
    rows = rows.order_by("planned_end", "id").values_list(
        "pk",
        "name",
        "village_id",
        "village__office_id",
        "village__village__name",
        "planned_end",
        "realised_on",
        "village__program_year_id",
    )
    subject_type = ContentType.objects.get_for_model(WorkPlanActivity).pk
    village_url = reverse("program:village_detail", args=[0]).removesuffix("0/")
    items = []
    for pk, name, village_id, office_id, village_name, planned_end, realised_on, year in rows:
        until = extensions.get((str(pk), office_id))
        due = end_of_day(planned_end)
        done_at = start_of_day(realised_on) if realised_on else None
        items.append(
            TrackedItem(
                activity="rencana_kerja",
                label=f"{village_name}: {name}",
                office_id=office_id,
                village_id=village_id,
                due=due,
                done_at=done_at,
                status=item_status(
                    due=due,
                    done_at=done_at,
                    now=now,
                    soon_days=years[year].soon_days,
                    extended_due=end_of_day(until) if until else None,
                ),
                extended=until is not None,
                url=f"{village_url}{village_id}/#rencana-kerja",
                subject=(subject_type, str(pk)),
            )
        )
    return items


def work_plan_counts(
    program_year: Years,
    office_ids: Collection[int],
    *,
    now: datetime | None = None,
    kind: str | None = None,
    urgent: list[TrackedItem] | None = None,
) -> list[tuple[int, str, str, int]]:
    """The figures of `work_plan_items` counted in SQL: (office id, activity, status, number),
    with the status `item_status` gives each item: due at the end of the planned end day, done
    on the realisation day, 'due soon' by each year's own window (one year, or one per province
    on the national view). `kind`: only the villages of that kind. The few activities under an
    extension are read row by row (their deadline is the extension's); the others are counted
    per office and status by the database. Three queries, whatever the number of activities
    and years. `urgent`, when given, receives the items that may be an office's worst one
    (`work_plan_items(urgent_only=True)`: one query more)."""
    now = now or timezone.now()
    today = now.astimezone(JAKARTA).date()
    years = years_of(program_year)
    rows = WorkPlanActivity.objects.filter(
        village__program_year__in=list(years), village__office_id__in=office_ids
    )
    if kind:
        rows = rows.filter(village__kind=kind)
    extensions = extensions_for(WorkPlanActivity, office_ids)
    extended = {int(subject_id) for subject_id, _office in extensions}
    done = Q(realised_on__isnull=False)
    by_window: dict[int, list[int]] = defaultdict(list)
    for year in years.values():
        by_window[year.soon_days].append(year.pk)
    soon = [
        When(
            Q(planned_end__lte=today + timedelta(days=days))
            & (Q(village__program_year__in=ids) if len(by_window) > 1 else Q()),
            then=Value(Status.SEGERA.value),
        )
        for days, ids in sorted(by_window.items())
    ]
    status = Case(
        When(done & Q(realised_on__lte=F("planned_end")), then=Value(Status.TEPAT_WAKTU.value)),
        When(done, then=Value(Status.TERLAMBAT.value)),
        When(planned_end__lt=today, then=Value(Status.LEWAT.value)),
        *soon,
        default=Value(Status.BELUM_JATUH_TEMPO.value),
        output_field=CharField(),
    )
    counted = (
        rows.exclude(pk__in=extended)
        .annotate(status=status)
        .order_by()
        .values_list("village__office_id", "status")
        .annotate(n=Count("pk"))
    )
    result = [(office_id, "rencana_kerja", status, n) for office_id, status, n in counted]
    one_by_one = rows.filter(pk__in=extended).values_list(
        "pk", "village__office_id", "planned_end", "realised_on", "village__program_year_id"
    )
    for pk, office_id, planned_end, realised_on, year_id in one_by_one if extended else ():
        until = extensions.get((str(pk), office_id))
        status = item_status(
            due=end_of_day(planned_end),
            done_at=start_of_day(realised_on) if realised_on else None,
            now=now,
            soon_days=years[year_id].soon_days,
            extended_due=end_of_day(until) if until else None,
        )
        result.append((office_id, "rencana_kerja", status.value, 1))
    if urgent is not None:
        urgent += work_plan_items(
            program_year, office_ids, now=now, urgent_only=True, extensions=extensions
        )
    return result


# --- the SOP calendar ---------------------------------------------------------------------------


def can_edit_calendar(user: User, program_year: ProgramYear) -> bool:
    """Only the province team lead sets the calendar and the deadline rules of a year."""
    return has_role(user, program_year.province, {Role.KETUA_TIM})


def can_create_program_year(user: User, province: Office) -> bool:
    """The province team lead opens a program year of the province (a Django superuser, the
    national operator, for any province)."""
    return (user is not None and user.is_superuser) or has_role(user, province, {Role.KETUA_TIM})


def get_sop_activity_for(user: User, pk: int, *, write: bool = False) -> SopActivity:
    """404 when the activity's year is not of the user's province; 403 when `write` and the
    user is not its team lead."""
    activity = get_object_or_404(
        SopActivity.objects.filter(program_year__in=program_years_visible_to(user)).select_related(
            "program_year__province"
        ),
        pk=pk,
    )
    if write:
        require(can_edit_calendar(user, activity.program_year), CALENDAR_REFUSED)
    return activity


# A plausible date in the year for each event an SOP deadline counts from, to show what a rule
# means ("pencanangan on 4 May → report due 18 May"). Only an illustration, never a deadline.
EXAMPLE_EVENT_DAYS = {
    SopActivity.Code.SOSIALISASI: (5, 4),
    SopActivity.Code.IDENTIFIKASI: (6, 8),
    SopActivity.Code.LAPORAN_AKHIR: (10, 30),
}


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    due: date


@dataclass(frozen=True)
class SopRule:
    """An SOP activity with what its time standard means in its year: the periods and their
    due days (periodic), or an example anchor day and the due day it gives (event, window)."""

    activity: SopActivity
    periods: list[Period]
    example_anchor: date | None
    example_due: date | None


def period_due(end: date, *, working_days: bool) -> date:
    """A periodic activity is due on the last day of its period (with working days on, the
    next working day when that day is a weekend or holiday)."""
    return next_working_day(end) if working_days else end


def sop_rule(activity: SopActivity, *, working_days: bool) -> SopRule:
    if activity.anchor == SopActivity.Anchor.PERIODIC:
        periods = [
            Period(start, end, period_due(end, working_days=working_days))
            for start, end in activity.periods()
        ]
        return SopRule(activity, periods, None, None)
    if activity.anchor == SopActivity.Anchor.WINDOW:
        anchor = activity.window_start
    else:
        month, day = EXAMPLE_EVENT_DAYS.get(activity.code, (5, 4))
        anchor = date(activity.program_year.year, month, day)
    due = (
        add_standard(anchor, activity.amount, activity.unit, working_days=working_days)
        if anchor
        else None
    )
    return SopRule(activity, [], anchor, due)


def sop_calendar(program_year: ProgramYear) -> list[SopRule]:
    """The year's six SOP activities in SOP order, each with what its rule means."""
    activities = list(program_year.sop_activities.order_by("number"))
    for activity in activities:
        activity.program_year = program_year  # periods() reads the year; spare a query each
    return [sop_rule(a, working_days=program_year.working_days) for a in activities]


def calendar_events_for(program_year: ProgramYear) -> QuerySet[AuditEvent]:
    """The audit rows of a year's settings and of its SOP activities, newest first."""
    activity_ids = [str(pk) for pk in program_year.sop_activities.values_list("pk", flat=True)]
    return (
        AuditEvent.objects.filter(
            Q(
                object_type=ContentType.objects.get_for_model(ProgramYear),
                object_id=str(program_year.pk),
            )
            | Q(
                object_type=ContentType.objects.get_for_model(SopActivity),
                object_id__in=activity_ids,
            )
        )
        .select_related("actor")
        .order_by("-at", "-id")
    )


# --- the coaching work plan ---------------------------------------------------------------------


def can_edit_work_plan(user: User, office: Office) -> bool:
    """The kab/kota Desa Cantik team of the village's own office writes its work plan; the
    province and the office's other roles only read it."""
    return any(
        m.role == Role.TIM_KABKOTA and m.office_id == office.pk for m in memberships_of(user)
    )


def get_plan_village_for(user: User, pk: int, *, write: bool = False) -> ParticipatingVillage:
    """A village for its work plan: 404 outside the scope; 403 when `write` and the user is not
    the village office's kab/kota team."""
    village = get_object_or_404(villages_visible_to(user), pk=pk)
    if write:
        require(can_edit_work_plan(user, village.office), WORK_PLAN_REFUSED)
    return village


def get_activity_for(user: User, pk: int, *, write: bool = False) -> WorkPlanActivity:
    """A work-plan activity: 404 outside the scope; 403 when `write` and the user is not the
    village office's kab/kota team."""
    activity = get_object_or_404(
        WorkPlanActivity.objects.filter(village__in=villages_visible_to(user)).select_related(
            "village__village__parent", "village__office", "village__program_year"
        ),
        pk=pk,
    )
    if write:
        require(can_edit_work_plan(user, activity.village.office), WORK_PLAN_REFUSED)
    return activity


def evidence_of(activity: WorkPlanActivity) -> QuerySet[Attachment]:
    return Attachment.objects.filter(
        owner_type=ContentType.objects.get_for_model(WorkPlanActivity),
        owner_id=str(activity.pk),
    ).select_related("uploaded_by")


def extension_until(activity: WorkPlanActivity) -> date | None:
    return extensions_for(WorkPlanActivity, [activity.village.office_id]).get(
        (str(activity.pk), activity.village.office_id)
    )


@dataclass(frozen=True)
class PlanLine:
    activity: WorkPlanActivity
    status: Status
    extended_until: date | None
    evidence: list[Attachment]


@dataclass
class StageGroup:
    stage: Stage
    lines: list[PlanLine] = field(default_factory=list)

    @property
    def realised(self) -> int:
        return sum(1 for line in self.lines if line.activity.realised_on)


STAGE_ORDER = {stage.value: index for index, stage in enumerate(Stage)}


def village_work_plan(
    village: ParticipatingVillage, *, now: datetime | None = None
) -> list[StageGroup]:
    """The village's work plan grouped by the five stages in order (empty stages included),
    each line with its deadline status and evidence. Three queries, whatever the size."""
    now = now or timezone.now()
    activities = list(village.activities.order_by("planned_start", "planned_end", "id"))
    extensions = extensions_for(WorkPlanActivity, [village.office_id])
    evidence = defaultdict(list)
    if activities:
        for attachment in Attachment.objects.filter(
            owner_type=ContentType.objects.get_for_model(WorkPlanActivity),
            owner_id__in=[str(a.pk) for a in activities],
        ):
            evidence[attachment.owner_id].append(attachment)
    groups = {stage.value: StageGroup(stage) for stage in Stage}
    for activity in activities:
        until = extensions.get((str(activity.pk), village.office_id))
        groups[activity.stage].lines.append(
            PlanLine(
                activity=activity,
                status=activity_status(
                    activity,
                    soon_days=village.program_year.soon_days,
                    extended_until=until,
                    now=now,
                ),
                extended_until=until,
                evidence=evidence[str(activity.pk)],
            )
        )
    return list(groups.values())


@dataclass
class OverviewRow:
    """One village of an office's work-plan overview: (realised, planned) per stage in stage
    order, the totals and how many lines are overdue or due soon."""

    village: ParticipatingVillage
    cells: list[tuple[int, int]]
    realised: int
    planned: int
    overdue: int
    soon: int


def office_work_plan_overview(
    program_year: ProgramYear, office: Office, villages, *, now: datetime | None = None
) -> list[OverviewRow]:
    """Villages × stages of one office's work plans for a year, counted in SQL; the statuses
    come from `work_plan_items`. The query count does not grow with villages or activities."""
    counts = (
        WorkPlanActivity.objects.filter(village__program_year=program_year, village__office=office)
        .values("village_id", "stage")
        .annotate(planned=Count("id"), realised=Count("id", filter=Q(realised_on__isnull=False)))
    )
    cells = {(row["village_id"], row["stage"]): (row["realised"], row["planned"]) for row in counts}
    statuses = defaultdict(lambda: defaultdict(int))
    for item in work_plan_items(program_year, [office.pk], now=now):
        statuses[item.village_id][item.status] += 1
    rows = []
    for village in villages:
        row_cells = [cells.get((village.pk, stage.value), (0, 0)) for stage in Stage]
        rows.append(
            OverviewRow(
                village=village,
                cells=row_cells,
                realised=sum(done for done, _planned in row_cells),
                planned=sum(planned for _done, planned in row_cells),
                overdue=statuses[village.pk][Status.LEWAT],
                soon=statuses[village.pk][Status.SEGERA],
            )
        )
    return rows


def office_work_plan_lines(
    program_year: ProgramYear, office: Office, *, now: datetime | None = None
) -> list[tuple[ParticipatingVillage, WorkPlanActivity, Status]]:
    """Every work-plan line of an office's villages in a year, by village, stage and planned
    start, with its status. Two queries."""
    now = now or timezone.now()
    activities = WorkPlanActivity.objects.filter(
        village__program_year=program_year, village__office=office
    ).select_related("village__village__parent")
    extensions = extensions_for(WorkPlanActivity, [office.pk])
    lines = [
        (
            activity.village,
            activity,
            activity_status(
                activity,
                soon_days=program_year.soon_days,
                extended_until=extensions.get((str(activity.pk), office.pk)),
                now=now,
            ),
        )
        for activity in activities
    ]
    lines.sort(
        key=lambda line: (
            line[0].village.code,
            STAGE_ORDER[line[1].stage],
            line[1].planned_start,
            line[1].pk,
        )
    )
    return lines


def activity_line(activity: WorkPlanActivity, *, now: datetime | None = None) -> PlanLine:
    """One activity with its status and evidence, as on the village's work plan."""
    until = extension_until(activity)
    return PlanLine(
        activity=activity,
        status=activity_status(
            activity,
            soon_days=activity.village.program_year.soon_days,
            extended_until=until,
            now=now or timezone.now(),
        ),
        extended_until=until,
        evidence=list(evidence_of(activity)),
    )


def with_plan_counts(villages: QuerySet[ParticipatingVillage]) -> QuerySet[ParticipatingVillage]:
    """Villages annotated with `planned` and `realised` work-plan line counts (in SQL)."""
    return villages.annotate(
        planned=Count("activities", distinct=True),
        realised=Count(
            "activities", filter=Q(activities__realised_on__isnull=False), distinct=True
        ),
    )


# --- the agen statistik register of a village -----------------------------------------------------


def can_edit_agents(user: User, office: Office) -> bool:
    """The kab/kota Desa Cantik team of the village's own office and the province team
    (ketua_tim, tim_provinsi) keep a village's agen statistik register; the others read it."""
    return can_edit_work_plan(user, office) or has_role(user, office, PROVINCE_TEAM)


def get_agent_village_for(user: User, pk: int, *, write: bool = False) -> ParticipatingVillage:
    """A village for its agen statistik register: 404 outside the scope; 403 when `write` and
    the user may not keep the register (can_edit_agents)."""
    village = get_object_or_404(villages_visible_to(user), pk=pk)
    if write:
        require(can_edit_agents(user, village.office), AGENTS_REFUSED)
    return village


def get_agent_for(user: User, pk: int, *, write: bool = False) -> VillageAgent:
    """One agen statistik of the register: 404 outside the scope; 403 when `write` and the
    user may not keep the register."""
    agent = get_object_or_404(
        VillageAgent.objects.filter(village__in=villages_visible_to(user)).select_related(
            "village__village__parent", "village__office", "village__program_year"
        ),
        pk=pk,
    )
    if write:
        require(can_edit_agents(user, agent.village.office), AGENTS_REFUSED)
    return agent


def previous_agents(
    village: ParticipatingVillage,
) -> tuple[ParticipatingVillage | None, list[VillageAgent]]:
    """The latest earlier participation of the same desa/kelurahan (in the same province) whose
    register lists agen statistik, and those of its agents this village's register does not
    list yet by name: what program.services.copy_previous_agents copies. (None, []) when the
    village takes part for the first time or had no agents before."""
    earlier = (
        ParticipatingVillage.objects.filter(
            village_id=village.village_id,
            program_year__province_id=village.program_year.province_id,
            program_year__year__lt=village.program_year.year,
            agents__isnull=False,
        )
        .select_related("program_year")
        .order_by("-program_year__year")
        .first()
    )
    if earlier is None:
        return None, []
    listed = {name.casefold() for name in village.agents.values_list("name", flat=True)}
    return earlier, [a for a in earlier.agents.all() if a.name.casefold() not in listed]


def agent_history(village: ParticipatingVillage) -> QuerySet[AuditEvent]:
    """The audit rows of the village's register (kept on the village: a deleted agent's rows
    stay readable), newest first."""
    return (
        AuditEvent.objects.filter(
            object_type=ContentType.objects.get_for_model(ParticipatingVillage),
            object_id=str(village.pk),
            action__startswith="agent.",
        )
        .select_related("actor", "object_type")
        .order_by("-at", "-id")
    )
