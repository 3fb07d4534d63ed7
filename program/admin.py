from django.contrib import admin

from core.admin import AuditedAdmin

from .models import ParticipatingVillage, ProgramYear, SopActivity, WorkPlanActivity


class ReadOnlyMixin:
    """Shown for inspection only: these rows change through the app's audited services (the
    SOP calendar page, the work plan pages), which check the rules and the row version."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class SopActivityInline(ReadOnlyMixin, admin.TabularInline):
    model = SopActivity
    fields = ["number", "code", "amount", "unit", "anchor", "anchor_label", "window_start"]
    readonly_fields = fields
    extra = 0


@admin.register(ProgramYear)
class ProgramYearAdmin(AuditedAdmin):
    list_display = ["year", "province", "working_days", "soon_days"]
    list_filter = ["province"]
    inlines = [SopActivityInline]


@admin.register(ParticipatingVillage)
class ParticipatingVillageAdmin(AuditedAdmin):
    list_display = ["village", "office", "program_year", "kind"]
    list_filter = ["program_year__year", "office", "kind"]
    search_fields = ["village__name", "village__code"]
    raw_id_fields = ["village"]
    filter_horizontal = ["pembina"]


@admin.register(WorkPlanActivity)
class WorkPlanActivityAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["name", "village", "stage", "planned_start", "planned_end", "realised_on"]
    list_filter = ["village__program_year__year", "village__office", "stage"]
    search_fields = ["name", "village__village__name"]
    list_select_related = ["village__village", "village__program_year"]
