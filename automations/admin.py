from django.contrib import admin

from .models import NpsResponse, Rule, Run


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = ["name", "trigger", "is_active", "order"]
    list_filter = ["is_active", "trigger"]
    search_fields = ["name", "message"]


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = ["rule", "client", "occurrence", "status", "created_at", "done_at"]
    list_filter = ["status", "rule"]
    raw_id_fields = ["client", "outbound_message"]
    list_select_related = ["rule", "client"]

    def has_add_permission(self, request) -> bool:
        return False  # runs are the engine's log


@admin.register(NpsResponse)
class NpsResponseAdmin(admin.ModelAdmin):
    list_display = ["client", "score", "program", "trainer", "created_at"]
    list_filter = ["score"]
    raw_id_fields = ["client", "program", "run"]
    list_select_related = ["client", "trainer", "program"]
