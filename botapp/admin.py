from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import (
    BotChat,
    BotText,
    FaqEntry,
    OutboundMessage,
    PreviewMessage,
    RateSlot,
    StaffLink,
    TelegramUpdate,
)


@admin.register(BotText)
class BotTextAdmin(admin.ModelAdmin):
    list_display = ("key", "short_text", "description", "updated_at")
    search_fields = ("key", "text", "description")
    readonly_fields = ("key", "description", "updated_at")
    fields = ("key", "description", "text", "updated_at")

    @admin.display(description=_("text"))
    def short_text(self, obj: BotText) -> str:
        return obj.text[:80]

    def has_add_permission(self, request) -> bool:
        return False  # the bot only reads the keys it knows; they are created by the migration


@admin.register(FaqEntry)
class FaqEntryAdmin(admin.ModelAdmin):
    list_display = ("question", "order", "is_active")
    list_editable = ("order", "is_active")
    list_filter = ("is_active",)
    search_fields = ("question", "answer")


@admin.register(TelegramUpdate)
class TelegramUpdateAdmin(admin.ModelAdmin):
    list_display = (
        "update_id",
        "chat_id",
        "kind",
        "source",
        "received_at",
        "processed_at",
        "error",
    )
    list_filter = ("kind", "source", ("processed_at", admin.EmptyFieldListFilter))
    search_fields = ("=update_id", "=chat_id", "error")
    date_hierarchy = "received_at"
    readonly_fields = [f.name for f in TelegramUpdate._meta.fields]


@admin.register(BotChat)
class BotChatAdmin(admin.ModelAdmin):
    list_display = ("chat_id", "client", "state", "step", "updated_at")
    list_filter = ("state",)
    search_fields = (
        "=chat_id",
        "client__first_name",
        "client__last_name",
        "client__telegram_username",
    )
    raw_id_fields = ("client",)


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "chat_id",
        "client",
        "kind",
        "status",
        "attempts",
        "created_at",
        "sent_at",
        "error",
    )
    list_filter = ("status", "kind")
    search_fields = ("=chat_id", "text", "dedupe_key", "error")
    raw_id_fields = ("client", "author")
    date_hierarchy = "created_at"


@admin.register(PreviewMessage)
class PreviewMessageAdmin(admin.ModelAdmin):
    list_display = ("id", "chat_id", "from_bot", "text", "document_name", "created_at")
    list_filter = ("from_bot",)
    search_fields = ("text",)


@admin.register(RateSlot)
class RateSlotAdmin(admin.ModelAdmin):
    list_display = ("key", "next_at")
    search_fields = ("key",)


@admin.register(StaffLink)
class StaffLinkAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at", "used_at"]
    list_select_related = ["user"]
    exclude = ["token"]  # a secret until used

    def has_add_permission(self, request) -> bool:
        return False  # staff create their own on "My Telegram"
