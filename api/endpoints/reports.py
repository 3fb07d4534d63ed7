"""The three reports of each village: state, content, and every submitted version with its
review. Read only: submitting and reviewing stay on the pages."""

from datetime import date, datetime
from typing import Any

from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema

from reports.models import Report, ReportKind, ReportState, Review
from reports.queries import report_deadline, reports_visible_to, snapshot_of, versions_of

from ..errors import READ_ERRORS
from ..paging import PageParams, page_of, paginate
from .common import DeadlineStatus, OfficeRef, UserRef, YearFilter, object_id, office_ref, user_ref

router = Router(tags=["reports"])


class ReportOut(Schema):
    id: int
    kind: ReportKind
    state: ReportState
    village_id: int
    village_name: str
    region_code: str
    office: OfficeRef
    year: int
    anchor_date: date | None
    revision: int
    versions: int = Field(description="Number of submitted versions")
    first_submitted_at: datetime | None
    last_action: str
    last_action_at: datetime
    last_action_by: UserRef


class ReviewOut(Schema):
    decision: str
    comment: str
    section_comments: dict[str, Any]
    by: UserRef
    at: datetime


class VersionOut(Schema):
    number: int
    submitted_at: datetime
    submitted_by: UserRef
    review: ReviewOut | None


class DeadlineOut(Schema):
    due: datetime | None
    done_at: datetime | None
    status: DeadlineStatus
    extended_until: date | None


class ReportDetail(ReportOut):
    deadline: DeadlineOut
    content: dict[str, Any] = Field(
        description="Fields, agen statistik, needs (1001a/b) and files, as a version freezes them"
    )
    version_list: list[VersionOut]


class VersionDetail(VersionOut):
    content: dict[str, Any]


class ReportFilter(YearFilter):
    kind: ReportKind | None = None
    state: ReportState | None = None


def report_out(report: Report) -> dict:
    village = report.village
    return {
        "id": report.pk,
        "kind": report.kind,
        "state": report.state,
        "village_id": village.pk,
        "village_name": village.village.name,
        "region_code": village.village.code,
        "office": office_ref(village.office),
        "year": village.program_year.year,
        "anchor_date": report.anchor_date,
        "revision": report.revision,
        "versions": report.version_count,
        "first_submitted_at": report.first_submitted_at,
        "last_action": report.last_action,
        "last_action_at": report.last_action_at,
        "last_action_by": user_ref(report.last_action_by),
    }


def review_out(review: Review | None) -> dict | None:
    if review is None:
        return None
    return {
        "decision": review.decision,
        "comment": review.comment,
        "section_comments": review.section_comments,
        "by": user_ref(review.by),
        "at": review.at,
    }


def version_out(version) -> dict:
    reviews = list(version.reviews.all())
    return {
        "number": version.number,
        "submitted_at": version.submitted_at,
        "submitted_by": user_ref(version.submitted_by),
        "review": review_out(reviews[0] if reviews else None),
    }


def _reports(user):
    return reports_visible_to(user).annotate(version_count=Count("versions"))


@router.get(
    "/reports", response={200: page_of(ReportOut), **READ_ERRORS}, summary="Reports in scope"
)
def report_list(request, page: Query[PageParams], filters: Query[ReportFilter]):
    reports = _reports(request.user)
    if filters.program_year is not None:
        reports = reports.filter(village__program_year_id=filters.program_year)
    if filters.office is not None:
        reports = reports.filter(village__office_id=filters.office)
    if filters.kind:
        reports = reports.filter(kind=filters.kind)
    if filters.state:
        reports = reports.filter(state=filters.state)
    return paginate(
        reports.order_by("village__office__code", "village_id", "kind"), page, report_out
    )


@router.get(
    "/reports/{report_id}",
    response={200: ReportDetail, **READ_ERRORS},
    summary="A report with its content, deadline and versions",
)
def report_detail(request, report_id: int = object_id()):
    report = get_object_or_404(_reports(request.user), pk=report_id)
    deadline = report_deadline(report)
    return report_out(report) | {
        "deadline": {
            "due": deadline.due,
            "done_at": deadline.done_at,
            "status": deadline.status,
            "extended_until": deadline.extended_until,
        },
        "content": snapshot_of(report),
        "version_list": [version_out(v) for v in versions_of(report)],
    }


@router.get(
    "/reports/{report_id}/versions/{number}",
    response={200: VersionDetail, **READ_ERRORS},
    summary="One submitted version, frozen",
)
def report_version(request, report_id: int = object_id(), number: int = object_id("version")):
    report = get_object_or_404(reports_visible_to(request.user), pk=report_id)
    version = get_object_or_404(
        report.versions.select_related("submitted_by").prefetch_related(
            Prefetch("reviews", queryset=Review.objects.select_related("by"))
        ),
        number=number,
    )
    return version_out(version) | {"content": version.snapshot}
