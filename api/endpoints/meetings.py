"""Online meetings with their agenda, attendance and decisions, and the action items agreed in
them (with their deadline status). Read only."""

from datetime import date, datetime

from ninja import Field, Query, Router, Schema

from meetings.models import ActionItem, Attendance, Meeting
from meetings.queries import (
    action_items_visible_to,
    get_meeting_for,
    meeting_record_for,
    meetings_visible_to,
    with_invitations_visible_to,
    with_statuses,
)

from ..errors import READ_ERRORS
from ..paging import PageParams, page_of, paginate
from .common import (
    MAX_ID,
    DeadlineStatus,
    OfficeRef,
    UserRef,
    named_choices,
    object_id,
    office_ref,
    user_ref,
)

router = Router(tags=["meetings"])
MeetingState = named_choices("MeetingState", Meeting.State)
AttendanceStatus = named_choices("AttendanceStatus", Attendance.Status)
ActionItemState = named_choices("ActionItemState", ActionItem.State)


class MeetingOut(Schema):
    id: int
    program_year_id: int
    year: int
    title: str
    period_start: date
    starts_at: datetime
    ends_at: datetime
    platform: str
    state: MeetingState
    invited_offices: list[OfficeRef] = Field(
        description="The invited offices you may see (a kab/kota sees its own invitation)"
    )


class AgendaOut(Schema):
    position: int
    title: str
    presenter: str
    allotted_minutes: int
    minutes: str


class AttendanceOut(Schema):
    office: OfficeRef
    status: AttendanceStatus
    attendees: str
    note: str


class ActionItemOut(Schema):
    id: int
    meeting_id: int
    meeting_title: str
    owner_office: OfficeRef
    description: str
    due_date: date
    state: ActionItemState
    deadline_status: DeadlineStatus
    extended_until: date | None
    done_at: datetime | None
    done_by: UserRef | None
    done_note: str
    confirmed_at: datetime | None


class MeetingDetail(MeetingOut):
    decisions: str
    agenda: list[AgendaOut]
    attendance: list[AttendanceOut]
    action_items: list[ActionItemOut] = Field(description="Those of offices you may see")


class MeetingFilter(Schema):
    program_year: int | None = Field(None, ge=1, le=MAX_ID)
    state: MeetingState | None = None


class ActionItemFilter(MeetingFilter):
    office: int | None = Field(None, ge=1, le=MAX_ID, description="Owner office id")
    meeting: int | None = Field(None, ge=1, le=MAX_ID)
    state: ActionItemState | None = None


def meeting_out(meeting: Meeting, invited_offices) -> dict:
    return {
        "id": meeting.pk,
        "program_year_id": meeting.program_year_id,
        "year": meeting.program_year.year,
        "title": meeting.title,
        "period_start": meeting.period_start,
        "starts_at": meeting.starts_at,
        "ends_at": meeting.ends_at,
        "platform": meeting.platform,
        "state": meeting.state,
        "invited_offices": [office_ref(o) for o in invited_offices],
    }


def action_item_out(item: ActionItem) -> dict:
    return {
        "id": item.pk,
        "meeting_id": item.meeting_id,
        "meeting_title": item.meeting.title,
        "owner_office": office_ref(item.owner_office),
        "description": item.description,
        "due_date": item.due_date,
        "state": item.state,
        "deadline_status": item.tracked,
        "extended_until": item.extended_until,
        "done_at": item.done_at,
        "done_by": user_ref(item.done_by),
        "done_note": item.done_note,
        "confirmed_at": item.confirmed_at,
    }


@router.get(
    "/meetings", response={200: page_of(MeetingOut), **READ_ERRORS}, summary="Meetings in scope"
)
def meeting_list(request, page: Query[PageParams], filters: Query[MeetingFilter]):
    meetings = with_invitations_visible_to(request.user, meetings_visible_to(request.user))
    if filters.program_year is not None:
        meetings = meetings.filter(program_year_id=filters.program_year)
    if filters.state:
        meetings = meetings.filter(state=filters.state)
    return paginate(
        meetings.order_by("starts_at", "id"),
        page,
        lambda m: meeting_out(m, m.invited_offices.all()),
    )


@router.get(
    "/meetings/{meeting_id}",
    response={200: MeetingDetail, **READ_ERRORS},
    summary="A meeting with agenda, attendance and action items",
)
def meeting_detail(request, meeting_id: int = object_id()):
    meeting = get_meeting_for(request.user, meeting_id)
    # The one per-viewer meeting (the page, the Riwayat and the documents show the same): a
    # kab/kota sees its own invitation, attendance and action items.
    record = meeting_record_for(request.user, meeting)
    return meeting_out(meeting, record["invited_offices"]) | {
        "decisions": meeting.decisions,
        "agenda": [
            {
                "position": a.position,
                "title": a.title,
                "presenter": a.presenter,
                "allotted_minutes": a.allotted_minutes,
                "minutes": a.minutes,
            }
            for a in record["agenda"]
        ],
        "attendance": [
            {
                "office": office_ref(row["office"]),
                "status": row["code"],
                "attendees": "\n".join(row["attendees"]),
                "note": row["note"],
            }
            for row in record["attendance"]
            if row["code"]  # recorded
        ],
        "action_items": [action_item_out(i) for i in record["action_items"]],
    }


@router.get(
    "/action-items",
    response={200: page_of(ActionItemOut), **READ_ERRORS},
    summary="Action items of the offices in scope, with deadline status",
)
def action_item_list(request, page: Query[PageParams], filters: Query[ActionItemFilter]):
    items = action_items_visible_to(request.user).order_by("due_date", "id")
    if filters.program_year is not None:
        items = items.filter(meeting__program_year_id=filters.program_year)
    if filters.office is not None:
        items = items.filter(owner_office_id=filters.office)
    if filters.meeting is not None:
        items = items.filter(meeting_id=filters.meeting)
    if filters.state:
        items = items.filter(state=filters.state)
    result = paginate(items, page, lambda item: item)
    result["items"] = [action_item_out(i) for i in with_statuses(result["items"])]
    return result
