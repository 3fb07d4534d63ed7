"""Reads of the dashboard and the recaps, always from what the user may see.

The dashboard knows deadline-bound work only as `core.deadlines.TrackedItem`s, returned by the
functions in PROVIDERS. A provider is `(program_year, office_ids, *, now) -> list[TrackedItem]`:
every item of that year belonging to one of `office_ids` (and nothing else), with its status
computed at `now`, in a constant number of queries whatever the number of villages.
`program_year` may also be several years (one per province: the national dashboard), each item
counted by its own year's calendar, in the same number of queries (`program.queries.years_of`).
An app that owns deadline-bound work (reports, meetings, LKE) appends its provider here and the
label of each activity code it emits to `monitoring.figures.ACTIVITY_LABELS`; the dashboard never
imports its models."""

from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cached_property

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.deadlines import JAKARTA, Status, TrackedItem, end_of_day, item_status
from core.models import Extension, Office, User
from core.permissions import (
    PROVINCE_TEAM,
    has_role,
    is_national_user,
    kabkota_offices_visible_to,
    memberships_of,
    program_offices_visible_to,
    visible_office_ids,
)
from core.services import national_office
from lke.queries import OfficeProgress
from lke.queries import progress_by_office as lke_progress
from lke.queries import tracked_items as lke_items
from meetings.queries import tracked_counts as meeting_counts
from meetings.queries import tracked_items as meeting_items
from program.models import ParticipatingVillage, ProgramYear, SopActivity, Stage, WorkPlanActivity
from program.queries import (
    Years,
    program_years_visible_to,
    provinces_visible_to,
    villages_visible_to,
    work_plan_counts,
    work_plan_items,
    years_of,
)
from reports.queries import report_counts
from reports.queries import tracked_items as report_items

from .figures import (
    WORST_FIRST,
    Dashboard,
    DashboardRow,
    Figures,
    build_dashboard,
    ordered_activities,
    rag_for,
    trend,
)
from .models import ExtensionRequest, Recap

Provider = Callable[..., list[TrackedItem]]


# --- the recap as a tracked item of the province office ---------------------------------------


def monitoring_periods(program_year: ProgramYear) -> list[tuple[date, date]]:
    """The periods of SOP activity 1 ("monitoring") of the year, e.g. six of two months."""
    sop = SopActivity.objects.filter(
        program_year=program_year, code=SopActivity.Code.MONITORING
    ).first()
    if sop is None:
        return []
    sop.program_year = program_year  # periods() reads the year; spare the query
    return sop.periods()


def period_label(number: int, start: date, end: date) -> str:
    return _("Period %(number)s (%(start)s – %(end)s)") % {
        "number": number,
        "start": date_format(start, "j F"),
        "end": date_format(end, "j F Y"),
    }


def recap_items(
    program_year: Years, office_ids: Collection[int], *, now: datetime | None = None
) -> list[TrackedItem]:
    """The bimonthly recap as the province office's own SOP item: one item per period of the
    year's "monitoring" SOP activity, due at the end of the period's last day (Jakarta), done
    once the head has signed the recap of that period, at the moment of the signature (a
    draft is work still waiting on the province). No extensions: the province does not grant
    itself one. Of several years (the national view), each by its own calendar.
    Two queries (the SOP activities and the recaps)."""
    now = now or timezone.now()
    years = {pk: y for pk, y in years_of(program_year).items() if y.province_id in office_ids}
    if not years:
        return []
    sops = list(
        SopActivity.objects.filter(program_year__in=list(years), code=SopActivity.Code.MONITORING)
    )
    if not sops:
        return []
    recaps = {
        (r.program_year_id, r.period): r
        for r in Recap.objects.filter(program_year__in=list(years)).only(
            "pk", "period", "signed_at", "program_year_id"
        )
    }
    subject_type = ContentType.objects.get_for_model(SopActivity).pk
    list_url = reverse("monitoring:recap_list")
    items = []
    for sop in sops:
        year = sop.program_year = years[sop.program_year_id]
        for number, (start, end) in enumerate(sop.periods(), start=1):
            recap = recaps.get((year.pk, number))
            due = end_of_day(end)
            done_at = recap.signed_at if recap else None
            items.append(
                TrackedItem(
                    activity=SopActivity.Code.MONITORING.value,
                    label=_("Monitoring recap, %(period)s")
                    % {"period": period_label(number, start, end)},
                    office_id=year.province_id,
                    village_id=None,
                    due=due,
                    done_at=done_at,
                    status=item_status(due=due, done_at=done_at, now=now, soon_days=year.soon_days),
                    extended=False,
                    url=reverse("monitoring:recap_detail", args=[recap.pk])
                    if recap
                    else f"{list_url}?tahun={year.year}",
                    subject=(subject_type, str(sop.pk)),
                )
            )
    return items


