from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import ProgramTemplate, TemplateVersion, TrainingProgram


@admin.register(TemplateVersion)
class TemplateVersionAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "source",
        "is_active",
        "template_count",
        "row_count",
        "loaded_by",
        "created_at",
    ]
    list_filter = ["source", "is_active"]
    search_fields = ["source_detail", "checksum"]
    readonly_fields = ["checksum", "created_at"]
    raw_id_fields = ["loaded_by"]


@admin.register(ProgramTemplate)
class ProgramTemplateAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "title",
        "gender",
        "level",
        "goal",
        "equipment",
        "days_per_week",
        "weeks",
        "version",
    ]
    list_filter = ["version", "gender", "level", "goal", "location", "equipment", "days_per_week"]
    search_fields = ["code", "title"]
    list_select_related = ["version"]


@admin.register(TrainingProgram)
class TrainingProgramAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "client",
        "kind",
        "title",
        "trigger",
        "formatted_by",
        "assigned_at",
        "delivered_at",
        "pdf_stale",
    ]
    list_filter = [
        "kind",
        "is_paid",
        "formatted_by",
        "pdf_stale",
        ("delivered_at", admin.EmptyFieldListFilter),
    ]
    search_fields = [
        "client__first_name",
        "client__last_name",
        "client__phone",
        "trigger",
        "template_code",
    ]
    list_select_related = ["client"]
    raw_id_fields = ["client", "template", "assigned_by"]
    readonly_fields = ["created_at", "updated_at", "pdf_rendered_at"]
    date_hierarchy = "assigned_at"
    fieldsets = [
        (None, {"fields": ["client", "kind", "trigger", "title", "is_paid"]}),
        (_("Template"), {"fields": ["template", "template_code", "selection"]}),
        (
            _("Content"),
            {"fields": ["weeks", "content", "formatting", "formatted_by", "formatted_text"]},
        ),
        (_("PDF"), {"fields": ["pdf", "pdf_rendered_at", "pdf_stale"]}),
        (
            _("Assignment"),
            {"fields": ["assigned_by", "assigned_at", "delivered_at", "created_at", "updated_at"]},
        ),
    ]
