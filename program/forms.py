from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from core.forms import StyledFormMixin
from core.models import Office, Region, User
from core.services import allowed_types_label

from .models import ParticipatingVillage, VillageKind


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