PROVIDERS: list[Provider] = [work_plan_items, recap_items, report_items, meeting_items, lke_items]

Counted = list[tuple[int, str, str, int]]
CountFn = Callable[..., Counted]


def office_work_counter(provider: Provider) -> CountFn:
    """A counter for a provider of an office's own work (no village: the recap, the LKE), whose
    items are few (one per office or per period) and already come from aggregates: its items,
    counted. A village kind leaves nothing (work of the office as a whole belongs to no
    village)."""

    def counter(program_year, office_ids, *, now, kind=None, urgent=None) -> Counted:
        if kind:
            return []
        counts: dict[tuple[int, str, str], int] = {}
        for item in provider(program_year, office_ids, now=now):
            key = (item.office_id, item.activity, Status(item.status).value)
            counts[key] = counts.get(key, 0) + 1
            if urgent is not None and item.status in WORST_FIRST:
                urgent.append(item)
        return [(*key, n) for key, n in counts.items()]

    counter.__doc__ = f"The items of {provider.__module__}.{provider.__name__}, counted."
    return counter


# Counters: the figures of each provider counted without building its items, `(program_year,
# office_ids, *, now, kind, urgent) -> [(office id, activity, status, number)]`, with the same
# statuses as the provider's items (a test holds each pair equal, and the dashboard counted both
# ways on a world where every provider contributes). `program_year` may be several years (the
# national view); `kind` keeps the villages of one kind; `urgent`, when a list is given,
# receives the items that may be an office's worst one (overdue or due soon). The dashboards
# count; the drill-downs, which list items, ask the providers.
COUNTERS: dict[Provider, CountFn] = {
    work_plan_items: work_plan_counts,
    recap_items: office_work_counter(recap_items),
    report_items: report_counts,
    meeting_items: meeting_counts,
    lke_items: office_work_counter(lke_items),
}


def counted_figures(
    program_year: Years,
    office_ids: Collection[int],
    *,
    now: datetime,
    kind: str | None = None,
    urgent: list[TrackedItem] | None = None,
) -> tuple[Counted, list[TrackedItem]]:
    """Every provider's figures for the year (or years) and offices: counted by its counter,
    or, for a provider without one, from its items. Returns the counts and the items of the
    providers without a counter."""
    office_ids = frozenset(office_ids)
    counted: Counted = []
    items: list[TrackedItem] = []
    for provider in PROVIDERS:
        counter = COUNTERS.get(provider)
        if counter is not None:
            counted += counter(program_year, office_ids, now=now, kind=kind, urgent=urgent)
        else:
            items += provider(program_year, office_ids, now=now)
    return counted, items


def tracked_items(
    program_year: Years, office_ids: Collection[int], *, now: datetime
) -> list[TrackedItem]:
    """Every provider's items for the year (or the years: one per province on the national
    view) and offices: one call per provider."""
    office_ids = frozenset(office_ids)
    items: list[TrackedItem] = []
    for provider in PROVIDERS:
        items.extend(provider(program_year, office_ids, now=now))
    return items


# --- the province dashboard -------------------------------------------------------------------


def dashboard_offices(user: User, program_year: ProgramYear) -> list[Office]:
    """The offices of the year's province the user may read: kab/kota by code, then the
    province office itself (whose own SOP items, such as the recap, are tracked too)."""
    offices = program_offices_visible_to(user, program_year.province)
    return sorted(offices, key=lambda o: (o.is_province, o.code))


