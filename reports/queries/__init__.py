"""Reads of reports, always from what the user may see, and the reports' deadlines.

A report belongs to a participating village; who sees the village sees its reports
(program.queries.villages_visible_to). The kab/kota team of the village's office writes and
submits; the province team (tim_provinsi, ketua_tim) reviews; everyone else in scope reads."""

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Max, Min, Prefetch, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from core.deadlines import DONE_STATUSES, Status, TrackedItem, due_at, end_of_day, item_status
from core.models import Attachment, Office, Role, User
from core.permissions import PROVINCE_TEAM, has_role, memberships_of, require
from core.services import attachments_of, extensions_for
from program.models import ParticipatingVillage, ProgramYear, SopActivity, Stage, WorkPlanActivity
from program.queries import Years, villages_visible_to, years_of

from ..models import Report, ReportKind, ReportState, ReportVersion, Review

# The URL word of each kind: /laporan/<slug>/...
KIND_SLUGS = {
    "sosialisasi": ReportKind.SOSIALISASI,
    "identifikasi": ReportKind.IDENTIFIKASI,
    "akhir": ReportKind.LAPORAN_AKHIR,
}
SLUG_OF = {kind: slug for slug, kind in KIND_SLUGS.items()}
NOT_STARTED = "not_started"


def kind_from_slug(slug: str) -> str:
    try:
        return KIND_SLUGS[slug]
    except KeyError:
        raise Http404 from None


# --- who may do what ---------------------------------------------------------------------------


def can_write_reports(user: User, office: Office) -> bool:
    """The kab/kota Desa Cantik team of the village's own office writes and submits."""
    return any(
        m.role == Role.TIM_KABKOTA and m.office_id == office.pk for m in memberships_of(user)
    )


def can_review_reports(user: User, office: Office) -> bool:
    """The province team (tim_provinsi, ketua_tim) of the office's province reviews."""
    return has_role(user, office, PROVINCE_TEAM)


def reports_visible_to(user: User) -> QuerySet[Report]:
    """The reports of the villages the user sees (program.queries.villages_visible_to)."""
    return Report.objects.filter(village__in=villages_visible_to(user)).select_related(
        "village__village__parent", "village__office", "village__program_year", "last_action_by"
    )


def get_report_for(user: User, village_pk: int, kind: str, *, need: str = "read") -> Report:
    """The report of one kind of a village the user sees: 404 outside the scope. A report not
    started yet comes back unsaved (pk None) with its village set.

    `need`: "read"; "write" (the kab/kota team of the office, else 403); "edit" (as write, and
    the report is not submitted or approved, else 403: an approved report is read-only for
    everyone); "review" (the province team, else 403)."""
    village = get_object_or_404(villages_visible_to(user).prefetch_related(None), pk=village_pk)
    report = Report.objects.filter(village=village, kind=kind).first()
    if report is None:
        report = Report(village=village, kind=kind)
    else:
        report.village = village
    if need in ("write", "edit"):
        require(can_write_reports(user, village.office))
    if need == "edit":
        require(report.pk is None or report.is_editable)
    if need == "review":
        require(can_review_reports(user, village.office))
    return report


def report_files(report: Report) -> QuerySet[Attachment]:
    """Every file of a report: the current ones and those kept by its versions after removal."""
    version_ids = [str(pk) for pk in report.versions.values_list("pk", flat=True)]
    return Attachment.objects.filter(
        Q(owner_type=ContentType.objects.get_for_model(Report), owner_id=str(report.pk))
        | Q(owner_type=ContentType.objects.get_for_model(ReportVersion), owner_id__in=version_ids)
    ).select_related("uploaded_by")


def current_files(report: Report) -> list[Attachment]:
    if report.pk is None:
        return []
    return list(attachments_of(report).order_by("purpose", "uploaded_at", "id"))


def versions_of(report: Report) -> list[ReportVersion]:
    if report.pk is None:
        return []
    return list(
        report.versions.select_related("submitted_by")
        .prefetch_related(Prefetch("reviews", queryset=Review.objects.select_related("by")))
        .order_by("number")
    )


