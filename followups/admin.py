from django.contrib import admin

from .models import FollowUp


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    list_display = ("id", "task", "created_at", "relayed_at", "relay_attempts", "error")
    list_filter = ("task",)
    search_fields = ("task",)
    readonly_fields = [f.name for f in FollowUp._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
