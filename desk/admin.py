from django.contrib import admin

from .models import ClientAccount, ClientImport, LedgerEntry, Shift


class ReadOnlyAdmin(admin.ModelAdmin):
    """Money rows change only through desk.services (ledger entries are never edited)."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "client", "kind", "amount", "method", "shift", "actor")
    list_filter = ("kind", "method")
    list_select_related = ("client", "shift__operator", "actor")
    search_fields = ("client__first_name", "client__last_name", "client__phone", "reason")
    date_hierarchy = "created_at"


@admin.register(Shift)
class ShiftAdmin(ReadOnlyAdmin):
    list_display = ("pk", "operator", "opened_at", "closed_at", "difference")
    list_select_related = ("operator",)
    date_hierarchy = "opened_at"


@admin.register(ClientAccount)
class ClientAccountAdmin(ReadOnlyAdmin):
    list_display = ("client", "balance", "debt", "updated_at")
    list_select_related = ("client",)
    search_fields = ("client__first_name", "client__last_name", "client__phone")


@admin.register(ClientImport)
class ClientImportAdmin(admin.ModelAdmin):
    """Client files imported from the desk page: who, when, how it went (never the file itself)."""

    list_display = ("name", "created_by", "status", "created_at", "finished_at")
    list_filter = ("status",)
    exclude = ("content",)
    readonly_fields = [f.name for f in ClientImport._meta.fields if f.name != "content"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