def report_signatures(office: Office, versions: list[ReportVersion], *, maker=None) -> dict:
    """The signature block of a report's PDF (core/pdf/_signatures.html): made by whoever
    submitted its last version (else `maker`, e.g. the pembina of a laporan akhir draft),
    acknowledged by the head of the kab/kota office; in the office's place, on the day of the
    last submission (today while nothing is submitted)."""
    from django.utils.translation import gettext as _

    from core.people import office_head

    last = versions[-1] if versions else None
    return {
        "place": office.place,
        "signed_on": timezone.localdate(last.submitted_at) if last else timezone.localdate(),
        "signers": [
            (
                _("Prepared by, %(office)s") % {"office": office.name},
                last.submitted_by if last else maker,
            ),
            (
                _("Acknowledged by, Head of %(office)s") % {"office": office.name},
                office_head(office),
            ),
        ],
    }


def last_return(report: Report) -> Review | None:
    """The reviewer's comments the kab/kota is working on (only while the report is returned)."""
    if report.state != ReportState.RETURNED:
        return None
    return (
        report.reviews.filter(decision=Review.Decision.RETURNED)
        .select_related("by", "version")
        .order_by("-at", "-id")
        .first()
    )


# --- deadlines ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    """A report's deadline: due at the end of the day `amount unit` after its anchor date (per
    the year's SOP calendar); met by the first submission (the SOP asks the kab/kota to make
    the report within the time standard; the province's review time is not theirs)."""

    due: datetime | None
    done_at: datetime | None
    status: Status
    extended_until: date | None
    standard: str = ""  # the time standard, e.g. "2 minggu"

    @property
    def is_done(self) -> bool:
        return self.status in DONE_STATUSES


def report_due(
    anchor: date | None, sop: SopActivity | None, program_year: ProgramYear
) -> datetime | None:
    """The end of the last day the year's SOP time standard allows from `anchor` (in working
    days when the year counts them); None while the anchor or the standard is unknown."""
    if anchor is None or sop is None:
        return None
    return due_at(anchor, sop.amount, sop.unit, working_days=program_year.working_days)


def report_status(
    due: datetime | None,
    done_at: datetime | None,
    *,
    program_year: ProgramYear,
    extended_until: date | None,
    now: datetime,
) -> Status:
    return item_status(
        due=due,
        done_at=done_at,
        now=now,
        soon_days=program_year.soon_days,
        extended_due=end_of_day(extended_until) if extended_until else None,
    )


def deadline_of(
    anchor: date | None,
    done_at: datetime | None,
    *,
    sop: SopActivity | None,
    program_year: ProgramYear,
    extended_until: date | None,
    now: datetime,
    standard: str | None = None,
) -> Deadline:
    """`standard`: the SOP's time standard as shown, when the caller has it already (it is
    translated: a list of many reports words it once per kind, not once per report)."""
    due = report_due(anchor, sop, program_year)
    status = report_status(
        due, done_at, program_year=program_year, extended_until=extended_until, now=now
    )
    return Deadline(
        due=due,
        done_at=done_at,
        status=status,
        extended_until=extended_until,
        standard=standard if standard is not None else (sop.standard_display if sop else ""),
    )


# The work-plan stage whose realisation dates a report that has no date of its own: the
# pencanangan (coordination & socialisation), the identification visit, the end of coaching.
ANCHOR_STAGES = {
    ReportKind.SOSIALISASI: Stage.KOORDINASI,
    ReportKind.IDENTIFIKASI: Stage.IDENTIFIKASI,
    ReportKind.LAPORAN_AKHIR: Stage.PELAKSANAAN,
}