def kabkota_choices(user: User, program_year: ProgramYear) -> QuerySet[Office]:
    """The kab/kota offices of the year's province the user may read (the dashboard filter)."""
    return kabkota_offices_visible_to(user, program_year.province)


def _dashboard(
    program_year: ProgramYear,
    offices: list[Office],
    *,
    kind: str | None,
    now: datetime,
    items: list[TrackedItem] | None = None,
) -> Dashboard:
    ids = [o.pk for o in offices]
    villages = ParticipatingVillage.objects.filter(
        program_year=program_year, office_id__in=ids
    ).values_list("pk", "office_id", "kind")
    if kind:
        villages = villages.filter(kind=kind)
    village_counts: dict[int, int] = {}
    village_ids = set()
    for pk, office_id, _kind in villages:
        village_counts[office_id] = village_counts.get(office_id, 0) + 1
        village_ids.add(pk)
    counted: Counted = []
    urgent: list[TrackedItem] = []
    if items is None:
        counted, items = counted_figures(program_year, ids, now=now, kind=kind, urgent=urgent)
    if kind:
        # A village kind narrows the figures to the items of villages of that kind; work of the
        # office as a whole (a recap, a meeting) belongs to no village and drops out.
        items = [i for i in items if i.village_id in village_ids]
        urgent = [i for i in urgent if i.village_id in village_ids]
    return build_dashboard(offices, village_counts, items, now=now, counted=counted, urgent=urgent)


def province_dashboard(
    user: User,
    program_year: ProgramYear,
    *,
    office: Office | None = None,
    kind: str | None = None,
    now: datetime | None = None,
) -> Dashboard:
    """One row per office of the year's province the user may read (kab/kota, then the
    province office's own SOP items), with per-activity figures and province totals.

    `office` narrows to one kab/kota; `kind` to the villages of one kind. Either filter drops
    the province office's row. Queries: offices, villages, and each provider's own (constant
    in the number of villages)."""
    now = now or timezone.now()
    offices = dashboard_offices(user, program_year)
    if office is not None:
        offices = [o for o in offices if o.pk == office.pk]
    if office is not None or kind:
        offices = [o for o in offices if not o.is_province]
    return _dashboard(program_year, offices, kind=kind, now=now)


def items_as_of(items: list[TrackedItem], moment: datetime, *, soon_days: int) -> list[TrackedItem]:
    """The items as they stood at `moment`: work done after it is open again (overdue, due
    soon, under dispensasi or not yet due as it was then). One query (the extensions)."""
    later = [i for i in items if i.done_at is not None and i.done_at > moment]
    if not later:
        return items
    extensions = _extension_dates({i.office_id for i in later})
    result = []
    for item in items:
        if item.done_at is not None and item.done_at > moment:
            until = extensions.get((*item.subject, item.office_id)) if item.extended else None
            status = item_status(
                due=item.due,
                done_at=None,
                now=moment,
                soon_days=soon_days,
                extended_due=end_of_day(until) if until else None,
            )
            item = replace(item, done_at=None, status=status)
        result.append(item)
    return result


def recap_dashboard(program_year: ProgramYear, *, now: datetime) -> Dashboard:
    """The figures a recap freezes, as they stood at `now` (the end of the recap's period, or
    the moment of generation while the period runs): every kab/kota of the year's province
    and the province office itself, whoever generates it. Work done after `now` is not
    counted, however late the recap is generated."""
    province = program_year.province_id
    offices = sorted(
        Office.objects.filter(Q(pk=province) | Q(parent_id=province)),
        key=lambda o: (o.is_province, o.code),
    )
    items = tracked_items(program_year, [o.pk for o in offices], now=now)
    items = items_as_of(items, now, soon_days=program_year.soon_days)
    return _dashboard(program_year, offices, kind=None, now=now, items=items)


