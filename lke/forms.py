from django import forms
from django.conf import settings
from django.core.validators import RegexValidator
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import StyledFormMixin
from core.models import Membership, Role, User
from core.services import allowed_types_label

from .models import Assessment, DocumentKind, Instrument, Item, ItemKind, Level


class AnswerForm(StyledFormMixin, forms.Form):
    """One item's answer at one level, with the version it was opened at."""

    option = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Answer"), empty_label="—"
    )
    text = forms.CharField(
        required=False, label=_("Answer"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    note = forms.CharField(required=False, label=_("Note"), max_length=2000)
    reason = forms.CharField(required=False, label=_("Reason for a changed score"), max_length=2000)
    level = forms.ChoiceField(choices=Level.choices, widget=forms.HiddenInput)
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args, item: Item, **kwargs):
        super().__init__(*args, **kwargs)
        self.item = item
        self.fields["option"].queryset = item.options.all()
        if item.kind != ItemKind.CHOICE:
            del self.fields["option"]

    def service_values(self) -> dict:
        data = self.cleaned_data
        return {
            "item": self.item,
            "level": data["level"],
            "option": data.get("option"),
            "text": data.get("text", ""),
            "note": data["note"],
            "reason": data["reason"],
            "version": data["version"],
        }


class ReasonForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Comments"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class FileField(forms.FileField):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.help_text = _("%(types)s, at most %(limit)s.") % {
            "types": allowed_types_label(),
            "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES),
        }


def _document_field():
    return forms.ChoiceField(
        label=_("Kind of document"),
        choices=[("", _("— not said —")), *DocumentKind.choices],
        required=False,
    )


class EvidenceFileForm(StyledFormMixin, forms.Form):
    file = FileField(label=_("File"))
    document = _document_field()


class EvidenceLinkForm(StyledFormMixin, forms.Form):
    url = forms.URLField(label=_("Link"), max_length=500, assume_scheme="https")
    title = forms.CharField(label=_("Description"), max_length=200, required=False)
    document = _document_field()


class CheckRuleForm(forms.Form):
    """The one-click application of a checking rule: the provincial answer's version and the
    rule's as the page showed them."""

    version = forms.IntegerField(min_value=0)
    rule_version = forms.IntegerField(min_value=0, required=False)


class KindsField(forms.Field):
    """The kinds of evidence ticked (a list of values); lke.services.clean_check_rule checks
    them, so an unknown kind is named in its error."""

    widget = forms.CheckboxSelectMultiple

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        return [str(v).strip() for v in value if str(v).strip()]


class CheckRuleEditForm(forms.Form):
    """A checking rule of an item as the instrument's page edits it. Only read here: what the
    values must be (the item's scores, the known kinds, a text) is checked by the service
    (lke.services.clean_check_rule), whose errors the view puts on these fields."""

    self_score = forms.CharField(required=False, label=_("Self-assessed score"))
    present = KindsField(required=False, label=_("Evidence present"))
    absent = KindsField(required=False, label=_("Evidence absent"))
    confirm = forms.CharField(required=False, label=_("To confirm in the documents"))
    score = forms.CharField(required=False, label=_("Resulting score"))
    text = forms.CharField(
        required=False, label=_("Rule text (the reason)"), strip=False, widget=forms.Textarea
    )
    version = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)

    def rule_values(self) -> dict:
        data = self.cleaned_data
        return {
            name: data[name]
            for name in ("self_score", "present", "absent", "confirm", "score", "text")
        }


class DivisorForm(forms.Form):
    divisor = forms.CharField(required=False, label=_("Divisor"))
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)


