from datetime import date, datetime, timedelta

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.deadlines import JAKARTA
from core.forms import StyledFormMixin
from core.limits import LONG_TEXT, MEDIUM_TEXT, SHORT_TEXT
from core.models import Office, User
from core.services import allowed_types_label
from program.models import ProgramYear

from .models import ActionItem, Attendance, AttendanceConfirmation, Meeting
from .queries import meeting_periods, period_label
from .services import AgendaEntry, AttendanceEntry


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%H:%M")


class StaffField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, user: User) -> str:
        return user.get_full_name()


class OfficeField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, office: Office) -> str:
        return office.short_name


class ReasonMixin:
    """A correction after closing needs a reason: the field appears only then."""

    def add_reason(self, correction: bool) -> None:
        self.correction = correction
        if correction:
            self.fields["reason"] = forms.CharField(
                label=_("Reason for the correction"),
                max_length=SHORT_TEXT,
                widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
                help_text=_("The meeting is closed: the correction and its reason are logged."),
            )


class MeetingForm(StyledFormMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    period_start = forms.TypedChoiceField(
        label=_("Two-month period"), coerce=date.fromisoformat, choices=()
    )
    day = forms.DateField(label=_("Date"), widget=DateInput())
    start_time = forms.TimeField(label=_("Starts (WIB)"), widget=TimeInput())
    end_time = forms.TimeField(label=_("Ends (WIB)"), widget=TimeInput())
    platform = forms.ChoiceField(label=_("Platform"), choices=Meeting.Platform.choices)
    link = forms.URLField(
        label=_("Meeting link"),
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text=_("Needed before the invitations are sent."),
    )
    invited_offices = OfficeField(
        queryset=Office.objects.none(),
        label=_("Invited regency/city offices"),
        widget=forms.CheckboxSelectMultiple,
    )
    invited_staff = StaffField(
        queryset=User.objects.none(),
        required=False,
        label=_("Invited province staff"),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, program_year: ProgramYear, meeting: Meeting | None = None, **kw):
        if meeting is not None:
            kw.setdefault("initial", {}).update(
                title=meeting.title,
                period_start=meeting.period_start.isoformat(),
                day=meeting.local_start.date(),
                start_time=meeting.local_start.time(),
                end_time=meeting.local_end.time(),
                platform=meeting.platform,
                link=meeting.link,
                invited_offices=list(meeting.invited_offices.all()),
                invited_staff=list(meeting.invited_staff.all()),
            )
        super().__init__(*args, **kw)
        periods = meeting_periods(program_year)
        self.fields["period_start"].choices = [
            (start.isoformat(), period_label(start, end)) for start, end in periods
        ]
        offices = Office.objects.filter(parent=program_year.province).order_by("code")
        self.fields["invited_offices"].queryset = offices
        self.fields["invited_staff"].queryset = (
            User.objects.filter(memberships__office=program_year.province, is_active=True)
            .distinct()
            .order_by("full_name", "username")
        )
        if meeting is None and not self.is_bound:
            today = timezone.localdate()
            current = next((s for s, e in periods if s <= today <= e), None)
            self.initial.setdefault("period_start", current.isoformat() if current else None)
            self.initial.setdefault("invited_offices", list(offices))
            self.initial.setdefault("platform", Meeting.Platform.ZOOM)

    def clean(self):
        data = super().clean()
        day, start, end = data.get("day"), data.get("start_time"), data.get("end_time")
        if day and start and end:
            data["starts_at"] = datetime.combine(day, start, tzinfo=JAKARTA)
            data["ends_at"] = datetime.combine(day, end, tzinfo=JAKARTA)
            if data["ends_at"] <= data["starts_at"]:
                self.add_error("end_time", _("The meeting must end after it starts."))
        return data

    def details(self) -> dict:
        data = self.cleaned_data
        names = ["title", "period_start", "starts_at", "ends_at", "platform", "link"]
        return {
            **{name: data[name] for name in names},
            "invited_offices": list(data["invited_offices"]),
            "invited_staff": list(data["invited_staff"]),
        }


class AgendaItemForm(StyledFormMixin, forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    title = forms.CharField(label=_("Agenda item"), max_length=200)
    presenter = forms.CharField(label=_("Presenter"), max_length=150, required=False)
    allotted_minutes = forms.IntegerField(
        label=_("Duration (min)"), min_value=1, max_value=600, initial=15
    )


class BaseAgendaFormSet(forms.BaseFormSet):
    def entries(self) -> list[AgendaEntry]:
        return [
            AgendaEntry(
                pk=form.cleaned_data.get("id"),
                title=form.cleaned_data["title"],
                presenter=form.cleaned_data.get("presenter", ""),
                allotted_minutes=form.cleaned_data["allotted_minutes"],
            )
            for form in self.forms
            if form.cleaned_data
            and (form.cleaned_data.get("id") or form.has_changed())
            and not self._should_delete_form(form)
        ]


AgendaFormSet = forms.formset_factory(
    AgendaItemForm, formset=BaseAgendaFormSet, extra=2, can_delete=True, max_num=30
)


def agenda_formset(data=None, *, meeting: Meeting | None = None) -> BaseAgendaFormSet:
    initial = (
        [
            {
                "id": item.pk,
                "title": item.title,
                "presenter": item.presenter,
                "allotted_minutes": item.allotted_minutes,
            }
            for item in meeting.agenda_items.all()
        ]
        if meeting
        else []
    )
    return AgendaFormSet(data, initial=initial, prefix="agenda")


class AttendanceForm(ReasonMixin, StyledFormMixin, forms.Form):
    """One row per invited office: status, who attended, a note. An office left without a
    status is simply not recorded yet."""

    def __init__(self, *args, meeting: Meeting, correction: bool, **kwargs):
        recorded = {a.office_id: a for a in meeting.attendances.all()}
        # Until attendance is recorded, the offices' own answers before the meeting fill it in.
        confirmed = {c.office_id: c for c in meeting.attendance_confirmations.all()}
        self.offices = list(meeting.invited_offices.order_by("code"))
        initial = kwargs.setdefault("initial", {})
        for office in self.offices:
            row = recorded.get(office.pk) or confirmed.get(office.pk)
            if row:
                initial[f"status_{office.pk}"] = row.status
                initial[f"attendees_{office.pk}"] = row.attendees
                initial[f"note_{office.pk}"] = row.note
        super().__init__(*args, **kwargs)
        for office in self.offices:
            self.fields[f"status_{office.pk}"] = forms.ChoiceField(
                label=office.short_name,
                choices=Attendance.Status.choices,
                required=False,
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
            )
            self.fields[f"attendees_{office.pk}"] = forms.CharField(
                label=_("Who attended"),
                required=False,
                max_length=MEDIUM_TEXT,
                widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
                help_text=_("One name per line."),
            )
            self.fields[f"note_{office.pk}"] = forms.CharField(
                label=_("Note"),
                required=False,
                max_length=300,
                widget=forms.TextInput(attrs={"class": "form-control"}),
            )
        self.add_reason(correction)

    def clean(self):
        data = super().clean()
        for office in self.offices:
            if (
                data.get(f"status_{office.pk}") == Attendance.Status.HADIR
                and not data.get(f"attendees_{office.pk}", "").strip()
            ):
                self.add_error(f"attendees_{office.pk}", _("Write the names of who attended."))
        return data

    def rows(self):
        return [
            (
                office,
                self[f"status_{office.pk}"],
                self[f"attendees_{office.pk}"],
                self[f"note_{office.pk}"],
            )
            for office in self.offices
        ]

    def entries(self) -> list[AttendanceEntry]:
        data = self.cleaned_data
        return [
            AttendanceEntry(
                office=office,
                status=data[f"status_{office.pk}"],
                attendees=data[f"attendees_{office.pk}"],
                note=data[f"note_{office.pk}"],
            )
            for office in self.offices
            if data.get(f"status_{office.pk}")
        ]


class MinutesForm(ReasonMixin, StyledFormMixin, forms.Form):
    decisions = forms.CharField(
        label=_("Decisions"),
        required=False,
        max_length=LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One decision per line."),
    )

    def __init__(self, *args, meeting: Meeting, correction: bool, **kwargs):
        self.agenda = list(meeting.agenda_items.all())
        initial = kwargs.setdefault("initial", {})
        initial["decisions"] = meeting.decisions
        for item in self.agenda:
            initial[f"minutes_{item.pk}"] = item.minutes
        super().__init__(*args, **kwargs)
        for item in self.agenda:
            self.fields[f"minutes_{item.pk}"] = forms.CharField(
                label=f"{item.position}. {item.title}",
                required=False,
                max_length=LONG_TEXT,
                widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}),
            )
        self.add_reason(correction)
        self.order_fields([f"minutes_{item.pk}" for item in self.agenda] + ["decisions"])

    def minutes(self) -> dict[int, str]:
        return {item.pk: self.cleaned_data[f"minutes_{item.pk}"] for item in self.agenda}


