""" "Tugas saya": everything that waits on one user, each with the page to act on, oldest
deadline first; and, for the province team lead, what is overdue per office.

What waits on whom follows the roles of DESIGN.md:
- province team (tim_provinsi, ketua_tim): reports submitted for review, LKE worksheets to
  verify; ketua_tim also worksheets to finalise, dispensasi requests to decide and meetings
  held but not closed;
- kepala: recaps to sign, LKE results whose worksheets are all final;
- tim_kabkota: returned reports (with the reviewer's comment), reports due soon or overdue,
  LKE self-assessments to fill or fix, its office's open action items, and the attendance to
  confirm for the scheduled meetings its office is invited to.
Every read starts from the apps' visibility functions and the user's memberships; the number
of queries does not depend on the amount of data (one or two per kind of task)."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.deadlines import JAKARTA, Status, TrackedItem, end_of_day
from core.models import Office, Role, User
from core.permissions import memberships_of, program_offices_visible_to
from lke.models import FINAL_STATUSES, Assessment, Worksheet
from lke.models import Status as WorksheetStatus
from meetings.models import ActionItem, AttendanceConfirmation, Meeting
from meetings.queries import action_items_visible_to, meetings_visible_to
from program.models import ProgramYear
from program.queries import program_years_visible_to
from reports.models import ReportState, Review
from reports.queries import SLUG_OF, reports_visible_to
from reports.queries import tracked_items as report_items

from .models import ExtensionRequest, Recap
from .queries import extension_requests_visible_to, recaps_visible_to, tracked_items


@dataclass(frozen=True)
class Task:
    kind: str  # a short code: review, verify, close, dispensasi, sign, fix, due, fill, action,
    # attend
    title: str
    detail: str
    due: datetime | None  # the deadline, or for work waiting on a decision, since when
    url: str
    overdue: bool = False

    @property
    def sort_key(self):
        return (self.due is None, self.due or datetime.max.replace(tzinfo=JAKARTA), self.title)


def _current_years(user: User) -> list[ProgramYear]:
    """The program years in force: this calendar year's (and last year's, whose final reports
    and LKE may still be open)."""
    year = timezone.localdate().year
    return list(
        program_years_visible_to(user).filter(year__in=[year - 1, year]).select_related("province")
    )


def _roles(user: User) -> dict[str, set[int]]:
    roles: dict[str, set[int]] = defaultdict(set)
    for m in memberships_of(user):
        roles[m.role].add(m.office_id)
    return roles


def _report_url(report) -> str:
    return reverse("reports:report_detail", args=[SLUG_OF[report.kind], report.village_id])


def tasks_for(user: User, *, now: datetime | None = None) -> list[Task]:
    """Everything that waits on `user`, oldest deadline first."""
    now = now or timezone.now()
    roles = _roles(user)
    years = _current_years(user)
    year_ids = [y.pk for y in years]
    team_provinces = roles[Role.TIM_PROVINSI] | roles[Role.KETUA_TIM]
    tasks: list[Task] = []
    if team_provinces:
        tasks += _province_team_tasks(user, team_provinces, roles, year_ids)
    if roles[Role.KEPALA]:
        tasks += _kepala_tasks(user, roles[Role.KEPALA], year_ids)
    if roles[Role.TIM_KABKOTA]:
        tasks += _kabkota_tasks(user, roles[Role.TIM_KABKOTA], years, now=now)
    return sorted(tasks, key=lambda t: t.sort_key)


def _province_team_tasks(user, provinces, roles, year_ids) -> list[Task]:
    tasks = []
    submitted = (
        reports_visible_to(user)
        .filter(
            state=ReportState.SUBMITTED,
            village__office__parent_id__in=provinces,
            village__program_year_id__in=year_ids,
        )
        # what the task shows, not the joins of the report pages
        .select_related(None)
        .select_related("village__village", "village__office")
        .only(
            "kind",
            "village_id",
            "last_action_at",
            "village__village__name",
            "village__office__short_name",
        )
    )
    for report in submitted:
        tasks.append(
            Task(
                "review",
                _("Review: %(report)s, %(village)s")
                % {"report": report.get_kind_display(), "village": report.village.village.name},
                report.village.office.short_name,
                report.last_action_at,
                _report_url(report),
            )
        )
    is_lead = bool(roles[Role.KETUA_TIM] & provinces)
    wanted = [WorksheetStatus.SUBMITTED, WorksheetStatus.PROVINCIAL_VERIFICATION]
    worksheets = (
        Worksheet.objects.filter(
            office__parent_id__in=provinces,
            assessment__program_year_id__in=year_ids,
            status__in=wanted,
        )
        .select_related("office", "village__village")
        .only("pk", "status", "submitted_at", "office", "village", "target")
    )
    for ws in worksheets:
        verifying = ws.status == WorksheetStatus.PROVINCIAL_VERIFICATION
        title = (
            _("Verify or finalise the LKE of %(subject)s")
            if verifying and is_lead
            else _("Verify the LKE of %(subject)s")
        ) % {"subject": ws.subject_name}
        tasks.append(
            Task(
                "verify",
                title,
                ws.office.short_name,
                ws.submitted_at,
                reverse("lke:worksheet", args=[ws.pk]),
            )
        )
    lead_provinces = roles[Role.KETUA_TIM]
    if lead_provinces:
        held = meetings_visible_to(user).filter(
            state=Meeting.State.HELD, program_year__province_id__in=lead_provinces
        )
        for meeting in held:
            tasks.append(
                Task(
                    "close",
                    _("Close the meeting: %(title)s") % {"title": meeting.title},
                    _("Held; minutes and action items recorded?"),
                    meeting.ends_at,
                    reverse("meetings:detail", args=[meeting.pk]),
                )
            )
        asked = extension_requests_visible_to(user).filter(
            state=ExtensionRequest.State.PENDING,
            program_year__province_id__in=lead_provinces,
            program_year_id__in=year_ids,
        )
        for request in asked:
            url = reverse(
                "monitoring:extension_grant",
                args=[request.subject_type_id, request.subject_id, request.office_id],
            )
            tasks.append(
                Task(
                    "dispensasi",
                    _("Dispensasi requested: %(item)s") % {"item": request.label},
                    _("%(office)s asks for %(date)s: %(reason)s")
                    % {
                        "office": request.office.short_name,
                        "date": date_format(request.until, "DATE_FORMAT"),
                        "reason": request.reason,
                    },
                    request.requested_at,
                    f"{url}?tahun={request.program_year.year}",
                )
            )
    return tasks


def _kepala_tasks(user, provinces, year_ids) -> list[Task]:
    tasks = []
    drafts = recaps_visible_to(user).filter(
        state=Recap.State.DRAFT, program_year__province_id__in=provinces
    )
    for recap in drafts:
        tasks.append(
            Task(
                "sign",
                _("Sign the monitoring recap of period %(n)s, %(year)s")
                % {"n": recap.period, "year": recap.program_year.year},
                _("Generated by %(by)s") % {"by": recap.generated_by.get_full_name()},
                recap.generated_at,
                reverse("monitoring:recap_detail", args=[recap.pk]),
            )
        )
    not_final = Worksheet.objects.filter(assessment=OuterRef("pk")).exclude(
        status__in=FINAL_STATUSES
    )
    ready = (
        Assessment.objects.filter(
            program_year__province_id__in=provinces,
            program_year_id__in=year_ids,
            signed_off_at__isnull=True,
        )
        .annotate(worksheet_count=Count("worksheets"))
        .filter(worksheet_count__gt=0)
        .exclude(Exists(not_final))
        .select_related("program_year")
    )
    for assessment in ready:
        year = assessment.program_year.year
        tasks.append(
            Task(
                "sign",
                _("Sign the LKE results of %(year)s") % {"year": year},
                _("Every worksheet is finalised"),
                None,
                reverse("lke:results") + f"?tahun={year}",
            )
        )
    return tasks


def _kabkota_tasks(user, offices, years, *, now) -> list[Task]:
    tasks = []
    returned = reports_visible_to(user).filter(
        state=ReportState.RETURNED,
        village__office_id__in=offices,
        village__program_year__in=years,
    )
    returned = list(returned)
    comments = {}
    for review in Review.objects.filter(
        report__in=returned, decision=Review.Decision.RETURNED
    ).order_by("report_id", "at", "id"):
        comments[review.report_id] = review.comment  # the latest one wins
    returned_ids = set()
    for report in returned:
        returned_ids.add((report.village_id, report.kind))
        tasks.append(
            Task(
                "fix",
                _("Returned: %(report)s, %(village)s")
                % {"report": report.get_kind_display(), "village": report.village.village.name},
                comments.get(report.pk, ""),
                report.last_action_at,
                _report_url(report),
            )
        )
    for year in years:
        for item in report_items(year, offices, now=now):
            if item.status not in (Status.SEGERA, Status.LEWAT):
                continue
            if (item.village_id, item.activity) in returned_ids:
                continue
            tasks.append(_due_task(item))
    self_assessments = Worksheet.objects.filter(
        office_id__in=offices,
        assessment__program_year__in=years,
        status=WorksheetStatus.SELF_ASSESSMENT,
    ).select_related("office", "village__village")
    for ws in self_assessments.only("pk", "return_comment", "office", "village", "target"):
        tasks.append(
            Task(
                "fill",
                (
                    _("Fix the returned LKE of %(subject)s")
                    if ws.return_comment
                    else _("Fill in the LKE of %(subject)s")
                )
                % {"subject": ws.subject_name},
                ws.return_comment,
                None,
                reverse("lke:worksheet", args=[ws.pk]),
            )
        )
    open_items = action_items_visible_to(user).filter(
        owner_office_id__in=offices, state=ActionItem.State.OPEN
    )
    for item in open_items:
        due = end_of_day(item.due_date)
        tasks.append(
            Task(
                "action",
                _("Action item: %(text)s") % {"text": item.description[:120]},
                item.meeting.title,
                due,
                reverse("meetings:action_detail", args=[item.pk]),
                overdue=due < now,
            )
        )
    answered = AttendanceConfirmation.objects.filter(
        meeting_id=OuterRef("meeting_id"), office_id=OuterRef("office_id")
    )
    unanswered = (
        Meeting.invited_offices.through.objects.filter(
            office_id__in=offices,
            meeting__in=meetings_visible_to(user).filter(
                state=Meeting.State.SCHEDULED, starts_at__gt=now
            ),
        )
        .exclude(Exists(answered))
        .select_related("meeting", "office")
    )
    for invitation in unanswered:
        meeting = invitation.meeting
        tasks.append(
            Task(
                "attend",
                _("Confirm attendance: %(title)s") % {"title": meeting.title},
                _("%(office)s, meeting on %(when)s")
                % {
                    "office": invitation.office.short_name,
                    "when": meeting.local_start.strftime("%d-%m-%Y %H:%M WIB"),
                },
                meeting.starts_at,
                reverse("meetings:detail", args=[meeting.pk]) + "#konfirmasi",
            )
        )
    return tasks


def _due_task(item: TrackedItem) -> Task:
    overdue = item.status == Status.LEWAT
    return Task(
        "due",
        item.label,
        _("Overdue") if overdue else _("Due soon"),
        item.due,
        item.url,
        overdue=overdue,
    )


@dataclass(frozen=True)
class OfficeOverdue:
    office: Office
    items: list[TrackedItem]


def overdue_by_office(user: User, *, now: datetime | None = None) -> list[OfficeOverdue]:
    """For the province team lead: every office's overdue tracked items of the current
    program years, oldest first, offices by code. Empty for anyone else."""
    now = now or timezone.now()
    lead = _roles(user)[Role.KETUA_TIM]
    if not lead:
        return []
    result = defaultdict(list)
    offices = {}
    for year in _current_years(user):
        if year.province_id not in lead:
            continue
        ids = {o.pk: o for o in program_offices_visible_to(user, year.province)}
        offices.update(ids)
        for item in tracked_items(year, ids, now=now):
            if item.status == Status.LEWAT:
                result[item.office_id].append(item)
    return [
        OfficeOverdue(offices[pk], sorted(items, key=lambda i: i.due))
        for pk, items in sorted(result.items(), key=lambda kv: offices[kv[0]].code)
    ]