# --- drill-downs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemLine:
    """A tracked item as the drill-downs list it, with the deadline in force."""

    item: TrackedItem
    deadline: datetime | None  # the extension's date when one was granted, else the due date
    stage: str = ""

    @property
    def sort_key(self):
        return (self.deadline is None, self.deadline or datetime.max.replace(tzinfo=JAKARTA))


def _extension_dates(office_ids: Collection[int]) -> dict[tuple[int, str, int], date]:
    rows = Extension.objects.filter(office_id__in=office_ids).values_list(
        "subject_type_id", "subject_id", "office_id", "until"
    )
    return {(t, s, o): until for t, s, o, until in rows}


def _lines(items, office_ids, stages: dict[tuple[int, str], str]) -> list[ItemLine]:
    extensions = _extension_dates(office_ids)
    lines = []
    for item in items:
        until = extensions.get((*item.subject, item.office_id)) if item.extended else None
        deadline = end_of_day(until) if until else item.due
        lines.append(ItemLine(item, deadline, stages.get(item.subject, "")))
    return sorted(lines, key=lambda line: line.sort_key)


def _work_plan_stages(village_ids) -> tuple[list[tuple], dict[tuple[int, str], str]]:
    """(village id, stage, realised?, subject) per work-plan activity, and subject → stage."""
    subject_type = ContentType.objects.get_for_model(WorkPlanActivity).pk
    rows = WorkPlanActivity.objects.filter(village_id__in=village_ids).values_list(
        "pk", "village_id", "stage", "realised_on"
    )
    plan = [
        (v, stage, realised is not None, (subject_type, str(pk))) for pk, v, stage, realised in rows
    ]
    return plan, {subject: stage for _v, stage, _r, subject in plan}


@dataclass
class StageCell:
    planned: int = 0
    done: int = 0
    overdue: int = 0

    @property
    def state(self) -> str:
        if not self.planned:
            return "empty"
        if self.overdue:
            return "overdue"
        return "done" if self.done == self.planned else "partial"


@dataclass
class OfficeOverview:
    office: Office
    row: DashboardRow
    activities: list[str]
    villages: list[tuple[ParticipatingVillage, list[StageCell]]]
    upcoming: list[ItemLine]
    overdue: list[ItemLine]


def office_overview(
    user: User, office: Office, program_year: ProgramYear, *, now: datetime | None = None
) -> OfficeOverview:
    """One office's figures, its villages × the five coaching stages (planned, done and
    overdue work-plan activities per cell), its open items by deadline and its overdue ones.
    The caller has fetched `office` through the user's scope."""
    now = now or timezone.now()
    items = tracked_items(program_year, [office.pk], now=now)
    dashboard = _dashboard(program_year, [office], kind=None, now=now, items=items)
    villages = list(villages_visible_to(user).filter(office=office, program_year=program_year))
    plan, stages = _work_plan_stages([v.pk for v in villages])
    status_of = {i.subject: i.status for i in items}
    cells = {v.pk: {s: StageCell() for s in Stage.values} for v in villages}
    for village_id, stage, realised, subject in plan:
        cell = cells[village_id][stage]
        cell.planned += 1
        cell.done += realised
        cell.overdue += status_of.get(subject) == Status.LEWAT
    lines = _lines([i for i in items if not i.is_done], [office.pk], stages)
    return OfficeOverview(
        office=office,
        row=dashboard.rows[0],
        activities=dashboard.activities,
        villages=[(v, [cells[v.pk][s] for s in Stage.values]) for v in villages],
        upcoming=[line for line in lines if line.item.status != Status.LEWAT],
        overdue=[line for line in lines if line.item.status == Status.LEWAT],
    )


@dataclass
class StageTimeline:
    stage: str
    label: str
    start: date | None
    end: date | None
    lines: list[ItemLine]

    @property
    def done(self) -> int:
        return sum(1 for line in self.lines if line.item.is_done)

    @property
    def overdue(self) -> int:
        return sum(1 for line in self.lines if line.item.status == Status.LEWAT)


@dataclass
class VillageTimeline:
    village: ParticipatingVillage
    row: Figures
    stages: list[StageTimeline]
    others: list[ItemLine]  # tracked items of the village outside the work plan (reports, ...)


