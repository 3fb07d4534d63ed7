from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from core.deadlines import Unit
from core.forms import StyledFormMixin
from core.models import Office, Region, User
from core.services import allowed_types_label

from .models import ParticipatingVillage, SopActivity, Stage, VillageKind
from .services import AGENT_FIELDS, PLAN_FIELDS


class VillageChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, region: Region) -> str:
        kind = _("Kelurahan") if region.is_kelurahan else _("Desa")
        return f"{region.name} — {kind}, Kec. {region.parent.name} ({region.code})"


class PembinaField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, user: User) -> str:
        return user.get_full_name()


def staff_of(office: Office | None):
    if office is None:
        return User.objects.none()
    return User.objects.filter(memberships__office=office, is_active=True).distinct()


class VillageFilterForm(StyledFormMixin, forms.Form):
    """The filters of the village list; unknown values are ignored, not errors."""

    office = forms.ModelChoiceField(
        queryset=Office.objects.none(),
        required=False,
        label=_("BPS regency/city"),
        empty_label=_("All regencies/cities"),
    )
    kind = forms.ChoiceField(
        choices=[("", _("All kinds")), *VillageKind.choices], required=False, label=_("Kind")
    )
    q = forms.CharField(required=False, label=_("Search village"), max_length=100)

    def __init__(self, *args, offices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = offices


class VillageForm(StyledFormMixin, forms.Form):
    office = forms.ModelChoiceField(
        queryset=Office.objects.none(), label=_("BPS regency/city"), empty_label="—"
    )
    village = VillageChoiceField(
        queryset=Region.objects.none(), label=_("Village"), empty_label="—"
    )
    kind = forms.ChoiceField(choices=VillageKind.choices, label=_("Kind"))
    pembina = PembinaField(
        queryset=User.objects.none(),
        required=False,
        label=_("Pembina"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("BPS regency/city staff appointed to coach this village."),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, offices, instance: ParticipatingVillage | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance = instance
        self.fields["office"].queryset = offices
        office = instance.office if instance else self._chosen_office(offices)
        if instance is not None:
            del self.fields["office"]
            del self.fields["village"]
        else:
            self.fields["village"].queryset = (
                Region.objects.filter(
                    level=Region.Level.DESA, code__startswith=office.region.code + "."
                ).select_related("parent")
                if office
                else Region.objects.none()
            )
        self.fields["pembina"].queryset = staff_of(office)
        self.office = office

    def _chosen_office(self, offices):
        raw = self.data.get("office") or self.initial.get("office")
        if not raw:
            return None
        try:
            return offices.filter(pk=int(getattr(raw, "pk", raw))).first()
        except (TypeError, ValueError):
            return None


class AttachmentForm(StyledFormMixin, forms.Form):
    PURPOSES = [
        ("sk_pembina", _("Decree appointing the pembina (SK pembina)")),
        ("sk_desa", _("Decree designating the village")),
        ("dokumentasi", _("Documentation")),
        ("lainnya", _("Other")),
    ]
    purpose = forms.ChoiceField(choices=PURPOSES, label=_("Document"))
    file = forms.FileField(label=_("File"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("%(types)s, at most %(limit)s.") % {
            "types": allowed_types_label(),
            "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES),
        }


# --- the SOP calendar ---------------------------------------------------------------------------


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class CalendarSettingsForm(StyledFormMixin, forms.Form):
    working_days = forms.BooleanField(
        required=False,
        label=_("Count working days (skip weekends and Indonesian public holidays)"),
    )
    soon_days = forms.IntegerField(
        min_value=0,
        max_value=90,
        label=_("'Due soon' window (days)"),
        help_text=_("An open item due within this many days shows as due soon."),
    )


class SopActivityForm(StyledFormMixin, forms.Form):
    amount = forms.IntegerField(min_value=1, max_value=365, label=_("Time standard"))
    unit = forms.ChoiceField(choices=Unit.choices, label=_("Unit"))
    anchor_label = forms.CharField(
        max_length=120,
        required=False,
        label=_("Counted from (event)"),
        help_text=_("The event in each village that starts the count."),
    )
    window_start = forms.DateField(
        required=False,
        widget=DateInput,
        label=_("Window opens"),
        help_text=_("The first day the count starts from."),
    )

    def __init__(self, *args, activity: SopActivity, **kwargs):
        super().__init__(*args, **kwargs)
        if activity.anchor == SopActivity.Anchor.EVENT:
            del self.fields["window_start"]
        else:
            self.fields["window_start"].required = True
            if activity.anchor == SopActivity.Anchor.PERIODIC:
                self.fields["window_start"].label = _("First period starts")
                self.fields["window_start"].help_text = _(
                    "Periods of the time standard follow one another from this day to the end "
                    "of the year."
                )
                del self.fields["anchor_label"]
            else:
                self.fields["anchor_label"].label = _("Window")
                self.fields["anchor_label"].help_text = ""


# --- the coaching work plan ---------------------------------------------------------------------


class ActivityForm(StyledFormMixin, forms.Form):
    """The plan of a work-plan line. `version` is the row version the form was opened at."""

    stage = forms.ChoiceField(choices=Stage.choices, label=_("Stage"))
    name = forms.CharField(max_length=200, label=_("Activity details"))
    pelaksana = forms.CharField(
        max_length=150,
        required=False,
        label=_("Carried out by"),
        help_text=_("Who carries it out, e.g. the pembina, the agen statistik, the village."),
    )
    target_output = forms.CharField(max_length=200, required=False, label=_("Target output"))
    planned_start = forms.DateField(widget=DateInput, label=_("Planned start"))
    planned_end = forms.DateField(widget=DateInput, label=_("Planned end"))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def clean(self):
        data = super().clean()
        start, end = data.get("planned_start"), data.get("planned_end")
        if start and end and end < start:
            self.add_error("planned_end", _("The end date is before the start date."))
        return data

    def plan(self) -> dict:
        return {name: self.cleaned_data[name] for name in PLAN_FIELDS}


class AgentForm(StyledFormMixin, forms.Form):
    """One agen statistik of a village's register (program.services checks the values).
    `version` is the row version the form was opened at."""

    name = forms.CharField(max_length=150, label=_("Name"))
    role = forms.CharField(
        max_length=150,
        required=False,
        label=_("Position in the village"),
        help_text=_("E.g. Kaur Perencanaan, staf desa, ketua karang taruna."),
    )
    is_village_official = forms.BooleanField(
        required=False,
        label=_("Village official (kaur/kasi/staff)"),
    )
    sk_number = forms.CharField(max_length=100, required=False, label=_("SK number"))
    sk_date = forms.DateField(widget=DateInput, required=False, label=_("SK date"))
    phone = forms.CharField(
        max_length=30,
        required=False,
        label=_("Phone"),
        help_text=_("E.g. 0812 3456 7890."),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in AGENT_FIELDS}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


def _file_help() -> str:
    return _("%(types)s, at most %(limit)s each.") % {
        "types": allowed_types_label(),
        "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES),
    }


class RealisationForm(StyledFormMixin, forms.Form):
    realised_on = forms.DateField(widget=DateInput, label=_("Realisation date"))
    realisation_output = forms.CharField(max_length=200, required=False, label=_("Output produced"))
    realisation_notes = forms.CharField(
        required=False, label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3})
    )
    evidence = MultipleFileField(required=False, label=_("Evidence"))
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evidence"].help_text = (
            _("Invitation, attendance list, minutes, photos... You can choose several files. ")
            + _file_help()
        )


class EvidenceForm(StyledFormMixin, forms.Form):
    file = forms.FileField(label=_("Evidence file"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("%(types)s, at most %(limit)s.") % {
            "types": allowed_types_label(),
            "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES),
        }


class WorkPlanImportForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label=_("Excel file (.xlsx)"),
        help_text=_(
            "The first sheet, with the header of the exported file in row 1. Rows whose stage "
            "and activity match an existing line update it; the others are added."
        ),
    )
