"""Writes to meetings and their action items.

Every state change is one function here: it checks the change against the explicit tables
below, writes with update_fields, appends an audit row in the same transaction and, for
invitations, writes the e-mails into the mail outbox (core.mail) in the same transaction, so
nothing is sent for a write that is rolled back and a dead mail server breaks no page."""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.deadlines import JAKARTA
from core.mail import notify, people, queue_mail
from core.mail import recipients as mail_recipients
from core.models import NotificationKind, Office, Role, User
from core.permissions import require
from core.services import audit, letter_number, locked, store_attachment
from program.models import ProgramYear

from .exports import invitation_attachment, invitation_ics
from .models import ActionItem, AgendaItem, Attendance, AttendanceConfirmation, Meeting
from .queries import (
    CLOSE_REFUSED,
    CONFIRM_REFUSED,
    CORRECTION_REFUSED,
    MANAGE_REFUSED,
    MARK_DONE_REFUSED,
    can_close,
    can_confirm_attendance,
    can_manage,
    can_mark_done,
    can_record,
    meeting_periods,
)

logger = logging.getLogger(__name__)

State = Meeting.State
# (from, to) → audit action. Anything not listed is refused.
TRANSITIONS = {
    (State.DRAFT, State.SCHEDULED): "meeting.schedule",
    (State.SCHEDULED, State.HELD): "meeting.hold",
    (State.HELD, State.CLOSED): "meeting.close",
    (State.SCHEDULED, State.CANCELLED): "meeting.cancel",
}
ActionState = ActionItem.State
ACTION_TRANSITIONS = {
    (ActionState.OPEN, ActionState.DONE): "action_item.done",
    (ActionState.DONE, ActionState.CONFIRMED): "action_item.confirm",
    (ActionState.DONE, ActionState.OPEN): "action_item.reopen",
    (ActionState.CONFIRMED, ActionState.OPEN): "action_item.reopen",
}
EDITABLE_STATES = (State.DRAFT, State.SCHEDULED)


class MeetingStateError(ValidationError):
    """The change is not allowed in the object's current state."""


def _check_transition(current: str, target: str, table: dict, labels) -> str:
    action = table.get((current, target))
    if action is None:
        raise MeetingStateError(
            _("The status cannot change from %(from)s to %(to)s.")
            % {"from": labels(current).label.lower(), "to": labels(target).label.lower()},
            code="transition",
        )
    return action


def _require_team(meeting: Meeting, by: User) -> None:
    require(can_manage(by, meeting.program_year.province), MANAGE_REFUSED)


def _is_correction(meeting: Meeting, *, by: User, reason: str) -> bool:
    """Recording is open while the meeting is held. After closing, only the province team lead
    may correct, with a reason; returns True for such a correction."""
    _require_team(meeting, by)
    if meeting.state == State.HELD:
        return False
    if meeting.state == State.CLOSED:
        require(can_record(by, meeting), CORRECTION_REFUSED)
        if not reason.strip():
            raise ValidationError(
                {"reason": _("A correction after closing needs a reason.")}, code="reason"
            )
        return True
    raise MeetingStateError(
        _(
            "Attendance, minutes and action items can be recorded only once the meeting "
            "has been held."
        ),
        code="not_held",
    )


# --- meeting details --------------------------------------------------------------------------


@dataclass(frozen=True)
class AgendaEntry:
    title: str
    presenter: str
    allotted_minutes: int
    pk: int | None = None


def _check_details(
    program_year: ProgramYear,
    *,
    period_start: date,
    starts_at: datetime,
    ends_at: datetime,
    invited_offices: Sequence[Office],
    invited_staff: Sequence[User],
) -> None:
    errors = {}
    if ends_at <= starts_at:
        errors["ends_at"] = _("The meeting must end after it starts.")
    periods = meeting_periods(program_year)
    if periods and period_start not in {start for start, _end in periods}:
        errors["period_start"] = _("Choose one of the two-month periods of %(year)s.") % {
            "year": program_year.year
        }
    elif starts_at.astimezone(JAKARTA).date() < period_start:
        errors["starts_at"] = _("The meeting cannot take place before its period starts.")
    if not invited_offices:
        errors["invited_offices"] = _("Invite at least one regency/city office.")
    strangers = [o.short_name for o in invited_offices if o.parent_id != program_year.province_id]
    if strangers:
        errors["invited_offices"] = _("Not a regency/city office of this province: %(names)s.") % {
            "names": ", ".join(strangers)
        }
    staff = set(
        User.objects.filter(
            memberships__office_id=program_year.province_id, pk__in=[u.pk for u in invited_staff]
        ).values_list("pk", flat=True)
    )
    outsiders = [str(u) for u in invited_staff if u.pk not in staff]
    if outsiders:
        errors["invited_staff"] = _("Not staff of the province office: %(names)s.") % {
            "names": ", ".join(outsiders)
        }
    if errors:
        raise ValidationError(errors)


