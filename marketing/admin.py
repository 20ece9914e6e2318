from django.contrib import admin
from django.db import models

from .models import ChatMessage, ChatSession, WebsiteSettings


@admin.register(WebsiteSettings)
class WebsiteSettingsAdmin(admin.ModelAdmin):
    exclude = ["llm_api_key"]  # never shown; edited on /settings/website/
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    readonly_fields = ["llm_down_since", "updated_at"]


class ChatMessageInline(admin.TabularInline):
    model = ChatMessage
    extra = 0
    can_delete = False
    readonly_fields = ["role", "text", "is_fallback", "created_at"]


@admin.register(ChatSession)
class ChatSessionAdmin(admin.ModelAdmin):
    list_display = ["visitor_id", "client", "origin", "message_count", "last_message_at"]
    list_select_related = ["client"]
    search_fields = ["visitor_id", "client__phone", "client__last_name"]
    readonly_fields = [
        "visitor_id",
        "origin",
        "ip_address",
        "message_count",
        "created_at",
        "last_message_at",
    ]
    raw_id_fields = ["client"]
    inlines = [ChatMessageInline]
