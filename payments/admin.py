from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from . import services
from .models import (
    Payment,
    PaymentEvent,
    PromoCode,
    PromoCodeUsage,
    Promotion,
    ProviderNotification,
    Refund,
    Subscription,
    Tariff,
)


@admin.register(Tariff)
class TariffAdmin(admin.ModelAdmin):
    list_display = ("name", "price", "duration_days", "grants_paid_program", "is_active", "order")
    list_editable = ("is_active", "order")
    list_filter = ("is_active", "grants_paid_program")
    search_fields = ("name", "description")


@admin.register(Promotion)
class PromotionAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "value", "starts_on", "ends_on", "is_active")
    list_filter = ("is_active", "kind")
    search_fields = ("name",)
    filter_horizontal = ("tariffs",)


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    readonly_fields = (
        "amount",
        "status",
        "provider_refund_id",
        "reason",
        "created_by",
        "created_at",
        "succeeded_at",
    )
    exclude = ("idempotence_key",)

    def has_add_permission(self, request, obj=None):
        return False


class PaymentEventInline(admin.TabularInline):
    model = PaymentEvent
    extra = 0
    can_delete = False
    fields = readonly_fields = ("created_at", "from_status", "to_status", "source", "actor", "note")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "client",
        "tariff",
        "amount",
        "refunded_amount",
        "status",
        "provider",
        "promo_code",
        "created_at",
        "paid_at",
        "confirmed_by",
    )
    list_filter = ("status", "provider", "tariff", "created_at")
    search_fields = (
        "=id",
        "provider_payment_id",
        "client__first_name",
        "client__last_name",
        "client__phone",
        "client__telegram_username",
    )
    list_select_related = ("client", "tariff", "promo_code", "confirmed_by")
    raw_id_fields = ("client",)
    date_hierarchy = "created_at"
    inlines = [PaymentEventInline, RefundInline]
    actions = ["confirm_payments"]
    # Status and money fields change only through the services (confirm action, refunds, webhook).
    readonly_fields = (
        "status",
        "amount",
        "refunded_amount",
        "promotion",
        "promotion_discount",
        "bonus_visits",
        "bonus_days",
        "provider_payment_id",
        "idempotence_key",
        "confirmation_url",
        "paid_at",
        "confirmed_by",
        "created_by",
        "last_error",
        "created_at",
    )

    def has_add_permission(self, request):
        # Payments are created by payment_create / "Record a payment" so the follow-ups run.
        return False

    @admin.action(description=_("Confirm selected payments as paid"))
    def confirm_payments(self, request, queryset):
        confirmed = skipped = 0
        for payment in queryset:
            try:
                services.payment_confirm(
                    payment=payment, actor=request.user, source=services.Source.ADMIN
                )
            except services.PaymentError:
                done = False
            else:
                done = True
            confirmed += done
            skipped += not done
        self.message_user(
            request,
            _("Confirmed: %(ok)s. Skipped (not pending, or paid online): %(skipped)s.")
            % {"ok": confirmed, "skipped": skipped},
            messages.SUCCESS if confirmed else messages.WARNING,
        )


@admin.register(PromoCode)
class PromoCodeAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "kind",
        "value",
        "valid_from",
        "valid_to",
        "max_uses",
        "max_uses_per_client",
        "is_active",
    )
    list_filter = ("is_active", "kind")
    search_fields = ("code",)
    filter_horizontal = ("tariffs",)


@admin.register(PromoCodeUsage)
class PromoCodeUsageAdmin(admin.ModelAdmin):
    list_display = ("promo_code", "client", "payment", "discount", "used_at")
    list_filter = ("promo_code",)
    search_fields = ("promo_code__code", "client__first_name", "client__last_name", "client__phone")
    list_select_related = ("promo_code", "client", "payment")
    raw_id_fields = ("client", "payment")


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ("client", "tariff", "starts_on", "ends_on", "last_payment")
    list_filter = ("tariff", "ends_on")
    search_fields = ("client__first_name", "client__last_name", "client__phone")
    list_select_related = ("client", "tariff", "last_payment")
    raw_id_fields = ("client", "last_payment")


@admin.register(Refund)
class RefundAdmin(admin.ModelAdmin):
    list_display = ("payment", "amount", "status", "provider_refund_id", "created_by", "created_at")
    list_filter = ("status",)
    search_fields = ("provider_refund_id", "=payment__id")
    list_select_related = ("payment", "created_by")
    readonly_fields = [f.name for f in Refund._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(PaymentEvent)
class PaymentEventAdmin(admin.ModelAdmin):
    """The payments' status history: written by payment_transition only, never edited."""

    list_display = ("payment", "from_status", "to_status", "source", "actor", "created_at")
    list_filter = ("source", "to_status")
    search_fields = ("=payment__id",)
    list_select_related = ("payment", "actor")
    readonly_fields = [f.name for f in PaymentEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ProviderNotification)
class ProviderNotificationAdmin(admin.ModelAdmin):
    """YooKassa's notifications as they came (the webhook inbox): for looking up what the provider
    said and when; only the background processing writes them."""

    list_display = ("event", "object_id", "received_at", "processed_at", "outcome", "attempts")
    list_filter = ("event", "outcome", ("processed_at", admin.EmptyFieldListFilter))
    search_fields = ("=object_id", "error")
    date_hierarchy = "received_at"
    readonly_fields = [f.name for f in ProviderNotification._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