def _sync_agenda(meeting: Meeting, agenda: Sequence[AgendaEntry]) -> tuple[list, list]:
    """Make the agenda equal `agenda` (in that order), keeping the rows that stay."""
    existing = {item.pk: item for item in meeting.agenda_items.all()}
    old = [item.title for item in existing.values()]
    keep = {entry.pk for entry in agenda if entry.pk in existing}
    AgendaItem.objects.filter(meeting=meeting).exclude(pk__in=keep).delete()
    for position, entry in enumerate(agenda, start=1):
        item = existing.get(entry.pk) or AgendaItem(meeting=meeting)
        item.position, item.title = position, entry.title
        item.presenter, item.allotted_minutes = entry.presenter, entry.allotted_minutes
        item.save()
    return old, [entry.title for entry in agenda]


@transaction.atomic
def create_meeting(
    program_year: ProgramYear,
    *,
    title: str,
    period_start: date,
    starts_at: datetime,
    ends_at: datetime,
    platform: str,
    link: str,
    invited_offices: Sequence[Office],
    invited_staff: Sequence[User],
    agenda: Sequence[AgendaEntry],
    by: User,
) -> Meeting:
    """Create a draft meeting with its agenda and invitations (nothing is sent yet). Only the
    province team (ketua_tim, tim_provinsi) creates meetings. Audited."""
    require(can_manage(by, program_year.province), MANAGE_REFUSED)
    _check_details(
        program_year,
        period_start=period_start,
        starts_at=starts_at,
        ends_at=ends_at,
        invited_offices=invited_offices,
        invited_staff=invited_staff,
    )
    meeting = Meeting.objects.create(
        program_year=program_year,
        title=title,
        period_start=period_start,
        starts_at=starts_at,
        ends_at=ends_at,
        platform=platform,
        link=link,
        created_by=by,
    )
    meeting.invited_offices.set(invited_offices)
    meeting.invited_staff.set(invited_staff)
    _sync_agenda(meeting, agenda)
    audit(
        meeting,
        by=by,
        action="meeting.create",
        office=program_year.province,
        changes={
            "title": (None, title),
            "starts_at": (None, starts_at.astimezone(JAKARTA)),
            "invited_offices": (None, [o.short_name for o in invited_offices]),
            "agenda": (None, [entry.title for entry in agenda]),
        },
    )
    return meeting