def work_plan_anchors(activities: QuerySet[WorkPlanActivity]) -> dict[tuple[int, str], date]:
    """(village id, report kind) → the date the work plan says the report's event happened:
    the first realised activity of the sosialisasi and identification stages; for the final
    report, the last coaching activity once every coaching activity is realised. One query,
    grouped per village and stage by the database."""
    rows = (
        activities.filter(stage__in=ANCHOR_STAGES.values())
        .order_by()
        .values_list("village_id", "stage")
        .annotate(
            first=Min("realised_on"),
            last=Max("realised_on"),
            unrealised=Count("pk", filter=Q(realised_on__isnull=True)),
        )
    )
    kind_of = {stage: kind for kind, stage in ANCHOR_STAGES.items()}
    anchors = {}
    for village_id, stage, first, last, unrealised in rows:
        kind = kind_of[stage]
        if first is None:  # nothing of the stage realised yet
            continue
        if kind == ReportKind.LAPORAN_AKHIR:
            if not unrealised:
                anchors[(village_id, kind)] = last
        else:
            anchors[(village_id, kind)] = first
    return anchors


def done_at_of(report: Report | None) -> datetime | None:
    """When a report counts as done: its first submission, but only while it is submitted or
    approved. A returned report is open again until it is resubmitted; then its first
    submission decides whether it was on time."""
    if report is None or report.state not in (ReportState.SUBMITTED, ReportState.APPROVED):
        return None
    return report.first_submitted_at


def report_deadline(report: Report, *, now: datetime | None = None) -> Deadline:
    """The deadline of one report (or of a report not started: dated by the work plan)."""
    village = report.village
    sop = SopActivity.objects.filter(program_year=village.program_year, code=report.kind).first()
    until = None
    if report.pk is not None:
        until = extensions_for(Report, [village.office_id]).get((str(report.pk), village.office_id))
    anchor = report.anchor_date
    if anchor is None:
        anchors = work_plan_anchors(WorkPlanActivity.objects.filter(village=village))
        anchor = anchors.get((village.pk, report.kind))
    return deadline_of(
        anchor,
        done_at_of(report) if report.pk else None,
        sop=sop,
        program_year=village.program_year,
        extended_until=until,
        now=now or timezone.now(),
    )


@dataclass(frozen=True)
class ReportRow:
    """One village × one kind: the report (None when not started) and its deadline."""

    village: ParticipatingVillage
    kind: str
    report: Report | None
    deadline: Deadline

    @property
    def state(self) -> str:
        return self.report.state if self.report else NOT_STARTED

    @property
    def url(self) -> str:
        return reverse("reports:report_detail", args=[SLUG_OF[self.kind], self.village.pk])


def report_rows(
    program_year: Years,
    villages: Iterable[ParticipatingVillage],
    kinds: Collection[str],
    *,
    now: datetime | None = None,
) -> list[ReportRow]:
    """A row per village (of `program_year`, or of one of several years: each village's
    deadline by its own year's SOP calendar) and kind, villages in the given order.
    Five queries whatever the number of villages and years: the villages, their reports, the
    SOP activities, the extensions, the work plan's realisations (the anchor of a report
    without a date of its own)."""
    now = now or timezone.now()
    years = years_of(program_year)
    villages = list(villages)
    office_ids = {v.office_id for v in villages}
    reports = {
        (r.village_id, r.kind): r
        for r in Report.objects.filter(
            village__program_year__in=list(years),
            village__office_id__in=office_ids,
            kind__in=kinds,
        ).select_related("last_action_by")
    }
    sops = {
        (a.program_year_id, a.code): a
        for a in SopActivity.objects.filter(program_year__in=list(years), code__in=kinds)
    }
    standards = {key: sop.standard_display for key, sop in sops.items()}
    extensions = extensions_for(Report, office_ids) if reports else {}
    anchors = work_plan_anchors(
        WorkPlanActivity.objects.filter(
            village__program_year__in=list(years), village__office_id__in=office_ids
        )
    )
    rows = []
    for village in villages:
        year = years[village.program_year_id]
        for kind in kinds:
            report = reports.get((village.pk, kind))
            until = extensions.get((str(report.pk), village.office_id)) if report else None
            rows.append(
                ReportRow(
                    village=village,
                    kind=kind,
                    report=report,
                    deadline=deadline_of(
                        (report.anchor_date if report else None) or anchors.get((village.pk, kind)),
                        done_at_of(report),
                        sop=sops.get((village.program_year_id, kind)),
                        program_year=year,
                        extended_until=until,
                        now=now,
                        standard=standards.get((village.program_year_id, kind), ""),
                    ),
                )
            )
    return rows


