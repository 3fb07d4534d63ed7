from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from core.deadlines import Status
from core.forms import StyledFormMixin
from core.models import Office
from core.services import allowed_types_label

from .models import (
    ANCHOR_LABELS,
    COACHING_FIELDS,
    KIND_FIELDS,
    PURPOSES,
    SECTIONS,
    NeedItem,
    Purpose,
    Report,
    ReportKind,
    ReportState,
    Topic,
)
from .queries import NOT_STARTED

YES_NO = [("true", _("Yes")), ("false", _("No"))]


def yes_no_field(label) -> forms.TypedChoiceField:
    # Unanswered stays None: a draft may be saved before every question is answered.
    return forms.TypedChoiceField(
        label=label,
        choices=YES_NO,
        coerce=lambda value: value == "true",
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class ReportForm(StyledFormMixin, forms.ModelForm):
    """The report's own fields for its kind. Nothing is required to save a draft: what a
    submission needs is checked by reports.services.requirements_of."""

    revision = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Report
        fields = sorted({name for names in KIND_FIELDS.values() for name in names})
        widgets = {
            "anchor_date": DateInput(),
            "notable_attendees": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "notable_attendees": _("E.g. the village head, the camat, the head of BPS."),
            "attendance_count": _("As on the attendance list."),
        }

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        for name in list(self.fields):
            if name != "revision" and name not in KIND_FIELDS[kind]:
                del self.fields[name]
        self.fields["anchor_date"].label = ANCHOR_LABELS[kind]
        if "charter_signed" in self.fields:
            self.fields["charter_signed"] = yes_no_field(self.fields["charter_signed"].label)
        for name in COACHING_FIELDS:
            if name in self.fields:
                self.fields[name] = yes_no_field(self.fields[name].label)
        self.fields["revision"].initial = self.instance.revision if self.instance.pk else None
        for name in ("charter_signed", *COACHING_FIELDS):
            if name in self.fields:
                self.fields[name].widget.attrs["class"] = "form-check-input"
        if self.instance.pk:
            for name in ("charter_signed", *COACHING_FIELDS):
                if name in self.fields:
                    value = getattr(self.instance, name)
                    self.initial[name] = "" if value is None else ("true" if value else "false")

    def report_fields(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "revision"}


class RowForm(StyledFormMixin, forms.Form):
    """A row of a list, laid out on a grid: `columns` gives each field's Bootstrap column."""

    columns: dict[str, str] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.col = self.columns.get(name, "col-md")


class AgentForm(RowForm):
    columns = {
        "name": "col-md-6",
        "role": "col-md-6",
        "is_village_official": "col-md-3",
        "sk_number": "col-md-4",
        "sk_date": "col-md-3",
    }

    name = forms.CharField(label=_("Name"), max_length=150, required=False)
    role = forms.CharField(label=_("Position in the village"), max_length=150, required=False)
    is_village_official = forms.BooleanField(label=_("Village official"), required=False)
    sk_number = forms.CharField(label=_("SK number"), max_length=100, required=False)
    sk_date = forms.DateField(label=_("SK date"), required=False, widget=DateInput())

    def clean(self):
        data = super().clean()
        if not data.get("name") and any(
            data.get(k) for k in ("role", "is_village_official", "sk_number", "sk_date")
        ):
            self.add_error("name", _("Give the agent's name, or clear the row."))
        return data


class NeedForm(RowForm):
    columns = {"topic": "col-md-4", "description": "col-md"}

    topic = forms.ChoiceField(label=_("Topic"), choices=[("", "—"), *Topic.choices], required=False)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)

    def clean(self):
        data = super().clean()
        if data.get("description") and not data.get("topic"):
            self.add_error("topic", _("Choose a topic."))
        if data.get("topic") and not data.get("description"):
            self.add_error("description", _("Describe the need, or clear the row."))
        return data


class BaseRowsFormSet(forms.BaseFormSet):
    def rows(self) -> list[dict]:
        """The filled rows, in order (empty and deleted rows dropped)."""
        return [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and any(v for k, v in form.cleaned_data.items() if k != "DELETE")
        ]


AgentFormSet = forms.formset_factory(
    AgentForm, formset=BaseRowsFormSet, extra=1, can_delete=True, max_num=30, validate_max=True
)
NeedFormSet = forms.formset_factory(
    NeedForm, formset=BaseRowsFormSet, extra=1, can_delete=True, max_num=50, validate_max=True
)


def agent_rows(formset) -> list[dict]:
    return [{k: v for k, v in row.items() if k != "DELETE"} for row in formset.rows()]


def need_rows(formset, section: str) -> list[dict]:
    return [
        {"section": section, "topic": row["topic"], "description": row["description"]}
        for row in formset.rows()
    ]


