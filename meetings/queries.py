"""Reads of meetings and action items, always from what the user may see, and the meetings'
contribution to the monitoring dashboard (tracked items and the cadence panel).

Visibility: a province member (any role at the province office) sees every meeting of the
province's program years, drafts included; a kab/kota member sees the meetings its office is
invited to once they are scheduled. Action items are seen by whoever reaches their owner
office (the province reaches all its kab/kota)."""

from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.deadlines import JAKARTA, Status, TrackedItem, end_of_day, item_status
from core.models import AuditEvent, Office, Role, User
from core.permissions import PROVINCE_TEAM, has_role, memberships_of, require, visible_office_ids
from core.services import audit_events_for, extensions_for
from program.models import ProgramYear, SopActivity
from program.queries import Years, years_of

from .models import ActionItem, Attendance, Meeting

RAPAT = SopActivity.Code.RAPAT.value  # the SOP activity code of the meeting cadence
TINDAK_LANJUT = "tindak_lanjut"  # the activity code of action items on the dashboard
Invitation = Meeting.invited_offices.through

# --- visibility and permissions ----------------------------------------------------------------

# What a refused role is told (the 403 page, a command's error), one message per rule below.
MANAGE_REFUSED = gettext_lazy(
    "Only the province Desa Cantik team (ketua tim, tim provinsi) manages its meetings and "
    "their action items."
)
CLOSE_REFUSED = gettext_lazy("Only the province team lead (ketua tim) closes a meeting.")
CORRECTION_REFUSED = gettext_lazy(
    "After a meeting is closed, only the province team lead (ketua tim) corrects its record."
)
CONFIRM_REFUSED = gettext_lazy(
    "Only the regency/city team (tim kab/kota) of an invited office confirms its attendance."
)
MARK_DONE_REFUSED = gettext_lazy(
    "Only the team of the office that owns an action item marks it done."
)


def meetings_visible_to(user: User) -> QuerySet[Meeting]:
    """Meetings the user may read (see the module docstring), with their program year."""
    office_ids = visible_office_ids(user)
    provinces = Office.objects.filter(pk__in=office_ids, kind=Office.Kind.PROVINSI).values("pk")
    invited = Invitation.objects.filter(meeting_id=OuterRef("pk"), office_id__in=office_ids)
    return Meeting.objects.filter(
        Q(program_year__province_id__in=provinces)
        | (Exists(invited) & ~Q(state=Meeting.State.DRAFT))
    ).select_related("program_year__province")


def can_manage(user: User, province: Office) -> bool:
    """The province team (ketua_tim, tim_provinsi) creates, schedules, holds and records
    meetings of its province."""
    return has_role(user, province, PROVINCE_TEAM)


def can_record(user: User, meeting: Meeting) -> bool:
    """Attendance, minutes and action items: the province team while the meeting is held;
    after closing only ketua_tim (as a correction with a reason)."""
    province = meeting.program_year.province
    if meeting.state == Meeting.State.HELD:
        return can_manage(user, province)
    if meeting.state == Meeting.State.CLOSED:
        return has_role(user, province, {Role.KETUA_TIM})
    return False


def can_confirm_attendance(user: User, meeting: Meeting, office: Office) -> bool:
    """The tim_kabkota of an invited kab/kota office answers the meeting's invitation for its
    office (when it may, before the start, is the service's state check)."""
    return (
        not office.is_province
        and has_role(user, office, {Role.TIM_KABKOTA})
        and meeting.invited_offices.filter(pk=office.pk).exists()
    )


def confirming_office(user: User, meeting: Meeting, *, now: datetime | None = None):
    """The invited kab/kota office whose attendance the user (its tim_kabkota) may confirm
    now, before the scheduled meeting starts; None otherwise."""
    if meeting.state != Meeting.State.SCHEDULED or (now or timezone.now()) >= meeting.starts_at:
        return None
    own = {m.office_id for m in memberships_of(user) if m.role == Role.TIM_KABKOTA}
    return meeting.invited_offices.filter(pk__in=own).order_by("code").first()


def can_close(user: User, meeting: Meeting) -> bool:
    return has_role(user, meeting.program_year.province, {Role.KETUA_TIM})


def get_meeting_for(user: User, pk: int, *, write: bool = False) -> Meeting:
    """404 outside the user's scope; 403 when `write` and the user is not of the province
    team."""
    meeting = get_object_or_404(meetings_visible_to(user), pk=pk)
    if write:
        require(can_manage(user, meeting.program_year.province))
    return meeting


