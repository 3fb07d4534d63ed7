from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Attachment, AuditEvent, Membership, Office, OutgoingMail, Region, User
from .services import audit

SECRET_FIELDS = {"password", "password1", "password2"}


def _form_changes(form) -> dict[str, tuple]:
    changes = {}
    for name in form.changed_data:
        if name in SECRET_FIELDS:
            changes[name] = ("***", "***")
        else:
            changes[name] = (form.initial.get(name), form.cleaned_data.get(name))
    return changes


class AuditedAdmin(admin.ModelAdmin):
    """Admin edits are writes like any other: each one appends an audit row."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        action = f"{obj._meta.model_name}.{'update' if change else 'create'}"
        audit(obj, by=request.user, action=action, changes=_form_changes(form))

    def delete_model(self, request, obj):
        audit(obj, by=request.user, action=f"{obj._meta.model_name}.delete")
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            audit(obj, by=request.user, action=f"{obj._meta.model_name}.delete")
        super().delete_queryset(request, queryset)

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            audit(obj, by=request.user, action=f"{obj._meta.model_name}.delete")
            obj.delete()
        for obj in instances:
            is_new = obj.pk is None
            obj.save()
            action = f"{obj._meta.model_name}.{'create' if is_new else 'update'}"
            audit(obj, by=request.user, action=action, changes={"": (None, str(obj))})
        formset.save_m2m()


@admin.register(Region)
class RegionAdmin(AuditedAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]


@admin.register(Office)
class OfficeAdmin(AuditedAdmin):
    list_display = ["code", "name", "kind", "parent"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]
    raw_id_fields = ["region"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "full_name", "email", "is_active", "is_staff"]
    search_fields = ["username", "full_name", "email", "nip"]
    fieldsets = BaseUserAdmin.fieldsets + ((_("BPS"), {"fields": ["full_name", "nip"]}),)


@admin.register(Membership)
class MembershipAdmin(AuditedAdmin):
    list_display = ["user", "office", "role"]
    list_filter = ["role", "office"]
    search_fields = ["user__username", "user__full_name"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "action", "object_repr", "office", "reason"]
    list_filter = ["action", "office"]
    search_fields = ["object_repr", "actor__username", "reason"]
    date_hierarchy = "at"


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ["original_name", "content_type", "size", "uploaded_by", "uploaded_at"]
    search_fields = ["original_name", "sha256"]


@admin.register(OutgoingMail)
class OutgoingMailAdmin(ReadOnlyAdmin):
    """The outbox, to see what was sent and why a message failed; a failed one can be queued
    again after the cause is fixed."""

    list_display = ["created_at", "to", "subject", "kind", "state", "attempts", "sent_at"]
    list_filter = ["state", "kind"]
    search_fields = ["to", "subject"]
    actions = ["retry"]

    @admin.action(description=_("Queue the selected failed e-mails again"))
    def retry(self, request, queryset):
        count = queryset.filter(state=OutgoingMail.State.FAILED).update(
            state=OutgoingMail.State.PENDING, attempts=0, next_attempt_at=timezone.now()
        )
        self.message_user(request, _("%(n)s e-mail(s) queued again.") % {"n": count})