REGISTER_FIELDS = ("name", "role", "is_village_official", "sk_number", "sk_date")


def register_rows(report: Report) -> list[dict]:
    """The village's agen statistik register (program.VillageAgent) as rows of the report's
    list: what the sosialisasi form offers instead of typing the agents again."""
    return [
        {name: getattr(a, name) for name in REGISTER_FIELDS} for a in report.village.agents.all()
    ]


def list_forms(report: Report, data=None, *, from_register: bool = False) -> dict:
    """The formsets of the report's lists, prefilled from the saved rows. The sosialisasi
    report's agents come from the village's register when the report has none saved yet, or
    when `from_register` (the user asked to take the register's list again)."""
    saved = report.pk is not None
    if report.kind == ReportKind.SOSIALISASI:
        initial = (
            [{name: getattr(a, name) for name in REGISTER_FIELDS} for a in report.agents.all()]
            if saved
            else []
        )
        formset = AgentFormSet(data, initial=initial, prefix="agen")
        formset.from_register = False
        if data is None and (from_register or not initial):
            formset = AgentFormSet(initial=register_rows(report), prefix="agen")
            formset.from_register = bool(formset.initial)
        return {"agents": formset}
    if report.kind == ReportKind.IDENTIFIKASI:
        needs = list(report.needs.all()) if saved else []
        return {
            "data_needs": NeedFormSet(
                data,
                initial=[
                    {"topic": n.topic, "description": n.description}
                    for n in needs
                    if n.section == NeedItem.Section.DATA
                ],
                prefix="data",
            ),
            "activity_needs": NeedFormSet(
                data,
                initial=[
                    {"topic": n.topic, "description": n.description}
                    for n in needs
                    if n.section == NeedItem.Section.ACTIVITY
                ],
                prefix="kegiatan",
            ),
        }
    return {}


def list_values(report: Report, formsets: dict) -> dict:
    """The service arguments for the lists: agents=... or needs=..."""
    if "agents" in formsets:
        return {"agents": agent_rows(formsets["agents"])}
    if "data_needs" in formsets:
        return {
            "needs": need_rows(formsets["data_needs"], NeedItem.Section.DATA)
            + need_rows(formsets["activity_needs"], NeedItem.Section.ACTIVITY)
        }
    return {}


class AttachmentForm(StyledFormMixin, forms.Form):
    purpose = forms.ChoiceField(label=_("Document"), choices=())
    file = forms.FileField(label=_("File"))

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["purpose"].choices = [(p, Purpose(p).label) for p in PURPOSES[kind]]
        self.fields["file"].help_text = _(
            "%(types)s, at most %(limit)s. Documentation photos: JPEG or PNG."
        ) % {
            "types": allowed_types_label(),
            "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES),
        }


class ReturnForm(StyledFormMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    comment = forms.CharField(
        label=_("What must be changed"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": _("Say what must be changed: returning a report needs a comment.")
        },
    )

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.sections = []
        for key, label in SECTIONS[kind]:
            name = f"section_{key}"
            self.fields[name] = forms.CharField(
                label=label, required=False, widget=forms.Textarea(attrs={"rows": 2})
            )
            self.fields[name].widget.attrs["class"] = "form-control"
            self.sections.append(name)

    def section_comments(self) -> dict[str, str]:
        return {
            name.removeprefix("section_"): self.cleaned_data[name]
            for name in self.sections
            if self.cleaned_data.get(name)
        }


class ApproveForm(StyledFormMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    comment = forms.CharField(
        label=_("Note (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


STATE_FILTER_CHOICES = [
    ("", _("All states")),
    (NOT_STARTED, _("Not started")),
    *ReportState.choices,
]


class ReportFilterForm(StyledFormMixin, forms.Form):
    """The filters of a report list; unknown values are ignored, not errors."""

    office = forms.ModelChoiceField(
        queryset=Office.objects.none(),
        required=False,
        label=_("BPS regency/city"),
        empty_label=_("All regencies/cities"),
    )
    state = forms.ChoiceField(choices=STATE_FILTER_CHOICES, required=False, label=_("State"))
    status = forms.ChoiceField(choices=(), required=False, label=_("Timeliness"))
    q = forms.CharField(required=False, label=_("Search village"), max_length=100)

    def __init__(self, *args, offices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = offices
        self.fields["status"].choices = [("", _("All")), *Status.choices]


class NeedsFilterForm(StyledFormMixin, forms.Form):
    office = forms.ModelChoiceField(
        queryset=Office.objects.none(),
        required=False,
        label=_("BPS regency/city"),
        empty_label=_("All regencies/cities"),
    )
    approved_only = forms.BooleanField(required=False, label=_("Approved reports only"))

    def __init__(self, *args, offices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = offices