def action_items_visible_to(user: User) -> QuerySet[ActionItem]:
    """Action items whose owner office the user reaches, with their meeting and owner."""
    return ActionItem.objects.filter(owner_office_id__in=visible_office_ids(user)).select_related(
        "meeting__program_year__province", "owner_office", "done_by", "confirmed_by"
    )


def invited_offices_visible_to(user: User, meeting: Meeting) -> QuerySet[Office]:
    """The meeting's invited offices the user reaches, by code: the province sees every
    invitation, a kab/kota its own."""
    return meeting.invited_offices.filter(pk__in=visible_office_ids(user)).order_by("code")


def with_invitations_visible_to(user: User, meetings: QuerySet[Meeting]) -> QuerySet[Meeting]:
    """`meetings` with `invited_offices` prefetched as invited_offices_visible_to has them
    (by code), for lists."""
    offices = Office.objects.filter(pk__in=visible_office_ids(user)).order_by("code")
    return meetings.prefetch_related(Prefetch("invited_offices", queryset=offices))


def attendance_visible_to(user: User, meeting: Meeting) -> QuerySet[Attendance]:
    """The meeting's attendance rows (status, who attended, note) of the offices the user
    reaches: the province sees all, a kab/kota its own row."""
    return meeting.attendances.filter(office_id__in=visible_office_ids(user)).select_related(
        "office"
    )


def can_mark_done(user: User, item: ActionItem) -> bool:
    """The owner office's own team marks its action items done: tim_kabkota of a kab/kota
    office, the province team for the province office's own items."""
    owner = item.owner_office
    return has_role(user, owner, PROVINCE_TEAM if owner.is_province else {Role.TIM_KABKOTA})


def can_review(user: User, item: ActionItem) -> bool:
    """The province team confirms or reopens action items and corrects them."""
    return can_manage(user, item.meeting.program_year.province)


def get_action_item_for(user: User, pk: int) -> ActionItem:
    """404 outside the user's scope. Writes check can_mark_done / can_review (403)."""
    return get_object_or_404(action_items_visible_to(user), pk=pk)


# --- one meeting as its viewer may see it --------------------------------------------------------

# Audit rows on a meeting that concern one office's attendance (their changes are keyed by the
# office's short name) or one office's action item (the row's office is the owner office).
ATTENDANCE_ACTIONS = frozenset(
    {"meeting.attendance", "meeting.correct_attendance", "meeting.confirm_attendance"}
)
ACTION_ITEM_ACTIONS = frozenset(
    {"meeting.action_item", "meeting.correct_action_items", "meeting.action_item_delete"}
)


def _attendance_rows(invited: list[Office], recorded: list[Attendance]) -> list[dict]:
    by_office = {a.office_id: a for a in recorded}
    rows = []
    for number, office in enumerate(invited, start=1):
        row = by_office.get(office.pk)
        rows.append(
            {
                "number": number,
                "office": office,
                "status": row.get_status_display() if row else _("Not recorded"),
                "code": row.status if row else "",
                "present": bool(row and row.status == Attendance.Status.HADIR),
                "attendees": row.attendee_list if row else [],
                "note": row.note if row else "",
            }
        )
    return rows


def _period_text(meeting: Meeting) -> str:
    for start, end in meeting_periods(meeting.program_year):
        if start == meeting.period_start:
            return period_label(start, end)
    return formats.date_format(meeting.period_start, "F Y")


def meeting_history_visible_to(user: User, meeting: Meeting) -> list[AuditEvent]:
    """The meeting's audit rows (newest first) as the user may read them. The province sees
    every row. A kab/kota user sees the rows about the meeting itself, the attendance changes
    of its own offices only (the row keeps the changes keyed by its offices' names, without
    the reason written for the other offices; a row with none is left out), the rows about
    its own offices' action items, and invitation lists cut to its own offices."""
    events = list(audit_events_for(meeting))
    office_ids = visible_office_ids(user)
    if meeting.program_year.province_id in office_ids:
        return events
    names = set(Office.objects.filter(pk__in=office_ids).values_list("short_name", flat=True))
    shown = []
    for event in events:
        if event.action in ACTION_ITEM_ACTIONS:
            if event.office_id in office_ids:
                shown.append(event)
            continue
        changes = dict(event.changes)
        if event.action in ATTENDANCE_ACTIONS:
            changes = {name: pair for name, pair in changes.items() if name in names}
            if not changes:
                continue
            if len(changes) < len(event.changes):
                event.reason = ""
        if "invited_offices" in changes:
            changes["invited_offices"] = [
                [name for name in side if name in names] if isinstance(side, list) else side
                for side in changes["invited_offices"]
            ]
        event.changes = changes  # shown only; the row itself is never saved again
        shown.append(event)
    return shown


