from django.contrib import admin

from .models import Recap


@admin.register(Recap)
class RecapAdmin(admin.ModelAdmin):
    """Read-only: recaps change only through the generate and sign-off services (audited)."""

    list_display = ["program_year", "period", "state", "generated_by", "generated_at", "signed_by"]
    list_filter = ["state", "program_year"]
    readonly_fields = [f.name for f in Recap._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
