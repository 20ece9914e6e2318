from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from pipeline.models import StageMove

from .models import (
    Client,
    ClientAction,
    ClientContact,
    ClientTally,
    Lead,
    Notification,
    Summary,
    Task,
    User,
)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "get_full_name", "role", "email", "is_active", "last_login")
    list_filter = ("role", "is_active")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("CRM"), {"fields": ("role", "phone", "telegram_chat_id")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("CRM"), {"fields": ("role", "first_name", "last_name", "email")}),
    )


class LeadInline(admin.TabularInline):
    model = Lead
    extra = 0
    fields = ("source", "status", "created_at")
    readonly_fields = ("created_at",)


class ClientActionInline(admin.TabularInline):
    model = ClientAction
    extra = 0
    fields = ("kind", "happened_at", "description", "author")
    autocomplete_fields = ("author",)


class ClientContactInline(admin.TabularInline):
    model = ClientContact
    extra = 0
    fields = ("sent_at", "channel", "direction", "text", "author")
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class StageMoveInline(admin.TabularInline):
    """The stage history is written only by the pipeline service; here it is read-only."""

    model = StageMove
    extra = 0
    fields = ("moved_at", "from_stage_name", "to_stage_name", "event", "actor", "notes")
    readonly_fields = fields
    can_delete = False
    verbose_name_plural = _("stage history")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "phone",
        "telegram_username",
        "stage",
        "trainer",
        "source",
        "next_contact_at",
        "created_at",
    )
    list_filter = ("stage", "trainer", "source", "gender", "goal", "created_at")
    search_fields = (
        "first_name",
        "last_name",
        "phone",
        "telegram_username",
        "email",
        "=telegram_id",
    )
    list_select_related = ("stage", "trainer")
    autocomplete_fields = ("trainer",)
    # The stage changes only through the pipeline service, so that every move is in the history.
    readonly_fields = ("stage", "stage_changed_at", "created_at", "updated_at")
    date_hierarchy = "created_at"
    inlines = [LeadInline, ClientActionInline, ClientContactInline, StageMoveInline]
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "first_name",
                    "last_name",
                    "phone",
                    "email",
                    "telegram_id",
                    "telegram_username",
                )
            },
        ),
        (
            _("Pipeline"),
            {
                "fields": (
                    "stage",
                    "stage_changed_at",
                    "trainer",
                    "source",
                    "last_contact_at",
                    "next_contact_at",
                )
            },
        ),
        (
            _("Questionnaire"),
            {
                "fields": (
                    "gender",
                    ("birth_date", "age"),
                    "goal",
                    "experience",
                    ("height_cm", "weight_kg"),
                    "lifestyle",
                    "location",
                    "equipment",
                    "training_days_per_week",
                )
            },
        ),
        (_("Notes"), {"fields": ("notes", "created_at", "updated_at")}),
    )


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = ("client", "source", "status", "created_at")
    list_filter = ("status", "source", "created_at")
    search_fields = ("client__first_name", "client__last_name", "client__phone", "source")
    list_select_related = ("client",)
    autocomplete_fields = ("client",)
    date_hierarchy = "created_at"


@admin.register(ClientAction)
class ClientActionAdmin(admin.ModelAdmin):
    list_display = ("client", "kind", "happened_at", "author", "short_description")
    list_filter = ("kind", "author", "happened_at")
    search_fields = ("client__first_name", "client__last_name", "description")
    list_select_related = ("client", "author")
    autocomplete_fields = ("client", "author")
    date_hierarchy = "happened_at"

    @admin.display(description=_("description"))
    def short_description(self, obj: ClientAction) -> str:
        return (obj.description[:80] + "…") if len(obj.description) > 80 else obj.description


@admin.register(ClientContact)
class ClientContactAdmin(admin.ModelAdmin):
    list_display = ("client", "channel", "direction", "sent_at", "short_text")
    list_filter = ("channel", "direction", "sent_at")
    search_fields = ("client__first_name", "client__last_name", "contact_data", "text")
    list_select_related = ("client",)
    autocomplete_fields = ("client", "author")
    date_hierarchy = "sent_at"

    @admin.display(description=_("text"))
    def short_text(self, obj: ClientContact) -> str:
        return (obj.text[:80] + "…") if len(obj.text) > 80 else obj.text


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ("client", "kind", "title", "due_at", "assignee", "done_at", "outcome")
    list_filter = ("kind", "outcome", ("done_at", admin.EmptyFieldListFilter))
    search_fields = ("client__search_text", "title")
    autocomplete_fields = ("client", "assignee", "created_by")
    date_hierarchy = "due_at"


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("recipient", "kind", "text", "created_at", "read_at")
    list_filter = ("kind",)
    readonly_fields = ("recipient", "kind", "client", "text", "url", "dedup_key", "created_at")
    search_fields = ("text",)

    def has_add_permission(self, request):
        return False


@admin.register(Summary)
class SummaryAdmin(admin.ModelAdmin):
    """What the pages read instead of computing (crm.summaries): read-only, refreshed by the job."""

    list_display = ("name", "scope", "computed_at", "took_ms")
    list_filter = ("name",)
    fields = ("name", "scope", "computed_at", "took_ms")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ClientTally)
class ClientTallyAdmin(admin.ModelAdmin):
    """Clients per stage and trainer as the database counts them (crm.tally): read-only."""

    list_display = ("stage_key", "trainer_key", "is_preview", "clients", "paid")
    list_filter = ("is_preview",)
    fields = list_display
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