@transaction.atomic
def update_meeting(
    meeting: Meeting,
    *,
    title: str,
    period_start: date,
    starts_at: datetime,
    ends_at: datetime,
    platform: str,
    link: str,
    invited_offices: Sequence[Office],
    invited_staff: Sequence[User],
    agenda: Sequence[AgendaEntry],
    by: User,
    site_url: str,
) -> Meeting:
    """Change a draft or scheduled meeting. A scheduled meeting whose time, place, agenda or
    invitations change sends an updated invitation (a higher .ics SEQUENCE) after commit.
    Audited with old → new."""
    meeting = locked(Meeting, meeting.pk)
    _require_team(meeting, by)
    if meeting.state not in EDITABLE_STATES:
        raise MeetingStateError(
            _("A meeting that has been held can no longer be rescheduled."), code="locked"
        )
    if meeting.state == State.SCHEDULED and not link:
        raise ValidationError({"link": _("A scheduled meeting needs its meeting link.")})
    _check_details(
        meeting.program_year,
        period_start=period_start,
        starts_at=starts_at,
        ends_at=ends_at,
        invited_offices=invited_offices,
        invited_staff=invited_staff,
    )
    if meeting.state == State.SCHEDULED and not agenda:
        raise ValidationError(_("A scheduled meeting needs at least one agenda item."))
    values = {
        "title": title,
        "period_start": period_start,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "platform": platform,
        "link": link,
    }
    changes = {
        name: (getattr(meeting, name), value)
        for name, value in values.items()
        if getattr(meeting, name) != value
    }
    old_offices = sorted(o.short_name for o in meeting.invited_offices.all())
    new_offices = sorted(o.short_name for o in invited_offices)
    if old_offices != new_offices:
        changes["invited_offices"] = (old_offices, new_offices)
    old_staff = sorted(str(u) for u in meeting.invited_staff.all())
    new_staff = sorted(str(u) for u in invited_staff)
    if old_staff != new_staff:
        changes["invited_staff"] = (old_staff, new_staff)
    old_agenda = [
        (i.pk, i.title, i.presenter, i.allotted_minutes) for i in meeting.agenda_items.all()
    ]
    new_agenda = [(e.pk, e.title, e.presenter, e.allotted_minutes) for e in agenda]
    if old_agenda != new_agenda:
        changes["agenda"] = _sync_agenda(meeting, agenda)
    if not changes:
        return meeting
    for name, value in values.items():
        setattr(meeting, name, value)
    resend = meeting.state == State.SCHEDULED
    if resend:
        meeting.invitation_sequence += 1
    meeting.save(update_fields=[*values, "invitation_sequence"])
    meeting.invited_offices.set(invited_offices)
    meeting.invited_staff.set(invited_staff)
    audit(
        meeting,
        by=by,
        action="meeting.update",
        office=meeting.program_year.province,
        changes=changes,
    )
    if resend:
        queue_invitations(meeting, site_url=site_url, change=Change.UPDATED)
    return meeting


@transaction.atomic
def delete_meeting(meeting: Meeting, *, by: User) -> None:
    """Remove a draft created by mistake (a scheduled meeting has been announced: it stays).
    Audited before the row goes."""
    meeting = locked(Meeting, meeting.pk)
    _require_team(meeting, by)
    if meeting.state != State.DRAFT:
        raise MeetingStateError(_("Only a draft meeting can be deleted."), code="locked")
    audit(
        meeting,
        by=by,
        action="meeting.delete",
        office=meeting.program_year.province,
        changes={"title": (meeting.title, None)},
    )
    meeting.delete()


# --- the state machine ------------------------------------------------------------------------


@transaction.atomic
def schedule_meeting(
    meeting: Meeting, *, by: User, site_url: str, confirm_past: bool = False
) -> Meeting:
    """draft → scheduled. Needs a meeting link, an agenda and at least one invited office; a
    meeting whose start has already passed only with `confirm_past` (the user ticked that
    they mean it). Invitations with an .ics calendar attachment go out after the commit.
    Audited."""
    meeting = locked(Meeting, meeting.pk)
    _require_team(meeting, by)
    action = _check_transition(meeting.state, State.SCHEDULED, TRANSITIONS, State)
    errors = []
    if meeting.starts_at <= timezone.now() and not confirm_past:
        errors.append(
            ValidationError(
                _(
                    "The meeting's start (%(when)s) has already passed. Tick “Yes, schedule it "
                    "although its time has passed” if you mean to schedule it anyway."
                )
                % {"when": date_format(meeting.local_start, "DATETIME_FORMAT")},
                code="past",
            )
        )
    if not meeting.link:
        errors.append(_("Add the meeting link before scheduling."))
    if not meeting.agenda_items.exists():
        errors.append(_("Add at least one agenda item before scheduling."))
    if not meeting.invited_offices.exists():
        errors.append(_("Invite at least one regency/city office before scheduling."))
    if errors:
        raise ValidationError(errors)
    meeting.state, meeting.scheduled_at = State.SCHEDULED, timezone.now()
    meeting.save(update_fields=["state", "scheduled_at"])
    audit(
        meeting,
        by=by,
        action=action,
        office=meeting.program_year.province,
        changes={"state": (State.DRAFT, State.SCHEDULED)},
    )
    queue_invitations(meeting, site_url=site_url, change=Change.NEW)
    return meeting


