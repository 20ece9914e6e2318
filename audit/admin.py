from django.contrib import admin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: nobody adds, changes or deletes audit entries, admins included."""

    list_display = ("at", "actor_name", "action", "object_repr", "client_id", "ip")
    list_filter = ("action",)
    search_fields = ("actor_name", "object_repr", "note")
    date_hierarchy = "at"
    list_select_related = ("actor",)
    readonly_fields = [field.name for field in AuditEntry._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
