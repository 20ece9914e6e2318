from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Consent, DeletionRequest, PolicyVersion
from .services import policy_publish


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    """Published texts never change (consents point at them): saving an edited text publishes the
    next version."""

    list_display = ["kind", "version", "published_at", "published_by", "policy_url"]
    list_filter = ["kind"]
    fields = ["kind", "text", "policy_url", "version", "published_at", "published_by"]
    readonly_fields = ["version", "published_at", "published_by"]

    def save_model(self, request, obj, form, change) -> None:
        published = policy_publish(
            kind=obj.kind, text=obj.text, policy_url=obj.policy_url, user=request.user
        )
        obj.pk, obj.version = published.pk, published.version
        if change:
            self.message_user(
                request,
                _("Published as version %(v)s; the previous text stays on record.")
                % {"v": published.version},
            )

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    list_display = ["at", "client", "kind", "decision", "policy", "channel"]
    list_filter = ["kind", "decision", "channel"]
    list_select_related = ["client", "policy"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DeletionRequest)
class DeletionRequestAdmin(admin.ModelAdmin):
    list_display = ["client_ref", "requested_at", "channel", "status", "purge_after", "purged_at"]
    list_filter = ["status", "channel"]
    exclude = ["purge_keys", "client"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