@transaction.atomic
def cancel_meeting(meeting: Meeting, *, by: User, reason: str, site_url: str) -> Meeting:
    """scheduled → cancelled, by the province team, with a reason, before the meeting is held.
    Every invitee gets a cancellation with an .ics METHOD:CANCEL (same UID, a higher SEQUENCE)
    so calendars remove the event; queued in this transaction. Audited with the reason."""
    meeting = locked(Meeting, meeting.pk)
    _require_team(meeting, by)
    action = _check_transition(meeting.state, State.CANCELLED, TRANSITIONS, State)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the meeting is cancelled.")}, code="reason")
    meeting.state, meeting.cancelled_at, meeting.cancelled_by = State.CANCELLED, timezone.now(), by
    meeting.cancellation_reason = reason
    meeting.invitation_sequence += 1
    meeting.save(
        update_fields=[
            "state",
            "cancelled_at",
            "cancelled_by",
            "cancellation_reason",
            "invitation_sequence",
        ]
    )
    audit(
        meeting,
        by=by,
        action=action,
        office=meeting.program_year.province,
        changes={"state": (State.SCHEDULED, State.CANCELLED)},
        reason=reason,
    )
    queue_invitations(meeting, site_url=site_url, change=Change.CANCELLED)
    return meeting


@transaction.atomic
def hold_meeting(meeting: Meeting, *, by: User) -> Meeting:
    """scheduled → held, from the meeting's start time on. Opens attendance, minutes and
    action items for recording; `by` becomes the recorder named in the Laporan. Audited."""
    meeting = locked(Meeting, meeting.pk)
    _require_team(meeting, by)
    action = _check_transition(meeting.state, State.HELD, TRANSITIONS, State)
    now = timezone.now()
    if now < meeting.starts_at:
        raise MeetingStateError(
            _("The meeting has not started yet: it can be marked held from %(start)s.")
            % {"start": meeting.local_start.strftime("%d-%m-%Y %H:%M")},
            code="too_early",
        )
    meeting.state, meeting.held_at, meeting.held_by = State.HELD, now, by
    meeting.save(update_fields=["state", "held_at", "held_by"])
    audit(
        meeting,
        by=by,
        action=action,
        office=meeting.program_year.province,
        changes={"state": (State.SCHEDULED, State.HELD)},
    )
    return meeting


@transaction.atomic
def close_meeting(meeting: Meeting, *, number: str, by: User) -> Meeting:
    """held → closed, by the province team lead only, once the attendance of every invited
    office is recorded, with the letter number the office gives the Laporan rapat (checked by
    core.services.letter_number; printed on its PDF and DOCX). Closing locks attendance,
    minutes, decisions and action items (corrections afterwards: ketua_tim with a reason).
    Audited with the number."""
    meeting = locked(Meeting, meeting.pk)
    require(can_close(by, meeting), CLOSE_REFUSED)
    action = _check_transition(meeting.state, State.CLOSED, TRANSITIONS, State)
    number = _report_number(meeting, number)
    missing = meeting.invited_offices.exclude(meeting_attendances__meeting=meeting)
    if missing.exists():
        raise ValidationError(
            _("Record the attendance of every invited office first. Missing: %(names)s.")
            % {"names": ", ".join(o.short_name for o in missing.order_by("code"))},
            code="attendance_missing",
        )
    meeting.state, meeting.closed_at, meeting.closed_by = State.CLOSED, timezone.now(), by
    meeting.report_number = number
    meeting.save(update_fields=["state", "closed_at", "closed_by", "report_number"])
    audit(
        meeting,
        by=by,
        action=action,
        office=meeting.program_year.province,
        changes={"state": (State.HELD, State.CLOSED), "report_number": ("", number)},
    )
    return meeting


def _report_number(meeting: Meeting, number: str) -> str:
    """The letter number for the meeting's Laporan rapat (core.services.letter_number), which
    no other Laporan rapat of the province has (an office gives a letter number once)."""
    number = letter_number(number, missing=_("Give the letter number of the Laporan rapat."))
    taken = (
        Meeting.objects.filter(
            program_year__province_id=meeting.program_year.province_id,
            report_number__iexact=number,
        )
        .exclude(pk=meeting.pk)
        .first()
    )
    if taken is not None:
        raise ValidationError(
            _("%(number)s is already the letter number of the Laporan rapat of %(meeting)s.")
            % {"number": number, "meeting": taken.title},
            code="number_taken",
        )
    return number


