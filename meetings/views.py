from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.deadlines import Status
from core.permissions import program_offices_visible_to, require
from core.services import attachments_of, audit_events_for
from core.views import DOCX, PDF, XLSX, attachment_response, download_response
from program.queries import program_year_from, program_years_visible_to

from . import exports, queries, services
from .forms import (
    ActionFilterForm,
    ActionItemForm,
    AttendanceForm,
    CancelMeetingForm,
    ConfirmAttendanceForm,
    MarkDoneForm,
    MeetingForm,
    MinutesForm,
    ReopenForm,
    agenda_formset,
)
from .models import ActionItem, Meeting


def _detail_url(meeting: Meeting) -> str:
    return reverse("meetings:detail", args=[meeting.pk])


def _site_url(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _attempt(request, call, success: str) -> bool:
    """Run one service call; show its refusal as an error message instead of a crash."""
    try:
        call()
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return False
    messages.success(request, success)
    return True


def _recording_meeting(request, pk: int) -> Meeting:
    """A meeting the user may record on now (held: province team; closed: ketua_tim)."""
    meeting = queries.get_meeting_for(request.user, pk, write=True)
    if not meeting.is_held:
        raise Http404  # nothing to record before the meeting is held
    require(queries.can_record(request.user, meeting))
    return meeting


# --- meetings ------------------------------------------------------------------------------------


@login_required
@require_GET
def meeting_list(request):
    year = program_year_from(request.GET, request.user, required=True)
    meetings = list(queries.meeting_list(request.user, year))
    for meeting in meetings:
        meeting.rate = queries.attendance_rate(meeting.present_count, meeting.invited_count)
    return render(
        request,
        "meetings/meeting_list.html",
        {
            "year": year,
            "years": program_years_visible_to(request.user).order_by("-year"),
            "meetings": meetings,
            "cadence": queries.cadence_for(request.user, year),
            "can_create": queries.can_manage(request.user, year.province),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_create(request):
    year = program_year_from(request.GET, request.user, required=True)
    require(queries.can_manage(request.user, year.province))
    form = MeetingForm(request.POST or None, program_year=year)
    agenda = agenda_formset(request.POST or None)
    if request.method == "POST" and form.is_valid() and agenda.is_valid():
        try:
            meeting = services.create_meeting(
                year, **form.details(), agenda=agenda.entries(), by=request.user
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Draft meeting saved. Schedule it to send invitations."))
            return redirect("meetings:detail", pk=meeting.pk)
    context = {"form": form, "agenda": agenda, "year": year}
    return render(
        request, "meetings/meeting_form.html", context, status=400 if form.errors else 200
    )


STEPS = [(v, label) for v, label in Meeting.State.choices if v != Meeting.State.CANCELLED]


def _detail_context(request, meeting: Meeting, **extra) -> dict:
    user = request.user
    record = queries.meeting_record_for(user, meeting)
    values = [value for value, _label in STEPS]
    office = queries.confirming_office(user, meeting)
    answers = {a.office_id: a for a in meeting.attendance_confirmations.all()}
    answer = answers.get(office.pk) if office else None
    initial = (
        {"status": answer.status, "attendees": answer.attendees, "note": answer.note}
        if answer
        else None
    )
    invited = meeting.invited_offices.order_by("code") if meeting.state == "scheduled" else []
    return {
        "confirming_office": office,
        "confirm_form": ConfirmAttendanceForm(initial=initial),
        "answers": [(o, answers.get(o.pk)) for o in invited],
        "meeting": meeting,
        "report": record,
        "action_items": record["action_items"],
        "can_manage": queries.can_manage(user, meeting.program_year.province),
        "can_record": queries.can_record(user, meeting),
        "can_close": queries.can_close(user, meeting),
        "last_report_number": (
            queries.last_report_number(meeting.program_year.province)
            if meeting.state == Meeting.State.HELD and queries.can_close(user, meeting)
            else ""
        ),
        "can_hold_now": timezone.now() >= meeting.starts_at,
        "states": STEPS,
        "step_index": values.index(meeting.state) if meeting.state in values else -1,
        "cancel_form": CancelMeetingForm(),
        **extra,
    }


@login_required
@require_GET
def meeting_detail(request, pk: int):
    meeting = queries.get_meeting_for(request.user, pk)
    return render(request, "meetings/meeting_detail.html", _detail_context(request, meeting))


@login_required
@require_http_methods(["GET", "POST"])
def meeting_edit(request, pk: int):
    meeting = queries.get_meeting_for(request.user, pk, write=True)
    if meeting.state not in services.EDITABLE_STATES:
        messages.error(request, _("A meeting that has been held can no longer be rescheduled."))
        return redirect("meetings:detail", pk=meeting.pk)
    form = MeetingForm(request.POST or None, program_year=meeting.program_year, meeting=meeting)
    agenda = agenda_formset(request.POST or None, meeting=meeting)
    if request.method == "POST" and form.is_valid() and agenda.is_valid():
        try:
            services.update_meeting(
                meeting,
                **form.details(),
                agenda=agenda.entries(),
                by=request.user,
                site_url=_site_url(request),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("meetings:detail", pk=meeting.pk)
    context = {"form": form, "agenda": agenda, "year": meeting.program_year, "meeting": meeting}
    return render(
        request, "meetings/meeting_form.html", context, status=400 if form.errors else 200
    )


@login_required
@require_POST
def meeting_delete(request, pk: int):
    meeting = queries.get_meeting_for(request.user, pk, write=True)
    year = meeting.program_year.year
    if _attempt(
        request,
        lambda: services.delete_meeting(meeting, by=request.user),
        _("The draft meeting was deleted."),
    ):
        return redirect(f"{reverse('meetings:list')}?tahun={year}")
    return redirect("meetings:detail", pk=meeting.pk)


@login_required
@require_POST
def meeting_schedule(request, pk: int):
    meeting = queries.get_meeting_for(request.user, pk, write=True)
    _attempt(
        request,
        lambda: services.schedule_meeting(
            meeting,
            by=request.user,
            site_url=_site_url(request),
            confirm_past=request.POST.get("confirm_past") == "1",
        ),
        _("The meeting is scheduled; the invitations are being sent."),
    )
    return redirect("meetings:detail", pk=meeting.pk)


@login_required
@require_POST
def meeting_cancel(request, pk: int):
    meeting = queries.get_meeting_for(request.user, pk, write=True)
    form = CancelMeetingForm(request.POST)
    if form.is_valid():
        try:
            services.cancel_meeting(
                meeting,
                by=request.user,
                reason=form.cleaned_data["reason"],
                site_url=_site_url(request),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The meeting is cancelled; every invitee is notified."))
            return redirect("meetings:detail", pk=meeting.pk)
    context = _detail_context(request, meeting, cancel_form=form)
    return render(request, "meetings/meeting_detail.html", context, status=400)


@login_required
@require_POST
def meeting_confirm(request, pk: int):
    meeting = queries.get_meeting_for(request.user, pk)
    office = queries.confirming_office(request.user, meeting)
    require(office is not None)
    form = ConfirmAttendanceForm(request.POST)
    if form.is_valid():
        try:
            services.confirm_attendance(
                meeting, office=office, **form.cleaned_data, by=request.user
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Thank you: your office's attendance is confirmed."))
            return redirect("meetings:detail", pk=meeting.pk)
    context = _detail_context(request, meeting, confirm_form=form)
    return render(request, "meetings/meeting_detail.html", context, status=400)


@login_required
@require_POST
def meeting_hold(request, pk: int):
    meeting = queries.get_meeting_for(request.user, pk, write=True)
    _attempt(
        request,
        lambda: services.hold_meeting(meeting, by=request.user),
        _("The meeting is marked as held. Record the attendance, minutes and action items."),
    )
    return redirect("meetings:detail", pk=meeting.pk)


@login_required
@require_POST
def meeting_close(request, pk: int):
    meeting = queries.get_meeting_for(request.user, pk, write=True)
    require(queries.can_close(request.user, meeting))
    _attempt(
        request,
        lambda: services.close_meeting(
            meeting, number=request.POST.get("number", ""), by=request.user
        ),
        _("The meeting is closed. The Laporan rapat is ready to download."),
    )
    return redirect("meetings:detail", pk=meeting.pk)


@login_required
@require_POST
def meeting_correct_number(request, pk: int):
    meeting = queries.get_meeting_for(request.user, pk, write=True)
    _attempt(
        request,
        lambda: services.correct_report_number(
            meeting,
            number=request.POST.get("number", ""),
            reason=request.POST.get("reason", ""),
            by=request.user,
        ),
        _("The letter number of the Laporan rapat is corrected."),
    )
    return redirect("meetings:detail", pk=meeting.pk)


@login_required
@require_http_methods(["GET", "POST"])
def meeting_attendance(request, pk: int):
    meeting = _recording_meeting(request, pk)
    correction = meeting.state == Meeting.State.CLOSED
    form = AttendanceForm(request.POST or None, meeting=meeting, correction=correction)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_attendance(
                meeting,
                entries=form.entries(),
                by=request.user,
                reason=form.cleaned_data.get("reason", ""),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Attendance saved."))
            return redirect(f"{_detail_url(meeting)}#kehadiran")
    context = {"form": form, "meeting": meeting}
    return render(
        request, "meetings/attendance_form.html", context, status=400 if form.errors else 200
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_minutes(request, pk: int):
    meeting = _recording_meeting(request, pk)
    correction = meeting.state == Meeting.State.CLOSED
    form = MinutesForm(request.POST or None, meeting=meeting, correction=correction)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_minutes(
                meeting,
                minutes=form.minutes(),
                decisions=form.cleaned_data["decisions"],
                by=request.user,
                reason=form.cleaned_data.get("reason", ""),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Minutes and decisions saved."))
            return redirect(f"{_detail_url(meeting)}#notulen")
    context = {"form": form, "meeting": meeting}
    return render(
        request, "meetings/minutes_form.html", context, status=400 if form.errors else 200
    )


@login_required
@require_http_methods(["GET", "POST"])
def action_create(request, pk: int):
    meeting = _recording_meeting(request, pk)
    form = ActionItemForm(request.POST or None, meeting=meeting)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.add_action_item(
                meeting,
                owner_office=data["owner_office"],
                description=data["description"],
                due_date=data["due_date"],
                by=request.user,
                reason=data.get("reason", ""),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Action item added."))
            return redirect(f"{_detail_url(meeting)}#tindak-lanjut")
    context = {"form": form, "meeting": meeting}
    return render(request, "meetings/action_form.html", context, status=400 if form.errors else 200)


@login_required
@require_GET
def meeting_history(request, pk: int):
    meeting = queries.get_meeting_for(request.user, pk)
    record = queries.meeting_record_for(request.user, meeting, history=True)
    return render(
        request, "meetings/meeting_history.html", {"meeting": meeting, "events": record["events"]}
    )


# --- documents -----------------------------------------------------------------------------------


def _held_meeting(request, pk: int) -> Meeting:
    meeting = queries.get_meeting_for(request.user, pk)
    if not meeting.is_held:
        raise Http404  # no report before the meeting took place
    return meeting


def _record(request, meeting: Meeting) -> dict:
    return queries.meeting_record_for(request.user, meeting)


@login_required
@require_GET
def report_pdf(request, pk: int):
    meeting = _held_meeting(request, pk)
    name = exports.report_filename(meeting, "laporan-rapat", "pdf")
    return download_response(exports.report_pdf(_record(request, meeting)), name, PDF)


@login_required
@require_GET
def report_docx(request, pk: int):
    meeting = _held_meeting(request, pk)
    name = exports.report_filename(meeting, "laporan-rapat", "docx")
    return download_response(exports.report_docx(_record(request, meeting)), name, DOCX)


@login_required
@require_GET
def attendance_pdf(request, pk: int):
    meeting = _held_meeting(request, pk)
    name = exports.report_filename(meeting, "daftar-hadir", "pdf")
    return download_response(exports.attendance_pdf(_record(request, meeting)), name, PDF)


@login_required
@require_GET
def meeting_ics(request, pk: int):
    meeting = queries.get_meeting_for(request.user, pk)
    if meeting.state == Meeting.State.DRAFT:
        raise Http404
    attendee = (request.user.get_full_name(), request.user.email) if request.user.email else None
    page_url = request.build_absolute_uri(_detail_url(meeting))
    method = "CANCEL" if meeting.state == Meeting.State.CANCELLED else "REQUEST"
    ics = exports.invitation_ics(meeting, attendee=attendee, page_url=page_url, method=method)
    return download_response(
        ics.encode(), f"rapat-{meeting.pk}.ics", "text/calendar; charset=utf-8"
    )


# --- action items --------------------------------------------------------------------------------


def _filtered_action_items(request, year):
    offices = program_offices_visible_to(request.user, year.province)
    filters = ActionFilterForm(request.GET, offices=offices)
    items = queries.action_items_visible_to(request.user).filter(meeting__program_year=year)
    status = ""
    if filters.is_valid():
        if filters.cleaned_data["office"]:
            items = items.filter(owner_office=filters.cleaned_data["office"])
        status = filters.cleaned_data["status"]
        if status in ("open", "overdue"):
            items = items.filter(state=ActionItem.State.OPEN)
        elif status:
            items = items.filter(state=status)
    items = queries.with_statuses(items.order_by("due_date", "owner_office__code", "id"))
    if status == "overdue":
        items = [item for item in items if item.tracked == Status.LEWAT]
    return filters, items


@login_required
@require_GET
def action_list(request):
    year = program_year_from(request.GET, request.user, required=True)
    filters, items = _filtered_action_items(request, year)
    template = "meetings/action_list.html"
    if request.htmx:
        template += "#action-table"
    return render(
        request,
        template,
        {
            "year": year,
            "years": program_years_visible_to(request.user).order_by("-year"),
            "filters": filters,
            "items": items,
        },
    )


@login_required
@require_GET
def action_xlsx(request):
    year = program_year_from(request.GET, request.user, required=True)
    _filters, items = _filtered_action_items(request, year)
    content = exports.action_items_xlsx(items, title=_("Action items"))
    return download_response(content, f"tindak-lanjut-rapat-{year.year}.xlsx", XLSX)


def _action_context(request, item: ActionItem, **extra) -> dict:
    (item,) = queries.with_statuses([item])
    user = request.user
    return {
        "item": item,
        "meeting": item.meeting,
        "attachments": attachments_of(item),
        "events": audit_events_for(item),
        "can_mark_done": queries.can_mark_done(user, item),
        "can_review": queries.can_review(user, item),
        "can_edit": queries.can_review(user, item) and queries.can_record(user, item.meeting),
        "done_form": extra.pop("done_form", None) or MarkDoneForm(),
        "reopen_form": extra.pop("reopen_form", None) or ReopenForm(),
        **extra,
    }


@login_required
@require_GET
def action_detail(request, pk: int):
    item = queries.get_action_item_for(request.user, pk)
    return render(request, "meetings/action_detail.html", _action_context(request, item))


@login_required
@require_http_methods(["GET", "POST"])
def action_edit(request, pk: int):
    item = queries.get_action_item_for(request.user, pk)
    require(
        queries.can_review(request.user, item) and queries.can_record(request.user, item.meeting)
    )
    form = ActionItemForm(request.POST or None, meeting=item.meeting, item=item)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_action_item(
                item,
                owner_office=data["owner_office"],
                description=data["description"],
                due_date=data["due_date"],
                by=request.user,
                reason=data.get("reason", ""),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("meetings:action_detail", pk=item.pk)
    context = {"form": form, "meeting": item.meeting, "item": item}
    return render(request, "meetings/action_form.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def action_delete(request, pk: int):
    item = queries.get_action_item_for(request.user, pk)
    require(queries.can_review(request.user, item))
    meeting = item.meeting
    if _attempt(
        request,
        lambda: services.delete_action_item(item, by=request.user),
        _("The action item was deleted."),
    ):
        return redirect(f"{_detail_url(meeting)}#tindak-lanjut")
    return redirect("meetings:action_detail", pk=item.pk)


@login_required
@require_POST
def action_done(request, pk: int):
    item = queries.get_action_item_for(request.user, pk)
    require(queries.can_mark_done(request.user, item))
    form = MarkDoneForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.mark_action_item_done(
                item,
                note=form.cleaned_data["note"],
                evidence=form.cleaned_data["evidence"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Marked as done. The province team will confirm it."))
            return redirect("meetings:action_detail", pk=item.pk)
    context = _action_context(request, item, done_form=form)
    return render(request, "meetings/action_detail.html", context, status=400)


@login_required
@require_POST
def action_confirm(request, pk: int):
    item = queries.get_action_item_for(request.user, pk)
    require(queries.can_review(request.user, item))
    _attempt(
        request,
        lambda: services.confirm_action_item(item, by=request.user),
        _("The action item is confirmed."),
    )
    return redirect("meetings:action_detail", pk=item.pk)


@login_required
@require_POST
def action_reopen(request, pk: int):
    item = queries.get_action_item_for(request.user, pk)
    require(queries.can_review(request.user, item))
    form = ReopenForm(request.POST)
    if form.is_valid():
        try:
            services.reopen_action_item(item, reason=form.cleaned_data["reason"], by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The action item is open again."))
            return redirect("meetings:action_detail", pk=item.pk)
    context = _action_context(request, item, reopen_form=form)
    return render(request, "meetings/action_detail.html", context, status=400)


@login_required
@require_GET
def action_attachment(request, pk: int, attachment_pk: int):
    item = queries.get_action_item_for(request.user, pk)
    attachment = get_object_or_404(attachments_of(item), pk=attachment_pk)
    return attachment_response(attachment)
