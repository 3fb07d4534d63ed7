from datetime import datetime

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from core.deadlines import JAKARTA
from core.forms import StyledFormMixin
from core.models import Office
from program.models import VillageKind

from .services import NARRATIVE_MAX


class DashboardFilterForm(StyledFormMixin, forms.Form):
    """?tahun=&kabkota=&jenis=. The year is resolved by the view (404 when unknown); a kab/kota
    outside the user's scope is not among the choices, so it is refused as invalid."""

    tahun = forms.TypedChoiceField(label=_("Program year"), coerce=int, required=False)
    kabkota = forms.ModelChoiceField(
        queryset=Office.objects.none(),
        required=False,
        label=_("BPS regency/city"),
        empty_label=_("All regencies/cities"),
    )
    jenis = forms.ChoiceField(
        choices=[("", _("All kinds")), *VillageKind.choices], required=False, label=_("Kind")
    )

    def __init__(self, *args, years, offices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tahun"].choices = [(y.year, y.year) for y in years]
        self.fields["kabkota"].queryset = offices
        self.fields["kabkota"].label_from_instance = lambda office: office.short_name


class ExtensionForm(StyledFormMixin, forms.Form):
    until = forms.DateField(
        label=_("New deadline"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The office then has until the end of this day (WIB)."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text=_("Recorded in the audit log and shown to the province team."),
        error_messages={"required": _("An extension needs a reason.")},
    )

    def __init__(self, *args, deadline: datetime | None, done: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.deadline = deadline
        self.done = done

    def clean_until(self):
        until = self.cleaned_data["until"]
        if self.deadline is not None:
            current = self.deadline.astimezone(JAKARTA).date()
            if until <= current:
                raise forms.ValidationError(
                    _("The new deadline must be after the current one (%(date)s).")
                    % {"date": date_format(current, "DATE_FORMAT")}
                )
        return until

    def clean(self):
        if self.done:
            raise forms.ValidationError(_("This item is already done; it needs no extension."))
        if self.deadline is None:
            raise forms.ValidationError(
                _("This item has no deadline yet, so there is nothing to extend.")
            )
        return super().clean()


class DeclineForm(StyledFormMixin, forms.Form):
    note = forms.CharField(
        label=_("Why is the request declined?"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
        help_text=_("Shown to the kab/kota team."),
    )


class RecapForm(StyledFormMixin, forms.Form):
    period = forms.TypedChoiceField(label=_("Period"), coerce=int)
    narrative = forms.CharField(
        label=_("Narrative"),
        required=False,
        max_length=NARRATIVE_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "A short summary of progress and follow-up. Every kab/kota team that reads the "
            "recap sees this text."
        ),
    )

    def __init__(self, *args, periods: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].choices = periods


class RecapSignForm(StyledFormMixin, forms.Form):
    """What the head enters when signing a recap off: its letter number and the place of
    signing (the date is the day of signing). services.sign_recap checks them, so its message
    for a missing one is the one the head reads."""

    number = forms.CharField(
        label=_("Letter number"),
        required=False,
        max_length=100,
        help_text=_("As registered in the office's letter book, e.g. B-12/17000/VS.300/06/2026."),
    )
    place = forms.CharField(label=_("Place of signing"), required=False, max_length=100)