@transaction.atomic
def correct_report_number(meeting: Meeting, *, number: str, reason: str, by: User) -> Meeting:
    """Correct the letter number of a closed meeting's Laporan rapat (a typo, a number given
    twice), by whoever may close the meeting (the province team lead), with a reason; the PDF
    and DOCX then print the new number. Audited with the old and the new number."""
    meeting = locked(Meeting, meeting.pk)
    require(can_close(by, meeting), CORRECTION_REFUSED)
    if meeting.state != State.CLOSED:
        raise MeetingStateError(
            _("The letter number is given when the meeting is closed; correct it after that."),
            code="not_closed",
        )
    number = _report_number(meeting, number)
    if number == meeting.report_number:
        raise ValidationError(
            {"number": _("This is already the letter number of the Laporan rapat.")},
            code="unchanged",
        )
    if not reason.strip():
        raise ValidationError(
            {"reason": _("A correction after closing needs a reason.")}, code="reason"
        )
    old, meeting.report_number = meeting.report_number, number
    meeting.save(update_fields=["report_number"])
    audit(
        meeting,
        by=by,
        action="meeting.correct_number",
        office=meeting.program_year.province,
        changes={"report_number": (old, number)},
        reason=reason.strip(),
    )
    return meeting


# --- before the meeting: each invited office confirms its attendance ---------------------------


@transaction.atomic
def confirm_attendance(
    meeting: Meeting, *, office: Office, status: str, attendees: str, note: str = "", by: User
) -> AttendanceConfirmation:
    """An invited kab/kota office answers the invitation: it will attend (with the names of who
    will) or asks to be excused. By that office's tim_kabkota, while the meeting is scheduled
    and has not started; answering again replaces the answer. Audited on the meeting."""
    meeting = locked(Meeting, meeting.pk)
    require(can_confirm_attendance(by, meeting, office), CONFIRM_REFUSED)
    if meeting.state != State.SCHEDULED or timezone.now() >= meeting.starts_at:
        raise MeetingStateError(
            _("Attendance can be confirmed only before a scheduled meeting starts."),
            code="not_scheduled",
        )
    if status not in AttendanceConfirmation.Status.values:
        raise ValidationError({"status": _("Choose whether your office will attend.")})
    attendees = "\n".join(n.strip() for n in attendees.splitlines() if n.strip())
    if status == AttendanceConfirmation.Status.HADIR and not attendees:
        raise ValidationError({"attendees": _("Write the names of who will attend.")})
    row = AttendanceConfirmation.objects.filter(meeting=meeting, office=office).first()
    old = _attendance_text(row.status, row.attendees, row.note) if row else None
    row = row or AttendanceConfirmation(meeting=meeting, office=office)
    row.status, row.attendees, row.note = status, attendees, note.strip()
    row.confirmed_by, row.confirmed_at = by, timezone.now()
    row.save()
    new = _attendance_text(status, attendees, row.note)
    if old != new:
        audit(
            meeting,
            by=by,
            action="meeting.confirm_attendance",
            office=office,
            changes={office.short_name: (old, new)},
        )
    return row


# --- recording: attendance, minutes, decisions -------------------------------------------------


@dataclass(frozen=True)
class AttendanceEntry:
    office: Office
    status: str
    attendees: str = ""
    note: str = ""


@transaction.atomic
def record_attendance(
    meeting: Meeting, *, entries: Iterable[AttendanceEntry], by: User, reason: str = ""
) -> Meeting:
    """Record attendance per invited office (present needs the names of who attended). Only
    once held; after closing only as an audited correction by ketua_tim with a reason."""
    meeting = locked(Meeting, meeting.pk)
    correction = _is_correction(meeting, by=by, reason=reason)
    invited = set(meeting.invited_offices.values_list("pk", flat=True))
    current = {a.office_id: a for a in meeting.attendances.select_related("office")}
    changes, errors = {}, {}
    for entry in entries:
        if entry.office.pk not in invited:
            errors[entry.office.short_name] = _("This office was not invited.")
            continue
        if entry.status not in Attendance.Status.values:
            errors[entry.office.short_name] = _("Choose present, absent or excused.")
            continue
        attendees = "\n".join(n.strip() for n in entry.attendees.splitlines() if n.strip())
        if entry.status == Attendance.Status.HADIR and not attendees:
            errors[entry.office.short_name] = _("Write the names of who attended.")
            continue
        row = current.get(entry.office.pk)
        new = (entry.status, attendees, entry.note.strip())
        old = (row.status, row.attendees, row.note) if row else None
        if old == new:
            continue
        if row is None:
            row = Attendance(meeting=meeting, office=entry.office)
        row.status, row.attendees, row.note = new
        row.recorded_by, row.recorded_at = by, timezone.now()
        row.save()
        changes[entry.office.short_name] = (
            _attendance_text(*old) if old else None,
            _attendance_text(*new),
        )
    if errors:
        raise ValidationError(
            [f"{office}: {message}" for office, message in errors.items()], code="attendance"
        )
    if changes:
        audit(
            meeting,
            by=by,
            action="meeting.correct_attendance" if correction else "meeting.attendance",
            office=meeting.program_year.province,
            changes=changes,
            reason=reason.strip(),
        )
    return meeting


