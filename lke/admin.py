"""Editing an instrument in the admin, for the `admin` role. Every edit is audited (AuditedAdmin);
an instrument in use by an assessment is read-only here, down to its options."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.admin import AuditedAdmin

from .models import Aspect, Block, CheckRule, Indicator, Instrument, Item, ItemKind, Option
from .queries import can_manage_instruments


def instrument_of(obj) -> Instrument | None:
    if obj is None:
        return None
    if isinstance(obj, Instrument):
        return obj
    if isinstance(obj, Block):
        return obj.instrument
    if isinstance(obj, Aspect):
        return obj.block.instrument
    if isinstance(obj, Indicator):
        return obj.aspect.block.instrument
    return obj.instrument


class LockedMixin:
    """Only instrument managers see these pages; an instrument in use cannot be changed."""

    def has_module_permission(self, request):
        return can_manage_instruments(request.user)

    def has_view_permission(self, request, obj=None):
        return can_manage_instruments(request.user)

    def has_add_permission(self, request, obj=None):
        return can_manage_instruments(request.user) and not self._locked(obj)

    def has_change_permission(self, request, obj=None):
        return can_manage_instruments(request.user) and not self._locked(obj)

    def has_delete_permission(self, request, obj=None):
        return can_manage_instruments(request.user) and not self._locked(obj)

    @staticmethod
    def _locked(obj) -> bool:
        instrument = instrument_of(obj)
        return instrument is not None and instrument.pk is not None and instrument.in_use


class UnlockedParentForm(forms.ModelForm):
    """Refuses adding to or moving under an instrument that is in use."""

    parent_field = ""

    def clean(self):
        cleaned = super().clean()
        parent = cleaned.get(self.parent_field)
        if parent is not None and LockedMixin._locked(parent):
            raise ValidationError(
                _("This instrument is in use and locked. Import a new version instead.")
            )
        return cleaned


class BlockForm(UnlockedParentForm):
    parent_field = "instrument"

    class Meta:
        model = Block
        fields = [
            "instrument",
            "code",
            "title",
            "target",
            "scored",
            "tie_break",
            "formula",
            "weight_base",
            "total_basis",
            "aspect_value",
            "order",
        ]

    def clean(self):
        cleaned = super().clean()
        tie_break = cleaned.get("tie_break") or []
        if not isinstance(tie_break, list):
            raise ValidationError(
                {"tie_break": _('Write a list of aspect codes, e.g. ["III", "II"].')}
            )
        if self.instance.pk:
            known = set(self.instance.aspects.values_list("code", flat=True))
            unknown = [c for c in tie_break if c not in known]
            if unknown:
                raise ValidationError(
                    {
                        "tie_break": _("Unknown aspect codes: %(codes)s")
                        % {"codes": ", ".join(map(str, unknown))}
                    }
                )
        return cleaned


class AspectForm(UnlockedParentForm):
    parent_field = "block"

    class Meta:
        model = Aspect
        fields = ["block", "code", "title", "weight", "is_example", "order"]


class IndicatorForm(UnlockedParentForm):
    parent_field = "aspect"

    class Meta:
        model = Indicator
        fields = [
            "aspect",
            "code",
            "title",
            "weight",
            "is_example",
            "shading",
            "always_filled",
            "order",
        ]


class ItemForm(UnlockedParentForm):
    parent_field = "indicator"

    class Meta:
        model = Item
        fields = [
            "indicator",
            "code",
            "text",
            "kind",
            "max_score",
            "weight",
            "evidence_hint",
            "evidence_required",
            "is_example",
            "source_note",
            "score_offset",
            "score_divisor",
            "nilai_rule",
            "rincian",
            "validation_rule",
            "explanation",
            "guidance",
            "source_row",
            "order",
        ]

    def clean(self):
        cleaned = super().clean()
        indicator, code = cleaned.get("indicator"), cleaned.get("code")
        if indicator is not None and code:
            instrument = indicator.aspect.block.instrument
            clash = Item.objects.filter(instrument=instrument, code=code).exclude(
                pk=self.instance.pk
            )
            if clash.exists():
                raise ValidationError(
                    {
                        "code": _("Item code %(code)s is already used in this instrument.")
                        % {"code": code}
                    }
                )
        if cleaned.get("kind") == ItemKind.CHOICE and not cleaned.get("max_score"):
            raise ValidationError(
                {"max_score": _("A choice item needs a max score of at least 1.")}
            )
        return cleaned


class OptionFormSet(forms.BaseInlineFormSet):
    """A choice item keeps at least two options, none above its max score; text and heading
    items have none."""

    def clean(self):
        super().clean()
        kept = [
            f.cleaned_data
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        item = self.instance
        if item.kind == ItemKind.CHOICE:
            if len(kept) < 2:
                raise ValidationError(_("A choice item needs at least two options."))
            best = max(o["score"] for o in kept)
            if item.max_score and best > item.max_score:
                raise ValidationError(
                    _("An option scores %(best)s, above the max score %(max)s.")
                    % {"best": best, "max": item.max_score}
                )
        elif kept:
            raise ValidationError(_("Only a choice item has options."))
        labels = [o["label"].strip() for o in kept]
        if len(labels) != len(set(labels)):
            raise ValidationError(_("Two options have the same label."))


class LockedInline(admin.TabularInline):
    extra = 0
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return not LockedMixin._locked(obj)

    def has_change_permission(self, request, obj=None):
        return not LockedMixin._locked(obj)

    def has_delete_permission(self, request, obj=None):
        return not LockedMixin._locked(obj)


class BlockInline(LockedInline):
    model = Block
    fields = ["order", "code", "title", "target", "scored"]


class AspectInline(LockedInline):
    model = Aspect
    fields = ["order", "code", "title", "weight", "is_example"]


class IndicatorInline(LockedInline):
    model = Indicator
    fields = ["order", "code", "title", "weight", "is_example"]


class ItemInline(LockedInline):
    model = Item
    fields = ["order", "code", "kind", "max_score", "weight", "score_divisor", "is_example"]
    readonly_fields = ["code", "kind", "max_score"]

    def has_add_permission(self, request, obj=None):
        return False  # items are added on their own page, where code and options are checked


class OptionInline(LockedInline):
    model = Option
    formset = OptionFormSet
    fields = ["order", "score", "label", "is_example"]
    show_change_link = False


class CheckRuleInline(LockedInline):
    model = CheckRule
    fields = ["order", "self_score", "present", "absent", "confirm", "score", "text"]
    show_change_link = False


@admin.register(Instrument)
class InstrumentAdmin(LockedMixin, AuditedAdmin):
    list_display = ["title", "year", "version", "in_use"]
    list_filter = ["year"]
    inlines = [BlockInline]

    @admin.display(boolean=True, description=_("in use (locked)"))
    def in_use(self, obj):
        return obj.in_use


@admin.register(Block)
class BlockAdmin(LockedMixin, AuditedAdmin):
    form = BlockForm
    list_display = ["code", "title", "target", "scored", "instrument"]
    list_filter = ["instrument"]
    inlines = [AspectInline]


@admin.register(Aspect)
class AspectAdmin(LockedMixin, AuditedAdmin):
    form = AspectForm
    list_display = ["code", "title", "weight", "block"]
    list_filter = ["block__instrument"]
    inlines = [IndicatorInline]


@admin.register(Indicator)
class IndicatorAdmin(LockedMixin, AuditedAdmin):
    form = IndicatorForm
    list_display = ["code", "title", "weight", "aspect"]
    list_filter = ["aspect__block__instrument"]
    inlines = [ItemInline]


@admin.register(Item)
class ItemAdmin(LockedMixin, AuditedAdmin):
    form = ItemForm
    list_display = ["code", "text", "kind", "max_score", "weight", "instrument"]
    list_filter = ["instrument", "kind"]
    search_fields = ["code", "text"]
    inlines = [OptionInline, CheckRuleInline]

    def save_model(self, request, obj, form, change):
        obj.instrument = obj.indicator.aspect.block.instrument
        if change and form.has_changed():
            obj.version += 1  # a copy of the item opened on the instrument's page is stale now
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        if formset.model is CheckRule:
            for rule_form in formset.forms:
                if rule_form.instance.pk and rule_form.has_changed():
                    rule_form.instance.version += 1  # as lke.services.update_check_rule does
        super().save_formset(request, form, formset, change)
