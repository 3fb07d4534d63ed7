from django.contrib import admin

from .models import Report, ReportVersion, Review


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """Read-only: reports change only through their workflow (reports.services), audited."""

    list_display = ["village", "kind", "state", "anchor_date", "first_submitted_at"]
    list_filter = ["kind", "state", "village__program_year__year", "village__office"]
    search_fields = ["village__village__name", "village__village__code"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReportVersion)
class ReportVersionAdmin(ReportAdmin):
    list_display = ["report", "number", "submitted_by", "submitted_at"]
    list_filter = ["report__kind"]
    search_fields = ["report__village__village__name"]


@admin.register(Review)
class ReviewAdmin(ReportAdmin):
    list_display = ["report", "version", "decision", "by", "at"]
    list_filter = ["decision", "report__kind"]
    search_fields = ["report__village__village__name"]