def village_timeline(village: ParticipatingVillage, *, now: datetime | None = None):
    """A participating village's stages (span of their planned work, items by deadline) and its
    other tracked items. The caller has fetched `village` through the user's scope."""
    now = now or timezone.now()
    items = [
        i
        for i in tracked_items(village.program_year, [village.office_id], now=now)
        if i.village_id == village.pk
    ]
    spans = {}
    for start, end, stage in WorkPlanActivity.objects.filter(village=village).values_list(
        "planned_start", "planned_end", "stage"
    ):
        first, last = spans.get(stage, (start, end))
        spans[stage] = (min(first, start), max(last, end))
    _plan, stages = _work_plan_stages([village.pk])
    lines = _lines(items, [village.office_id], stages)
    figures = Figures()
    for item in items:
        figures.count(item.status)
    return VillageTimeline(
        village=village,
        row=figures,
        stages=[
            StageTimeline(
                stage=value,
                label=label,
                start=spans.get(value, (None, None))[0],
                end=spans.get(value, (None, None))[1],
                lines=[line for line in lines if line.stage == value],
            )
            for value, label in Stage.choices
        ],
        others=[line for line in lines if not line.stage],
    )


# --- extensions -------------------------------------------------------------------------------


def can_grant_extensions(user: User, office: Office) -> bool:
    """Only the province team lead grants a dispensasi, and only to a kab/kota office."""
    return not office.is_province and has_role(user, office, {"ketua_tim"})


def extensible_item(
    program_year: ProgramYear,
    office: Office,
    subject_type_id: int,
    subject_id: str,
    *,
    now: datetime | None = None,
):
    """The tracked item of `office` whose subject is (type, id), with its deadline in force and
    the subject object; 404 when no provider reports such an item for that office (so an
    extension can only be granted on that office's own work)."""
    now = now or timezone.now()
    subject = (subject_type_id, subject_id)
    items = [i for i in tracked_items(program_year, [office.pk], now=now) if i.subject == subject]
    if not items or items[0].office_id != office.pk:
        raise Http404
    line = _lines(items[:1], [office.pk], {})[0]
    try:
        model = ContentType.objects.get_for_id(subject_type_id).model_class()
    except ContentType.DoesNotExist:
        raise Http404 from None
    if model is None:
        raise Http404
    return line, get_object_or_404(model, pk=subject_id)


def extension_requests_visible_to(user: User) -> QuerySet[ExtensionRequest]:
    """Dispensasi requests of the offices the user reaches (a request's year is its office's
    province's, so reaching the office is reaching the year)."""
    return ExtensionRequest.objects.filter(office_id__in=visible_office_ids(user)).select_related(
        "office", "program_year", "requested_by"
    )


def get_extension_request_for(user: User, pk: int) -> ExtensionRequest:
    return get_object_or_404(extension_requests_visible_to(user), pk=pk)


# --- recaps -----------------------------------------------------------------------------------


def recaps_visible_to(user: User) -> QuerySet[Recap]:
    """Recaps of the provinces the user reaches. A kab/kota user reads them too, but only its
    own office's rows (see `recap_view`)."""
    return Recap.objects.filter(program_year__in=program_years_visible_to(user)).select_related(
        "program_year__province", "generated_by", "signed_by"
    )


def get_recap_for(user: User, pk: int) -> Recap:
    return get_object_or_404(recaps_visible_to(user), pk=pk)


def can_generate_recaps(user: User, province: Office) -> bool:
    return has_role(user, province, PROVINCE_TEAM)


def can_sign_recaps(user: User, province: Office) -> bool:
    return has_role(user, province, {"kepala"})


def previous_recap(recap: Recap) -> Recap | None:
    """The latest recap of an earlier period of the same program year (a new year has other
    villages, so its first recap has nothing to compare with)."""
    return (
        Recap.objects.filter(program_year=recap.program_year, period__lt=recap.period)
        .order_by("-period")
        .first()
    )


@dataclass
class RecapLine:
    row: DashboardRow
    trend: dict[str, float | None]