def meeting_record_for(user: User, meeting: Meeting, *, history: bool = False) -> dict:
    """One meeting as `user` may see it: what the meeting page, its Riwayat, the Laporan rapat
    (PDF, DOCX) and the daftar hadir print, gathered once, in a constant number of queries.

    Everyone who sees the meeting gets its common parts (facts, agenda with minutes,
    decisions, invited province staff). Attendance and action items are only those of the
    offices the user reaches (attendance_visible_to, action_items_visible_to): the province
    sees every office, a kab/kota its own; the counts are over those rows. With `history`,
    `events` holds the Riwayat (meeting_history_visible_to)."""
    invited = list(invited_offices_visible_to(user, meeting))
    attendance = _attendance_rows(invited, list(attendance_visible_to(user, meeting)))
    action_items = with_statuses(
        action_items_visible_to(user).filter(meeting=meeting).order_by("due_date", "id")
    )
    signed_on = (meeting.closed_at or meeting.held_at or timezone.now()).astimezone(JAKARTA)
    province = meeting.program_year.province
    record = {
        "meeting": meeting,
        "province": province,
        "place": province.place,
        "agenda": list(meeting.agenda_items.all()),
        "invited_offices": invited,
        "attendance": attendance,
        "present_count": sum(1 for row in attendance if row["present"]),
        "missing_count": sum(1 for row in attendance if not row["code"]),
        "invited_count": len(attendance),
        "staff": list(meeting.invited_staff.order_by("full_name", "username")),
        "decisions": meeting.decision_list,
        "action_items": action_items,
        "is_final": meeting.state == Meeting.State.CLOSED,
        "recorder": meeting.held_by,
        "approver": meeting.closed_by,
        # the signature block (core/pdf/_signatures.html, DocxWriter.signature_block)
        "signers": [
            (_("Recorder (notulis)"), meeting.held_by),
            (_("Approved by, team lead"), meeting.closed_by),
        ],
        "signed_on": signed_on.date(),
        "date_text": formats.date_format(meeting.local_start, "l, j F Y"),
        "time_text": f"{meeting.local_start:%H.%M}–{meeting.local_end:%H.%M} WIB",
        "period": _period_text(meeting),
    }
    if history:
        record["events"] = meeting_history_visible_to(user, meeting)
    return record


def last_report_number(province: Office) -> str:
    """The letter number of the province's latest closed Laporan rapat (shown beside the
    close form, so the team lead gives the next one)."""
    latest = (
        Meeting.objects.filter(program_year__province=province, state=Meeting.State.CLOSED)
        .exclude(report_number="")
        .order_by("-closed_at")
        .values_list("report_number", flat=True)
        .first()
    )
    return latest or ""


# --- lists ---------------------------------------------------------------------------------------


