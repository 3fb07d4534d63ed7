"""Read-only admin: meetings change only through the app's pages, whose service functions check
the workflow and write the audit log."""

from django.contrib import admin

from .models import ActionItem, AgendaItem, Attendance, Meeting


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AgendaInline(ReadOnlyMixin, admin.TabularInline):
    model = AgendaItem
    fields = ["position", "title", "presenter", "allotted_minutes"]
    extra = 0


class AttendanceInline(ReadOnlyMixin, admin.TabularInline):
    model = Attendance
    fields = ["office", "status", "attendees", "note"]
    extra = 0


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["title", "program_year", "starts_at", "state"]
    list_filter = ["state", "program_year"]
    search_fields = ["title"]
    inlines = [AgendaInline, AttendanceInline]


@admin.register(ActionItem)
class ActionItemAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["__str__", "owner_office", "due_date", "state"]
    list_filter = ["state", "owner_office"]
    list_select_related = ["owner_office"]