@dataclass
class RecapView:
    """A recap as one user may read it: the frozen rows of the offices it may see, each with
    its trend against the previous recap, and the province totals only for province readers."""

    recap: Recap
    dashboard: Dashboard
    previous: Recap | None
    lines: list[RecapLine]
    totals: RecapLine | None

    @property
    def kabkota_lines(self) -> list[RecapLine]:
        return [line for line in self.lines if not line.row.is_province]

    @property
    def province_lines(self) -> list[RecapLine]:
        return [line for line in self.lines if line.row.is_province]

    @property
    def kabkota_activities(self) -> list[str]:
        rows = [line.row for line in self.kabkota_lines]
        return Dashboard.activities_of(rows, self.dashboard.activities)

    @property
    def province_activities(self) -> list[str]:
        rows = [line.row for line in self.province_lines]
        return Dashboard.activities_of(rows, self.dashboard.activities)


def recap_view(user: User, recap: Recap) -> RecapView:
    dashboard = Dashboard.from_snapshot(recap.snapshot)
    previous = previous_recap(recap)
    before = Dashboard.from_snapshot(previous.snapshot) if previous else None
    visible = visible_office_ids(user)
    lines = []
    for row in dashboard.rows:
        if row.office_id not in visible:
            continue
        old = before.row_for(row.office_id) if before else None
        lines.append(RecapLine(row, trend(row.total, old.total if old else None)))
    sees_province = recap.program_year.province_id in visible
    totals = None
    if sees_province:
        totals = RecapLine(
            dashboard.totals, trend(dashboard.totals.total, before.totals.total if before else None)
        )
    return RecapView(recap, dashboard, previous, lines, totals)


def kabkota_offices_of(user: User) -> list[Office]:
    """The kab/kota offices the user holds a membership in (where a kab/kota user lands)."""
    return [m.office for m in memberships_of(user) if m.office.kind == Office.Kind.KABKOTA]


# --- the national dashboard -------------------------------------------------------------------


@dataclass
class ProvinceLine:
    """One province of the national dashboard: its program year, the totals of its kab/kota
    rows exactly as its own dashboard counts them (by its own calendar), how many kab/kota
    offices it has and their LKE worksheets' progress."""

    province: Office
    year: ProgramYear
    row: DashboardRow
    kabkota: int
    lke: OfficeProgress
    calendar: dict[str, SopActivity] = field(default_factory=dict)  # SOP code → its standard

    @property
    def code(self) -> str:
        return self.province.code

    def standard(self, code: str) -> SopActivity | None:
        return self.calendar.get(code)


@dataclass
class NationalDashboard:
    year: int
    as_of: datetime
    activities: list[str]
    lines: list[ProvinceLine]
    totals: DashboardRow
    lke: OfficeProgress
    office: Office  # the national office (BPS RI), whose name heads the national documents

    @cached_property
    def sop_codes(self) -> list[str]:
        """The SOP activities (codes, in SOP order) of the provinces' calendars."""
        codes = {code for line in self.lines for code in line.calendar}
        return [code for code in SopActivity.Code.values if code in codes]

    @cached_property
    def sop_columns(self) -> list[tuple[str, str, str | None]]:
        """(code, label, the usual standard) of each SOP activity of the calendars. Worked out
        once: the page asks on every province's row."""
        return [(c, SopActivity.Code(c).label, self.usual(c)) for c in self.sop_codes]

    def usual(self, code: str) -> str | None:
        """The time standard most provinces use for an SOP activity (a different one is
        marked on the calendars table)."""
        counts: dict[str, int] = {}
        for line in self.lines:
            sop = line.standard(code)
            if sop is not None:
                shown = sop.standard_display
                counts[shown] = counts.get(shown, 0) + 1
        return max(counts, key=counts.get) if counts else None


def national_provinces(user: User) -> QuerySet[Office]:
    """The province offices a national user reads (every one), by code; none for another
    user: the national dashboard is for BPS RI."""
    if not is_national_user(user):
        return Office.objects.none()
    return provinces_visible_to(user)