class _ReportLine(NamedTuple):  # a tuple: the national view has thousands
    village_id: int
    office_id: int
    village_name: str
    kind: str
    report_id: int | None
    due: datetime | None
    done_at: datetime | None
    status: Status
    extended: bool


def _report_lines(
    program_year: Years,
    office_ids: Collection[int],
    *,
    now: datetime,
    kind: str | None = None,
    ordered: bool = True,
):
    """The deadline of every village × report kind of the year (or years) in `office_ids`, as
    plain tuples: what `tracked_items` lists and `report_counts` counts, by the same rule as
    `report_rows` (`report_due`, `report_status`, `done_at_of`'s states). Each (year, kind,
    anchor) is dated once, however many villages share it. `kind`: only the villages of that
    kind. Five queries, whatever the number of villages and years: the villages, their reports,
    the SOP activities, the extensions and the work plan's anchors (grouped in SQL)."""
    years = years_of(program_year)
    villages = ParticipatingVillage.objects.filter(
        program_year__in=list(years), office_id__in=office_ids
    )
    if kind:
        villages = villages.filter(kind=kind)
    if not ordered:
        villages = villages.order_by()
    villages = list(villages.values_list("pk", "office_id", "program_year_id", "village__name"))
    if not villages:
        return
    kinds = list(ReportKind.values)
    rows = (
        Report.objects.filter(
            village__program_year__in=list(years), village__office_id__in=office_ids
        )
        .order_by()
        .values_list("village_id", "kind", "pk", "state", "first_submitted_at", "anchor_date")
    )
    reports = {(row[0], row[1]): row[2:] for row in rows}
    sops = {
        (a.program_year_id, a.code): a
        for a in SopActivity.objects.filter(program_year__in=list(years), code__in=kinds)
    }
    extensions = extensions_for(Report, office_ids) if reports else {}
    anchors = work_plan_anchors(
        WorkPlanActivity.objects.filter(
            village__program_year__in=list(years), village__office_id__in=office_ids
        )
    )
    dues: dict[tuple[int, str, date | None], datetime | None] = {}
    counted_states = (ReportState.SUBMITTED, ReportState.APPROVED)
    for village_id, office_id, year_id, name in villages:
        year = years[year_id]
        for report_kind in kinds:
            report = reports.get((village_id, report_kind))
            if report is None:
                pk = until = done_at = None
                anchor = anchors.get((village_id, report_kind))
            else:
                pk, state, first_submitted_at, anchor_date = report
                until = extensions.get((str(pk), office_id))
                done_at = first_submitted_at if state in counted_states else None
                anchor = anchor_date or anchors.get((village_id, report_kind))
            key = (year_id, report_kind, anchor)
            if key not in dues:
                dues[key] = report_due(anchor, sops.get((year_id, report_kind)), year)
            due = dues[key]
            yield _ReportLine(
                village_id,
                office_id,
                name,
                report_kind,
                pk,
                due,
                done_at,
                report_status(due, done_at, program_year=year, extended_until=until, now=now),
                until is not None,
            )


def _item_of(line: _ReportLine, labels, prefixes, report_type: int) -> TrackedItem:
    return TrackedItem(
        activity=line.kind,
        label=f"{line.village_name}: {labels[line.kind]}",
        office_id=line.office_id,
        village_id=line.village_id,
        due=line.due,
        done_at=line.done_at,
        status=line.status,
        extended=line.extended,
        url=f"{prefixes[line.kind]}{line.village_id}/",
        subject=(report_type, str(line.report_id) if line.report_id else ""),
    )


def _item_parts() -> tuple[dict, dict, int]:
    """Each kind's name and link prefix, built once, not per item (the dashboard of a large
    province asks for over a thousand), and the content type of a report."""
    labels = {kind: str(ReportKind(kind).label) for kind in ReportKind.values}
    prefixes = {
        kind: reverse("reports:report_detail", args=[SLUG_OF[kind], 0]).removesuffix("0/")
        for kind in ReportKind.values
    }
    return labels, prefixes, ContentType.objects.get_for_model(Report).pk