def _attendance_text(status: str, attendees: str, note: str) -> str:
    text = str(Attendance.Status(status).label)  # the confirmation's codes are a subset
    if attendees:
        text += ": " + ", ".join(attendees.splitlines())
    return f"{text} ({note})" if note else text


@transaction.atomic
def record_minutes(
    meeting: Meeting, *, minutes: dict[int, str], decisions: str, by: User, reason: str = ""
) -> Meeting:
    """Write the minutes per agenda item (by agenda item id) and the decisions. Only once
    held; after closing only as an audited correction by ketua_tim with a reason."""
    meeting = locked(Meeting, meeting.pk)
    correction = _is_correction(meeting, by=by, reason=reason)
    changes = {}
    for item in meeting.agenda_items.all():
        text = minutes.get(item.pk, item.minutes).strip()
        if text != item.minutes:
            changes[f"minutes: {item.title}"] = (item.minutes or None, text)
            item.minutes = text
            item.save(update_fields=["minutes"])
    decisions = decisions.strip()
    if decisions != meeting.decisions:
        changes["decisions"] = (meeting.decisions or None, decisions)
        meeting.decisions = decisions
        meeting.save(update_fields=["decisions"])
    if changes:
        audit(
            meeting,
            by=by,
            action="meeting.correct_minutes" if correction else "meeting.minutes",
            office=meeting.program_year.province,
            changes=changes,
            reason=reason.strip(),
        )
    return meeting


# --- action items -----------------------------------------------------------------------------


def _check_owner(meeting: Meeting, owner_office: Office) -> None:
    allowed = owner_office.pk == meeting.program_year.province_id or (
        meeting.invited_offices.filter(pk=owner_office.pk).exists()
    )
    if not allowed:
        raise ValidationError(
            {"owner_office": _("The owner must be the province office or an invited office.")}
        )


@transaction.atomic
def add_action_item(
    meeting: Meeting,
    *,
    owner_office: Office,
    description: str,
    due_date: date,
    by: User,
    reason: str = "",
) -> ActionItem:
    """Add a follow-up owned by the province office or an invited office. Only once held;
    after closing only as an audited correction by ketua_tim with a reason."""
    meeting = locked(Meeting, meeting.pk)
    correction = _is_correction(meeting, by=by, reason=reason)
    _check_owner(meeting, owner_office)
    if not description.strip():
        raise ValidationError({"description": _("Describe what has to be done.")})
    item = ActionItem.objects.create(
        meeting=meeting,
        owner_office=owner_office,
        description=description.strip(),
        due_date=due_date,
        created_by=by,
    )
    changes = {
        "owner_office": (None, owner_office.short_name),
        "description": (None, item.description),
        "due_date": (None, due_date),
    }
    audit(item, by=by, action="action_item.add", office=owner_office, changes=changes)
    _action_item_assigned(item)
    # On the meeting under the owner office: a kab/kota sees in the meeting's Riwayat only
    # the rows of its own items (queries.meeting_history_visible_to).
    audit(
        meeting,
        by=by,
        action="meeting.correct_action_items" if correction else "meeting.action_item",
        office=owner_office,
        changes={"action item": (None, str(item))},
        reason=reason.strip(),
    )
    return item