def national_years(user: User) -> list[int]:
    """The program years (numbers) any province the user reads has, newest first."""
    return sorted(
        set(
            program_years_visible_to(user)
            .filter(province__in=national_provinces(user))
            .values_list("year", flat=True)
        ),
        reverse=True,
    )


def national_dashboard(user: User, year: int, *, now: datetime | None = None) -> NationalDashboard:
    """Every province with a program year `year` as one row: the totals over its kab/kota
    offices per activity (each province's items computed with its own year's SOP calendar and
    working-day rule, as its own dashboard shows them), its villages and its kab/kota offices'
    LKE progress; and the national totals over the provinces."""
    now = now or timezone.now()
    provinces = {p.pk: p for p in national_provinces(user)}
    years = list(
        ProgramYear.objects.filter(province_id__in=provinces, year=year).order_by("province__code")
    )
    offices_of: dict[int, list[Office]] = {}
    for office in Office.objects.filter(parent_id__in=[y.province_id for y in years]).order_by(
        "code"
    ):
        offices_of.setdefault(office.parent_id, []).append(office)
    village_counts: dict[int, int] = {}
    for office_id in ParticipatingVillage.objects.filter(program_year__in=years).values_list(
        "office_id", flat=True
    ):
        village_counts[office_id] = village_counts.get(office_id, 0) + 1
    kabkota_ids = [o.pk for offices in offices_of.values() for o in offices]
    progress = lke_progress(years, kabkota_ids)
    calendars: dict[int, dict[str, SopActivity]] = {}
    for sop in SopActivity.objects.filter(program_year__in=years).order_by("number"):
        calendars.setdefault(sop.program_year_id, {})[sop.code] = sop
    empty = OfficeProgress(0, 0, 0, 0, 0)
    counted, items = counted_figures(years, kabkota_ids, now=now)
    counted_of: dict[int, Counted] = {}
    for row in counted:
        counted_of.setdefault(row[0], []).append(row)
    items_of: dict[int, list[TrackedItem]] = {}
    for item in items:
        items_of.setdefault(item.office_id, []).append(item)
    lines = []
    for program_year in years:
        program_year.province = provinces[program_year.province_id]
        offices = offices_of.get(program_year.province_id, [])
        ids = [o.pk for o in offices]
        row = _province_row(
            [item for office_id in ids for item in items_of.get(office_id, [])],
            [row for office_id in ids for row in counted_of.get(office_id, [])],
            sum(village_counts.get(office_id, 0) for office_id in ids),
        )
        lke = empty
        for office_id in ids:
            lke = lke + progress.get(office_id, empty)
        lines.append(
            ProvinceLine(
                province=program_year.province,
                year=program_year,
                row=row,
                kabkota=len(offices),
                lke=lke,
                calendar=calendars.get(program_year.pk, {}),
            )
        )
    codes = ordered_activities(
        c for line in lines for c, f in line.row.activities.items() if f.total
    )
    national: dict[str, Figures] = {code: Figures() for code in codes}
    total_lke = empty
    for line in lines:
        for code in codes:
            national[code].merge(line.row.activity(code))
        total_lke = total_lke + line.lke
    totals = _national_row(national, sum(line.row.villages for line in lines))
    return NationalDashboard(year, now, codes, lines, totals, total_lke, national_office())


def _province_row(items: list[TrackedItem], counted: Counted, villages: int) -> DashboardRow:
    """A province's kab/kota offices counted together: the totals row of its own dashboard
    (`build_dashboard` adds up the kab/kota rows; counting their items and counts at once
    gives the same figures without a row per office)."""
    figures: dict[str, Figures] = {}
    for item in items:
        figures.setdefault(item.activity, Figures()).count(item.status)
    for _office_id, activity, status, n in counted:
        figures.setdefault(activity, Figures()).count(status, n)
    return _national_row({code: figures[code] for code in ordered_activities(figures)}, villages)


def _national_row(figures: dict[str, Figures], villages: int) -> DashboardRow:
    total = Figures()
    for f in figures.values():
        total.merge(f)
    return DashboardRow(None, "", "", "", False, villages, figures, total, rag_for(total).value)