class EvidenceDocumentForm(StyledFormMixin, forms.Form):
    """Choose one of the documents the user may link (queries.documents_for_evidence)."""

    document = forms.ChoiceField(label=_("Document"))

    def __init__(self, *args, documents: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.documents = documents
        self.fields["document"].choices = [(key, c.label) for key, c in documents.items()]

    def clean_document(self):
        return self.documents[self.cleaned_data["document"]]


class OpenAssessmentForm(StyledFormMixin, forms.Form):
    instrument = forms.ModelChoiceField(
        queryset=Instrument.objects.all(), label=_("Instrument"), empty_label=None
    )


class XlsxForm(StyledFormMixin, forms.Form):
    file = forms.FileField(label=_("Excel file (.xlsx)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx") or upload.read(4) != b"PK\x03\x04":
            raise forms.ValidationError(_("Choose an .xlsx file (Excel workbook)."))
        upload.seek(0)
        return upload


class WorkbookForm(XlsxForm):
    """The official LKE workbook (national layout) and the version it becomes."""

    version = forms.IntegerField(
        label=_("Version"),
        required=False,
        min_value=1,
        max_value=999,
        help_text=_("Leave empty for the next free version of the workbook's year."),
    )


class BeritaAcaraForm(StyledFormMixin, forms.Form):
    """What the berita acara of the results prints besides the results: its number, the place
    and date of signing, and the team lead who signs beside the head (one of the province's
    ketua tim). Entered when the head signs off, or when the provisional PDF is generated."""

    number = forms.CharField(
        label=_("Berita acara number"),
        max_length=100,
        validators=[
            RegexValidator(
                r"^[0-9A-Za-z][0-9A-Za-z ./-]*$",
                _("Use letters, digits, spaces and . / - only (e.g. B-12/17000/VS.300/12/2026)."),
            )
        ],
        help_text=_("As registered in the office's letter book, e.g. B-12/17000/VS.300/12/2026."),
    )
    place = forms.CharField(label=_("Place"), max_length=100)
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    lead = forms.ModelChoiceField(
        queryset=User.objects.none(), label=_("Team lead signing"), empty_label=None
    )

    def __init__(self, *args, assessment: Assessment, **kwargs):
        super().__init__(*args, **kwargs)
        self.assessment = assessment
        self.fields["lead"].queryset = User.objects.filter(
            is_active=True,
            pk__in=Membership.objects.filter(
                office=assessment.program_year.province, role=Role.KETUA_TIM
            ).values("user_id"),
        ).order_by("full_name", "username")

    def clean_number(self):
        return " ".join(self.cleaned_data["number"].split())

    def clean_place(self):
        place = " ".join(self.cleaned_data["place"].split())
        if not place:
            raise forms.ValidationError(_("Give the place of signing."))
        return place

    def clean_date(self):
        value = self.cleaned_data["date"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("The date of the berita acara cannot be in the future."))
        opened = timezone.localdate(self.assessment.opened_at)
        if value < opened:
            raise forms.ValidationError(
                _("The date cannot be before the assessment was opened (%(date)s).")
                % {"date": opened.strftime("%d-%m-%Y")}
            )
        return value

    def record(self) -> dict:
        data = self.cleaned_data
        return {
            "number": data["number"],
            "place": data["place"],
            "date": data["date"],
            "lead": data["lead"],
        }


class NomineeFilterForm(StyledFormMixin, forms.Form):
    """?tahun=&provinsi=&kabkota=&peringkat= of the nominees list. The view resolves the year,
    the province and the kab/kota first (404 outside the user's scope); here they are choices
    of what the user reaches, and the 2b rank is bounded."""

    tahun = forms.TypedChoiceField(label=_("Program year"), coerce=int, required=False)
    provinsi = forms.ChoiceField(label=_("BPS province"), required=False)
    kabkota = forms.TypedChoiceField(label=_("BPS regency/city"), coerce=int, required=False)
    peringkat = forms.IntegerField(
        label=_("Nominee rank (2b) at most"), min_value=1, max_value=99, required=False
    )

    def __init__(self, *args, years, provinces, offices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tahun"].choices = [(y, y) for y in years]
        self.fields["provinsi"].choices = [("", _("All provinces"))] + [
            (p.code, p.short_name) for p in provinces
        ]
        self.fields["kabkota"].choices = [("", _("All regencies/cities"))] + [
            (o.pk, o.short_name) for o in offices
        ]
        self.fields["kabkota"].empty_value = None
        self.fields["peringkat"].widget.attrs["placeholder"] = _("any")
