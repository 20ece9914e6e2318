from django.contrib import admin, messages
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from .models import PipelineStage, StageMove


@admin.register(PipelineStage)
class PipelineStageAdmin(admin.ModelAdmin):
    list_display = ("name", "order", "code", "color", "expected_days", "client_count")
    list_editable = ("order",)
    search_fields = ("name", "description")
    ordering = ("order", "id")

    def get_readonly_fields(self, request, obj=None):
        # System codes are what automatic moves rely on; they are set by the data migration only.
        return ("code",)

    @admin.display(description=_("clients"))
    def client_count(self, obj: PipelineStage) -> int:
        return obj.client_total

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(client_total=Count("clients"))

    def has_delete_permission(self, request, obj=None):
        if obj is not None and (obj.is_system or obj.clients.exists()):
            return False
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset):
        blocked = queryset.filter(code__isnull=False) | queryset.filter(clients__isnull=False)
        blocked = blocked.distinct()
        if blocked.exists():
            names = ", ".join(stage.name for stage in blocked)
            self.message_user(
                request,
                _("Not deleted: %(names)s — system stages and stages with clients stay.")
                % {"names": names},
                messages.ERROR,
            )
        queryset.exclude(pk__in=blocked.values("pk")).delete()


@admin.register(StageMove)
class StageMoveAdmin(admin.ModelAdmin):
    """Read-only: moves are written by `pipeline.services` so that history can be trusted."""

    list_display = ("moved_at", "client", "from_stage_name", "to_stage_name", "event", "actor")
    list_filter = ("event", "to_stage", "moved_at")
    search_fields = ("client__first_name", "client__last_name", "client__phone", "notes")
    list_select_related = ("client", "actor")
    date_hierarchy = "moved_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