@transaction.atomic
def update_action_item(
    item: ActionItem,
    *,
    owner_office: Office,
    description: str,
    due_date: date,
    by: User,
    reason: str = "",
) -> ActionItem:
    """Change the owner, text or due date of an action item. While the meeting is held; after
    closing only as an audited correction by ketua_tim with a reason."""
    item = locked(ActionItem, item.pk)
    meeting = item.meeting
    _is_correction(meeting, by=by, reason=reason)
    _check_owner(meeting, owner_office)
    if not description.strip():
        raise ValidationError({"description": _("Describe what has to be done.")})
    values = {
        "owner_office": owner_office,
        "description": description.strip(),
        "due_date": due_date,
    }
    changes = {
        name: (getattr(item, name), value)
        for name, value in values.items()
        if getattr(item, name) != value
    }
    if not changes:
        return item
    for name, value in values.items():
        setattr(item, name, value)
    item.save(update_fields=list(values))
    audit(
        item,
        by=by,
        action="action_item.correct" if meeting.state == State.CLOSED else "action_item.update",
        office=owner_office,
        changes=changes,
        reason=reason.strip(),
    )
    return item


@transaction.atomic
def delete_action_item(item: ActionItem, *, by: User) -> None:
    """Remove an open action item recorded by mistake, while the meeting is still held (after
    closing an item is part of the record and stays). Audited on the meeting."""
    item = locked(ActionItem, item.pk)
    meeting = item.meeting
    _require_team(meeting, by)
    if meeting.state != State.HELD or item.state != ActionState.OPEN:
        raise MeetingStateError(
            _("Only an open action item of a meeting that is not closed can be deleted."),
            code="locked",
        )
    audit(
        meeting,
        by=by,
        action="meeting.action_item_delete",
        office=item.owner_office,
        changes={"action item": (str(item), None)},
    )
    item.delete()


@transaction.atomic
def mark_action_item_done(
    item: ActionItem, *, note: str, by: User, evidence: UploadedFile | None = None
) -> ActionItem:
    """open → done, by the owner office's team, with a note and optional evidence (stored via
    core.services.store_attachment; a refused file leaves the item open). Audited."""
    item = locked(ActionItem, item.pk)
    require(can_mark_done(by, item), MARK_DONE_REFUSED)
    action = _check_transition(item.state, ActionState.DONE, ACTION_TRANSITIONS, ActionState)
    if not note.strip():
        raise ValidationError({"note": _("Say briefly what was done.")})
    if evidence is not None:
        try:
            store_attachment(
                evidence, owner=item, by=by, purpose="bukti_tindak_lanjut", office=item.owner_office
            )
        except ValidationError as error:
            raise ValidationError({"evidence": error.messages}) from None
    item.state, item.done_at, item.done_by = ActionState.DONE, timezone.now(), by
    item.done_note = note.strip()
    item.save(update_fields=["state", "done_at", "done_by", "done_note"])
    audit(
        item,
        by=by,
        action=action,
        office=item.owner_office,
        changes={
            "state": (ActionState.OPEN, ActionState.DONE),
            "done_note": (None, item.done_note),
        },
    )
    return item


@transaction.atomic
def confirm_action_item(item: ActionItem, *, by: User) -> ActionItem:
    """done → confirmed, by the province team. Audited."""
    item = locked(ActionItem, item.pk)
    _require_team(item.meeting, by)
    action = _check_transition(item.state, ActionState.CONFIRMED, ACTION_TRANSITIONS, ActionState)
    item.state, item.confirmed_at, item.confirmed_by = ActionState.CONFIRMED, timezone.now(), by
    item.save(update_fields=["state", "confirmed_at", "confirmed_by"])
    audit(
        item,
        by=by,
        action=action,
        office=item.owner_office,
        changes={"state": (ActionState.DONE, ActionState.CONFIRMED)},
    )
    return item


@transaction.atomic
def reopen_action_item(item: ActionItem, *, reason: str, by: User) -> ActionItem:
    """done/confirmed → open, by the province team, with a reason. The item counts as not done
    again (its done time is cleared; marking it done later sets a new one). Audited."""
    item = locked(ActionItem, item.pk)
    _require_team(item.meeting, by)
    old = item.state
    action = _check_transition(old, ActionState.OPEN, ACTION_TRANSITIONS, ActionState)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the action item is reopened.")})
    item.state, item.done_at, item.confirmed_at, item.confirmed_by = (
        ActionState.OPEN,
        None,
        None,
        None,
    )
    item.save(update_fields=["state", "done_at", "confirmed_at", "confirmed_by"])
    audit(
        item,
        by=by,
        action=action,
        office=item.owner_office,
        changes={"state": (old, ActionState.OPEN)},
        reason=reason.strip(),
    )
    return item