def _count(queryset: QuerySet, outer: str = "meeting") -> Coalesce:
    """A correlated COUNT of `queryset` rows belonging to the outer meeting row."""
    counted = (
        queryset.filter(**{outer: OuterRef("pk")})
        .order_by()
        .values(outer)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def meeting_list(user: User, program_year: ProgramYear) -> QuerySet[Meeting]:
    """The year's meetings visible to the user with invited, present and recorded counts and
    the number of open action items, counted over the offices the user reaches (a kab/kota
    sees its own invitation, attendance and items), in a constant number of queries."""
    office_ids = visible_office_ids(user)
    attendance = Attendance.objects.filter(office_id__in=office_ids)
    return (
        meetings_visible_to(user)
        .filter(program_year=program_year)
        .annotate(
            invited_count=_count(Invitation.objects.filter(office_id__in=office_ids)),
            present_count=_count(attendance.filter(status=Attendance.Status.HADIR)),
            recorded_count=_count(attendance),
            open_items=_count(action_items_visible_to(user).filter(state=ActionItem.State.OPEN)),
        )
        .order_by("starts_at", "id")
    )


def attendance_rate(present: int, invited: int) -> float | None:
    return round(100 * present / invited, 1) if invited else None


def with_statuses(items, *, now: datetime | None = None, extensions=None) -> list[ActionItem]:
    """The action items with `tracked` (their deadline status) and `extended_until` set, using
    one query for extensions (none when the caller passes those of the items' offices)."""
    items = list(items)
    now = now or timezone.now()
    if extensions is None:
        extensions = extensions_for(ActionItem, {item.owner_office_id for item in items})
    for item in items:
        until = extensions.get((str(item.pk), item.owner_office_id))
        item.extended_until = until
        item.tracked = item_status(
            due=end_of_day(item.due_date),
            done_at=item.done_at,
            now=now,
            soon_days=item.meeting.program_year.soon_days,
            extended_due=end_of_day(until) if until else None,
        )
    return items


# --- the dashboard contract: tracked items -------------------------------------------------------


def meeting_periods(program_year: ProgramYear) -> list[tuple[date, date]]:
    """The year's two-month meeting periods, from its SOP activity "rapat"."""
    activity = _rapat_activity(program_year)
    return activity.periods() if activity else []


def _rapat_activity(program_year: ProgramYear) -> SopActivity | None:
    activity = SopActivity.objects.filter(program_year=program_year, code=RAPAT).first()
    if activity is not None:
        activity.program_year = program_year  # periods() reads the year: no second query
    return activity


def period_label(start: date, end: date) -> str:
    """ "Januari–Februari 2026" in the active language."""
    if (start.year, start.month) == (end.year, end.month):
        return formats.date_format(start, "F Y")
    return f"{formats.date_format(start, 'F')}–{formats.date_format(end, 'F Y')}"


@dataclass(frozen=True)
class CadencePeriod:
    number: int
    start: date
    end: date
    label: str
    meetings: list[Meeting]  # the year's scheduled, held or closed meetings for this period
    item: TrackedItem

    @property
    def held(self) -> bool:
        return self.item.done_at is not None


def _cadence_periods(
    program_year: ProgramYear, *, now: datetime, meetings: QuerySet[Meeting] | None = None
) -> list[CadencePeriod]:
    """One entry per two-month period: done when a meeting for that period was held (at that
    meeting's start), due at the end of the period's last day. A meeting counts for the
    period it was planned for (`period_start`), else for the period its date falls in.

    No extensions: the cadence is the province office's own work and the province does not
    grant itself one (as for the monitoring recap); the subject is the year's "rapat"
    SopActivity, shared by the periods. `meetings` (default: all) are the meetings that count
    and are linked: a viewer's own list passes the meetings it may see."""
    return _cadence_periods_of({program_year.pk: program_year}, now=now, meetings=meetings).get(
        program_year.pk, []
    )


def _cadence_periods_of(
    years: dict[int, ProgramYear], *, now: datetime, meetings: QuerySet[Meeting] | None = None
) -> dict[int, list[CadencePeriod]]:
    """`_cadence_periods` of several program years at once ({year id: periods}), each by its
    own SOP activity "rapat": two queries whatever the number of years."""
    activities = {}
    for activity in SopActivity.objects.filter(program_year__in=list(years), code=RAPAT):
        activity.program_year = years[activity.program_year_id]  # periods() reads the year
        activities[activity.program_year_id] = activity
    if not activities:
        return {}
    found: dict[int, list[Meeting]] = defaultdict(list)
    for meeting in (
        (Meeting.objects.all() if meetings is None else meetings)
        .filter(program_year__in=list(activities))
        .exclude(state__in=[Meeting.State.DRAFT, Meeting.State.CANCELLED])
        .order_by("starts_at", "id")
    ):
        found[meeting.program_year_id].append(meeting)
    subject_type = ContentType.objects.get_for_model(SopActivity).pk
    list_url = reverse("meetings:list")
    result = {}
    for year_id, activity in activities.items():
        program_year = years[year_id]
        periods = activity.periods()
        starts = {start for start, _end in periods}
        by_period: dict[date, list[Meeting]] = defaultdict(list)
        for meeting in found[year_id]:
            key = meeting.period_start
            if key not in starts:
                day = meeting.local_start.date()
                key = next((s for s, e in periods if s <= day <= e), None)
            if key is not None:
                by_period[key].append(meeting)
        province_id = program_year.province_id
        subject = (subject_type, str(activity.pk))
        year_url = f"{list_url}?tahun={program_year.year}"
        lines = []
        for number, (start, end) in enumerate(periods, start=1):
            held = [m for m in by_period[start] if m.is_held]
            done_at = min((m.starts_at for m in held), default=None)
            due = end_of_day(end)
            label = period_label(start, end)
            first = (held or by_period[start] or [None])[0]
            url = (
                reverse("meetings:detail", args=[first.pk])
                if first
                else f"{year_url}#periode-{number}"
            )
            item = TrackedItem(
                activity=RAPAT,
                label=_("Meeting %(period)s") % {"period": label},
                office_id=province_id,
                village_id=None,
                due=due,
                done_at=done_at,
                status=item_status(
                    due=due, done_at=done_at, now=now, soon_days=program_year.soon_days
                ),
                extended=False,
                url=url,
                subject=subject,
            )
            lines.append(CadencePeriod(number, start, end, label, by_period[start], item))
        result[year_id] = lines
    return result


def _action_tracked_items(
    program_year: Years,
    office_ids: Collection[int],
    *,
    now: datetime,
    only: Q | None = None,
    extensions=None,
) -> list[TrackedItem]:
    items = with_statuses(
        ActionItem.objects.filter(
            meeting__program_year__in=list(years_of(program_year)),
            owner_office_id__in=office_ids,
        )
        .filter(only or Q())
        .select_related("meeting__program_year")
        .order_by("due_date", "id"),
        now=now,
        extensions=extensions,
    )
    subject_type = ContentType.objects.get_for_model(ActionItem).pk
    return [
        TrackedItem(
            activity=TINDAK_LANJUT,
            label=f"{item.meeting.title}: {item}",
            office_id=item.owner_office_id,
            village_id=None,
            due=end_of_day(item.due_date),
            done_at=item.done_at,
            status=item.tracked,
            extended=item.extended_until is not None,
            url=reverse("meetings:action_detail", args=[item.pk]),
            subject=(subject_type, str(item.pk)),
        )
        for item in items
    ]


def tracked_items(
    program_year: Years, office_ids: Collection[int], *, now: datetime | None = None
) -> list[TrackedItem]:
    """The meetings' deadline-bound work for the dashboard, of one program year or of several
    (each by its own calendar), in a constant number of queries:

    - activity "rapat": one item per two-month period of the year's SOP activity "rapat", for
      the province office (included when its id is in `office_ids`); done when a meeting for
      that period was held, at the meeting's start; due at the end of the period's last day.
      No extensions (the province's own work); subject: the year's "rapat" SopActivity.
    - activity "tindak_lanjut": every action item of the year's meetings owned by an office in
      `office_ids`; due at the end of its due date; done from the moment its owner marked it
      done (a done item awaiting the province's confirmation counts as done; reopening makes
      it open again). Extension subject: the ActionItem."""
    now = now or timezone.now()
    years = years_of(program_year)
    own = {pk: y for pk, y in years.items() if y.province_id in office_ids}
    items = []
    if own:
        for periods in _cadence_periods_of(own, now=now).values():
            items += [period.item for period in periods]
    return items + _action_tracked_items(program_year, office_ids, now=now)


URGENT = (Status.LEWAT, Status.SEGERA)


def tracked_counts(
    program_year: Years,
    office_ids: Collection[int],
    *,
    now: datetime | None = None,
    kind: str | None = None,
    urgent: list[TrackedItem] | None = None,
) -> list[tuple[int, str, str, int]]:
    """The figures of `tracked_items` counted: (office id, activity, status, number). The
    cadence (six periods a year) is counted from its items; the action items by the database,
    per office and status, with the status `with_statuses` gives (done on time when marked
    done by the end of the due day in Jakarta; 'due soon' by each year's window); the few
    under an extension are read row by row (their deadline is the extension's). `kind`: the
    meetings' work belongs to no village, so a village kind leaves nothing. `urgent`, when
    given, receives the items overdue or due soon (to pick each office's worst item from; one
    query more when there are such action items)."""
    if kind:
        return []
    now = now or timezone.now()
    today = now.astimezone(JAKARTA).date()
    years = years_of(program_year)
    counts: dict[tuple[int, str, str], int] = defaultdict(int)
    own = {pk: y for pk, y in years.items() if y.province_id in office_ids}
    for periods in _cadence_periods_of(own, now=now).values() if own else ():
        for period in periods:
            item = period.item
            counts[item.office_id, RAPAT, item.status.value] += 1
            if urgent is not None and item.status in URGENT:
                urgent.append(item)
    rows = ActionItem.objects.filter(
        meeting__program_year__in=list(years), owner_office_id__in=office_ids
    )
    extensions = extensions_for(ActionItem, office_ids)
    extended = {int(subject_id) for subject_id, _office in extensions}
    by_window: dict[int, list[int]] = defaultdict(list)
    for year in years.values():
        by_window[year.soon_days].append(year.pk)
    done = Q(done_at__isnull=False)
    status = Case(
        When(done & Q(done_day__lte=F("due_date")), then=Value(Status.TEPAT_WAKTU.value)),
        When(done, then=Value(Status.TERLAMBAT.value)),
        When(due_date__lt=today, then=Value(Status.LEWAT.value)),
        *(
            When(
                Q(due_date__lte=today + timedelta(days=days), meeting__program_year__in=ids),
                then=Value(Status.SEGERA.value),
            )
            for days, ids in sorted(by_window.items())
        ),
        default=Value(Status.BELUM_JATUH_TEMPO.value),
        output_field=CharField(),
    )
    counted = (
        rows.exclude(pk__in=extended)
        .annotate(done_day=TruncDate("done_at", tzinfo=JAKARTA))
        .annotate(status=status)
        .order_by()
        .values_list("owner_office_id", "status")
        .annotate(n=Count("pk"))
    )
    for office_id, code, n in counted:
        counts[office_id, TINDAK_LANJUT, code] += n
    one_by_one = rows.filter(pk__in=extended).values_list(
        "pk", "owner_office_id", "due_date", "done_at", "meeting__program_year_id"
    )
    for pk, office_id, due_date, done_at, year_id in one_by_one if extended else ():
        until = extensions.get((str(pk), office_id))
        code = item_status(
            due=end_of_day(due_date),
            done_at=done_at,
            now=now,
            soon_days=years[year_id].soon_days,
            extended_due=end_of_day(until) if until else None,
        )
        counts[office_id, TINDAK_LANJUT, code.value] += 1
    if urgent is not None and any(
        code == TINDAK_LANJUT and status in URGENT for _office, code, status in counts
    ):
        widest = max((y.soon_days for y in years.values()), default=0)
        maybe = Q(done_at__isnull=True) & (
            Q(due_date__lte=today + timedelta(days=widest)) | Q(pk__in=extended)
        )
        urgent += [
            item
            for item in _action_tracked_items(
                program_year, office_ids, now=now, only=maybe, extensions=extensions
            )
            if item.status in URGENT
        ]
    return [(office_id, code, status, n) for (office_id, code, status), n in counts.items()]


# --- the cadence and attendance panel --------------------------------------------------------


@dataclass(frozen=True)
class OfficeCadence:
    office: Office
    invited: int  # held meetings of the year the office was invited to
    present: int
    excused: int
    absent: int
    open_items: int
    overdue_items: int

    @property
    def rate(self) -> float | None:
        """Attendance rate in percent: present / invited."""
        return attendance_rate(self.present, self.invited)


@dataclass(frozen=True)
class Cadence:
    periods: list[CadencePeriod]
    offices: list[OfficeCadence]

    @property
    def held_count(self) -> int:
        return sum(1 for p in self.periods if p.held)

    @property
    def due_count(self) -> int:
        """Periods whose deadline has passed or whose meeting was held."""
        return sum(1 for p in self.periods if p.held or p.item.status == Status.LEWAT)


def cadence_for(user: User, program_year: ProgramYear, *, now: datetime | None = None) -> Cadence:
    """The cadence panel of the meetings list as `user` may see it: the periods count and link
    only the meetings the user may see (a kab/kota: those its office is invited to), the rows
    are the kab/kota offices the user reaches."""
    return cadence(
        program_year, visible_office_ids(user), now=now, meetings=meetings_visible_to(user)
    )


def cadence(
    program_year: ProgramYear,
    office_ids: Collection[int],
    *,
    now: datetime | None = None,
    meetings: QuerySet[Meeting] | None = None,
) -> Cadence:
    """For the dashboard and the meetings list: per two-month period whether the meeting was
    held (among `meetings`, default all), and per kab/kota office in `office_ids` its
    attendance across the year's held meetings and its open and overdue action items.
    Constant number of queries."""
    now = now or timezone.now()
    offices = list(
        Office.objects.filter(
            pk__in=office_ids, kind=Office.Kind.KABKOTA, parent_id=program_year.province_id
        ).order_by("code")
    )
    ids = [office.pk for office in offices]
    held = Meeting.objects.filter(
        program_year=program_year, state__in=[Meeting.State.HELD, Meeting.State.CLOSED]
    )
    invited = dict(
        Invitation.objects.filter(meeting__in=held, office_id__in=ids)
        .values("office_id")
        .annotate(n=Count("pk"))
        .values_list("office_id", "n")
    )
    attendance = Counter()
    for office_id, status, n in (
        Attendance.objects.filter(meeting__in=held, office_id__in=ids)
        .values("office_id", "status")
        .annotate(n=Count("pk"))
        .values_list("office_id", "status", "n")
    ):
        attendance[office_id, status] = n
    open_items, overdue = Counter(), Counter()
    for item in _action_tracked_items(program_year, ids, now=now):
        if not item.is_done:
            open_items[item.office_id] += 1
            overdue[item.office_id] += item.is_open_overdue
    rows = [
        OfficeCadence(
            office=office,
            invited=invited.get(office.pk, 0),
            present=attendance[office.pk, Attendance.Status.HADIR],
            excused=attendance[office.pk, Attendance.Status.IZIN],
            absent=attendance[office.pk, Attendance.Status.TIDAK_HADIR],
            open_items=open_items[office.pk],
            overdue_items=overdue[office.pk],
        )
        for office in offices
    ]
    return Cadence(periods=_cadence_periods(program_year, now=now, meetings=meetings), offices=rows)


# --- evidence for other apps (LKE) ---------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceDocument:
    meeting_id: int
    meeting_title: str
    held_on: date
    kind: str  # "laporan_rapat" or "daftar_hadir"
    label: str
    url: str  # a permission-checked download (PDF)


def evidence_documents(user: User, program_year: ProgramYear) -> list[EvidenceDocument]:
    """The Laporan rapat and the attendance list (both PDF) of every closed meeting of the year
    that the user may see, oldest first. The URLs are the meetings app's own downloads, which
    check visibility again when followed. One query."""
    meetings = (
        meetings_visible_to(user)
        .filter(program_year=program_year, state=Meeting.State.CLOSED)
        .select_related(None)  # what the list shows: no program year, no province
        .only("pk", "title", "starts_at")
        .order_by("starts_at", "id")
    )
    documents = []
    for meeting in meetings:
        held_on = meeting.local_start.date()
        for kind, label, url_name in (
            ("laporan_rapat", _("Meeting report (Laporan rapat)"), "meetings:report_pdf"),
            ("daftar_hadir", _("Attendance list (Daftar hadir)"), "meetings:attendance_pdf"),
        ):
            documents.append(
                EvidenceDocument(
                    meeting_id=meeting.pk,
                    meeting_title=meeting.title,
                    held_on=held_on,
                    kind=kind,
                    label=label,
                    url=reverse(url_name, args=[meeting.pk]),
                )
            )
    return documents


# --- the home page panel -------------------------------------------------------------------------


@dataclass(frozen=True)
class HomePanel:
    upcoming: list[Meeting]  # scheduled meetings not yet over
    action_items: list[ActionItem]  # to do (own office) or to confirm (province team)
    to_confirm: bool


def home_panel(user: User, *, now: datetime | None = None) -> HomePanel:
    """What a user's home page shows about meetings: the upcoming meetings they are invited to
    (the province sees all) and, for a kab/kota team, its open action items; for the province
    team, the action items waiting for confirmation."""
    now = now or timezone.now()
    upcoming = list(
        meetings_visible_to(user)
        .filter(state=Meeting.State.SCHEDULED, ends_at__gte=now)
        .order_by("starts_at")[:5]
    )
    own_kabkota = {
        m.office_id for m in memberships_of(user) if m.office.kind == Office.Kind.KABKOTA
    }
    items = action_items_visible_to(user)
    to_confirm = not own_kabkota
    if own_kabkota:
        items = items.filter(owner_office_id__in=own_kabkota, state=ActionItem.State.OPEN)
    else:
        items = items.filter(state=ActionItem.State.DONE)
    return HomePanel(
        upcoming=upcoming,
        action_items=with_statuses(items.order_by("due_date", "id")[:10], now=now),
        to_confirm=to_confirm,
    )
