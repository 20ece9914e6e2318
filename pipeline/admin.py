from django.contrib import admin, messages
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from .models import LostReason, PipelineStage, StageMove


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


@admin.register(LostReason)
class LostReasonAdmin(admin.ModelAdmin):
    """The reasons offered when a client is moved to Неактивен; analytics counts them."""

    list_display = ("name", "order", "is_active", "times_used")
    list_editable = ("order", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name",)

    @admin.display(description=_("times used"), ordering="times_used")
    def times_used(self, obj: LostReason) -> int:
        return obj.times_used

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(times_used=Count("moves"))

    def has_delete_permission(self, request, obj=None):
        # A reason in the history stays (hide it with "offered" instead).
        if obj is not None and obj.moves.exists():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(StageMove)
class StageMoveAdmin(admin.ModelAdmin):
    """Read-only: moves are written by `pipeline.services` so that history can be trusted."""

    list_display = (
        "moved_at",
        "client",
        "from_stage_name",
        "to_stage_name",
        "event",
        "actor",
        "lost_reason",
    )
    list_filter = ("event", "to_stage", "lost_reason", "moved_at")
    search_fields = ("client__first_name", "client__last_name", "client__phone", "notes")
    list_select_related = ("client", "actor", "lost_reason")
    date_hierarchy = "moved_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