class ActionItemForm(ReasonMixin, StyledFormMixin, forms.Form):
    owner_office = forms.ModelChoiceField(
        queryset=Office.objects.none(), label=_("Owner"), empty_label="—"
    )
    description = forms.CharField(
        label=_("Action item"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    due_date = forms.DateField(label=_("Due date"), widget=DateInput())

    def __init__(self, *args, meeting: Meeting, item: ActionItem | None = None, **kwargs):
        if item is not None:
            kwargs.setdefault("initial", {}).update(
                owner_office=item.owner_office_id,
                description=item.description,
                due_date=item.due_date,
            )
        super().__init__(*args, **kwargs)
        self.meeting = meeting
        self.fields["owner_office"].queryset = (
            Office.objects.filter(
                Q(pk=meeting.program_year.province_id) | Q(invited_meetings=meeting)
            )
            .distinct()
            .order_by("code")
        )
        self.fields["owner_office"].label_from_instance = lambda office: office.short_name
        self.add_reason(meeting.state == Meeting.State.CLOSED)

    def clean_due_date(self):
        due = self.cleaned_data["due_date"]
        if due < self.meeting.local_start.date():
            raise ValidationError(_("The due date cannot be before the meeting."))
        if due > self.meeting.local_start.date() + timedelta(days=730):
            raise ValidationError(_("The due date is more than two years after the meeting."))
        return due


class MarkDoneForm(StyledFormMixin, forms.Form):
    note = forms.CharField(
        label=_("What was done"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    evidence = forms.FileField(label=_("Evidence (optional)"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evidence"].help_text = _("%(types)s, at most %(limit)s.") % {
            "types": allowed_types_label(),
            "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES),
        }


class ReopenForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why is it reopened?"), widget=forms.Textarea(attrs={"rows": 2}), max_length=1000
    )


class ConfirmAttendanceForm(StyledFormMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("Will your office attend?"),
        choices=AttendanceConfirmation.Status.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    attendees = forms.CharField(
        label=_("Who will attend"),
        required=False,
        max_length=MEDIUM_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One name per line."),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


class CancelMeetingForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why is the meeting cancelled?"),
        help_text=_("Sent to every invitee with the cancellation."),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
    )


class ActionFilterForm(StyledFormMixin, forms.Form):
    """Filters of the action item list; unknown values are ignored."""

    STATUS_CHOICES = [
        ("", _("All statuses")),
        ("open", _("Open")),
        ("overdue", _("Overdue")),
        ("done", _("Done, awaiting confirmation")),
        ("confirmed", _("Confirmed")),
    ]
    office = forms.ModelChoiceField(
        queryset=Office.objects.none(),
        required=False,
        label=_("Owner"),
        empty_label=_("All offices"),
    )
    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False, label=_("Status"))

    def __init__(self, *args, offices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = offices
        self.fields["office"].label_from_instance = lambda office: office.short_name