def _action_item_assigned(item: ActionItem) -> None:
    """Tell the owner office's team (and its head) a follow-up of a meeting is theirs."""
    office = item.owner_office
    roles = (
        [Role.TIM_PROVINSI, Role.KETUA_TIM]
        if office.is_province
        else [
            Role.TIM_KABKOTA,
            Role.PIMPINAN_KABKOTA,
        ]
    )
    with translation.override(settings.LANGUAGE_CODE):
        facts = {
            "meeting": item.meeting.title,
            "due": date_format(item.due_date, "j F Y"),
            "office": office.short_name,
        }
        notify(
            people([office.pk], roles),
            kind=NotificationKind.ACTION_ITEM,
            subject=_("Action item for %(office)s, due %(due)s") % facts,
            message=_('The meeting "%(meeting)s" gave %(office)s an action item, due on %(due)s.')
            % facts,
            details=item.description,
            link=reverse("meetings:action_detail", args=[item.pk]),
        )


# --- invitations ------------------------------------------------------------------------------


def invitation_recipients(meeting: Meeting) -> list[tuple[str, str]]:
    """(name, address) of everyone invited: each invited office's own address, its active
    tim_kabkota and pimpinan_kabkota members, and the invited province staff; one entry per
    address. People who switched meeting mails off on their profile are left out (an
    office's own address has no profile and always gets the invitation)."""
    recipients: dict[str, tuple[str, str]] = {}
    offices = list(meeting.invited_offices.order_by("code"))
    for office in offices:
        if office.email:
            recipients.setdefault(office.email.lower(), (office.name, office.email))
    members = User.objects.filter(
        is_active=True,
        memberships__office__in=offices,
        memberships__role__in=[Role.TIM_KABKOTA, Role.PIMPINAN_KABKOTA],
    ).distinct()
    staff = meeting.invited_staff.all()
    for user in mail_recipients([*members, *staff], NotificationKind.MEETING):
        recipients.setdefault(user.email.lower(), (user.get_full_name(), user.email))
    return list(recipients.values())


class Change(StrEnum):
    """What an invitation mail announces."""

    NEW = "new"
    UPDATED = "updated"
    CANCELLED = "cancelled"


def queue_invitations(meeting: Meeting, *, site_url: str, change: Change) -> int:
    """Put one mail per recipient in the outbox, each with the meeting's .ics: METHOD:REQUEST
    for a new or changed meeting, METHOD:CANCEL for a cancelled one (the SEQUENCE is the
    meeting's current one, raised by every change). Called inside the transaction that
    scheduled, changed or cancelled the meeting, so a rolled-back change sends nothing.
    Returns the number queued."""
    meeting = (
        Meeting.objects.select_related("program_year__province")
        .prefetch_related("agenda_items")
        .get(pk=meeting.pk)
    )
    recipients = invitation_recipients(meeting)
    page_url = site_url.rstrip("/") + meeting_url(meeting)
    method = "CANCEL" if change == Change.CANCELLED else "REQUEST"
    with translation.override(settings.LANGUAGE_CODE):
        subject_format = {
            Change.NEW: _("Invitation: %(title)s, %(date)s"),
            Change.UPDATED: _("Changed schedule: %(title)s, %(date)s"),
            Change.CANCELLED: _("Cancelled: %(title)s, %(date)s"),
        }[change]
        subject = subject_format % {
            "title": meeting.title,
            "date": meeting.local_start.strftime("%d-%m-%Y %H:%M WIB"),
        }
        for name, address in recipients:
            body = render_to_string(
                "meetings/email/invitation.txt",
                {"meeting": meeting, "name": name, "change": change, "page_url": page_url},
            )
            ics = invitation_ics(
                meeting, attendee=(name, address), page_url=page_url, method=method
            )
            queue_mail(
                address,
                subject=subject,
                body=body,
                kind=NotificationKind.MEETING,
                attachments=[invitation_attachment(ics, method=method)],
            )
    logger.info("meeting %s: %s %s mail(s) queued", meeting.pk, len(recipients), change)
    return len(recipients)


def meeting_url(meeting: Meeting) -> str:
    return reverse("meetings:detail", args=[meeting.pk])
