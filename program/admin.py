from django.contrib import admin

from core.admin import AuditedAdmin

from .models import ParticipatingVillage, ProgramYear


@admin.register(ProgramYear)
class ProgramYearAdmin(AuditedAdmin):
    list_display = ["year", "province"]
    list_filter = ["province"]


@admin.register(ParticipatingVillage)
class ParticipatingVillageAdmin(AuditedAdmin):
    list_display = ["village", "office", "program_year", "kind"]
    list_filter = ["program_year__year", "office", "kind"]
    search_fields = ["village__name", "village__code"]
    raw_id_fields = ["village"]
    filter_horizontal = ["pembina"]
