from django.contrib import admin

from .models import CheckinPrompt, CheckinSession, ProgressJournal, ProgressPhoto, ProgressTarget


@admin.register(ProgressJournal)
class ProgressJournalAdmin(admin.ModelAdmin):
    list_display = ("client", "period", "measured_on", "weight", "waist", "source", "created_at")
    list_filter = ("period", "source", "measured_on")
    search_fields = ("client__first_name", "client__last_name", "client__phone", "notes")
    list_select_related = ("client",)
    raw_id_fields = ("client", "created_by")
    date_hierarchy = "measured_on"


@admin.register(ProgressTarget)
class ProgressTargetAdmin(admin.ModelAdmin):
    list_display = ("client", "metric", "value", "set_by", "updated_at")
    list_filter = ("metric",)
    search_fields = ("client__first_name", "client__last_name", "client__phone")
    list_select_related = ("client", "set_by")
    raw_id_fields = ("client", "set_by")


@admin.register(ProgressPhoto)
class ProgressPhotoAdmin(admin.ModelAdmin):
    # No link to the file here: photos are shown only on the ownership-checked progress page.
    list_display = ("client", "pose", "taken_on", "source", "created_at")
    list_filter = ("pose", "source")
    search_fields = ("client__first_name", "client__last_name", "client__phone")
    list_select_related = ("client",)
    raw_id_fields = ("client",)
    exclude = ("image",)
    readonly_fields = ("content_type",)

    def has_add_permission(self, request) -> bool:
        return False  # photos arrive through the progress page or the bot, which check the file


@admin.register(CheckinSession)
class CheckinSessionAdmin(admin.ModelAdmin):
    list_display = ("client", "period", "status", "step", "started_at", "updated_at")
    list_filter = ("status", "period")
    search_fields = ("client__first_name", "client__last_name", "client__phone")
    list_select_related = ("client",)
    raw_id_fields = ("client", "entry")


@admin.register(CheckinPrompt)
class CheckinPromptAdmin(admin.ModelAdmin):
    list_display = ("client", "week_start", "created_at")
    list_filter = ("week_start",)
    search_fields = ("client__first_name", "client__last_name", "client__phone")
    list_select_related = ("client",)
    raw_id_fields = ("client",)