def tracked_items(
    program_year: Years,
    office_ids: Collection[int],
    *,
    now: datetime | None = None,
    urgent_only: bool = False,
) -> list[TrackedItem]:
    """The three reports of every participating village of the year (or years) in
    `office_ids`, as tracked items for the dashboard: activity "sosialisasi", "identifikasi"
    or "laporan_akhir"; one item per village and kind, started or not.

    due: end of day (Jakarta) of anchor date + the year's SOP time standard; None (not yet due)
    while the anchor date is unknown (no report, or no date entered yet). done_at: the first
    submission. subject: (content type of reports.Report, report pk), the object an extension
    is granted on; ("", when the report does not exist yet: it has no deadline to extend).
    url: the report's page. Five queries whatever the number of villages and years.
    `urgent_only`: only the items overdue or due soon (those that may be an office's worst)."""
    now = now or timezone.now()
    parts = _item_parts()
    return [
        _item_of(line, *parts)
        for line in _report_lines(program_year, office_ids, now=now)
        if not urgent_only or line.status in URGENT
    ]


URGENT = (Status.LEWAT, Status.SEGERA)


def report_counts(
    program_year: Years,
    office_ids: Collection[int],
    *,
    now: datetime | None = None,
    kind: str | None = None,
    urgent: list[TrackedItem] | None = None,
) -> list[tuple[int, str, str, int]]:
    """The figures of `tracked_items` counted, without building the items: (office id,
    activity, status, number). `kind`: only the villages of that kind. `urgent`, when given,
    receives the items overdue or due soon (to pick each office's worst item from). The same
    five queries as `tracked_items`."""
    now = now or timezone.now()
    counts: dict[tuple[int, str, str], int] = defaultdict(int)
    parts = _item_parts() if urgent is not None else None
    for line in _report_lines(program_year, office_ids, now=now, kind=kind, ordered=False):
        counts[line.office_id, line.kind, line.status.value] += 1
        if parts is not None and line.status in URGENT:
            urgent.append(_item_of(line, *parts))
    return [(office_id, code, status, n) for (office_id, code, status), n in counts.items()]


def list_villages(user: User, program_year: ProgramYear) -> QuerySet[ParticipatingVillage]:
    """The year's villages the user sees, for the report lists."""
    return (
        villages_visible_to(user)
        .filter(program_year=program_year)
        .prefetch_related(None)
        .order_by("office__code", "village__name")
    )


def overview_counts(rows: list[ReportRow]) -> dict[str, dict[str, int]]:
    """Per kind: how many villages are in each state and each timeliness status."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        counts[row.kind][row.state] += 1
        counts[row.kind][row.deadline.status] += 1
        counts[row.kind]["total"] += 1
    return counts


# The rest of the reads, by sub-domain; imported here so `reports.queries.<name>` is the one
# place callers import from.
from .content import (  # noqa: E402
    AGENT_KEYS,
    NEED_KEYS,
    ContentSection,
    FieldChange,
    FieldRow,
    VersionDiff,
    content_sections,
    display_value,
    field_rows,
    snapshot_lines,
    snapshot_of,
    version_diff,
)
from .final_draft import FinalDraft, final_draft  # noqa: E402
from .needs import CoachingRow, NeedsTable, TopicRow, needs_table  # noqa: E402

__all__ = [
    "AGENT_KEYS",
    "NEED_KEYS",
    "NOT_STARTED",
    "SLUG_OF",
    "CoachingRow",
    "ContentSection",
    "Deadline",
    "FieldChange",
    "FieldRow",
    "FinalDraft",
    "NeedsTable",
    "ReportRow",
    "TopicRow",
    "VersionDiff",
    "can_review_reports",
    "can_write_reports",
    "content_sections",
    "current_files",
    "deadline_of",
    "display_value",
    "field_rows",
    "final_draft",
    "get_report_for",
    "kind_from_slug",
    "last_return",
    "list_villages",
    "needs_table",
    "overview_counts",
    "report_deadline",
    "report_files",
    "report_counts",
    "report_rows",
    "reports_visible_to",
    "snapshot_lines",
    "snapshot_of",
    "tracked_items",
    "version_diff",
    "versions_of",
]
