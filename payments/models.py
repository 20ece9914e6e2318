import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 12, "decimal_places": 2}


def new_idempotence_key() -> str:
    # 32 hex characters: well under YooKassa's 64-character limit.
    return uuid.uuid4().hex


class Tariff(models.Model):
    """Something a client can buy: a price, a duration and what it grants."""

    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    price = models.DecimalField(
        _("price, RUB"), **MONEY, validators=[MinValueValidator(Decimal("1.00"))]
    )
    duration_days = models.PositiveIntegerField(
        _("duration, days"), default=84, validators=[MinValueValidator(1)]
    )
    grants_paid_program = models.BooleanField(
        _("grants the paid program"),
        default=False,
        help_text=_("On payment the client gets the full 12-week program."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("tariff")
        verbose_name_plural = _("tariffs")
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="tariff_price_positive")
        ]

    def __str__(self) -> str:
        return self.name


class PromoCode(models.Model):
    """A discount code: percent or fixed, with validity dates and use limits."""

    class Kind(models.TextChoices):
        PERCENT = "percent", _("Percent")
        FIXED = "fixed", _("Fixed amount, RUB")

    code = models.CharField(_("code"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind, default=Kind.PERCENT)
    value = models.DecimalField(
        _("discount"), **MONEY, validators=[MinValueValidator(Decimal("0.01"))]
    )
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_to = models.DateTimeField(_("valid to"), null=True, blank=True)
    max_uses = models.PositiveIntegerField(
        _("max uses"), null=True, blank=True, help_text=_("Empty: unlimited.")
    )
    max_uses_per_client = models.PositiveIntegerField(
        _("max uses per client"), null=True, blank=True, default=1, help_text=_("Empty: unlimited.")
    )
    tariffs = models.ManyToManyField(
        Tariff,
        verbose_name=_("tariffs"),
        blank=True,
        related_name="promo_codes",
        help_text=_("Empty: every tariff."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("promo code")
        verbose_name_plural = _("promo codes")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="percent") | Q(value__lte=100), name="promo_percent_max_100"
            )
        ]

    def __str__(self) -> str:
        return self.code

    def save(self, *args, **kwargs):
        self.code = self.code.strip().upper()
        super().save(*args, **kwargs)

    def discounted(self, price: Decimal) -> Decimal:
        """The price after this code; never below 1 rouble (YooKassa refuses zero payments)."""
        if self.kind == self.Kind.PERCENT:
            discount = (price * self.value / Decimal(100)).quantize(Decimal("0.01"))
        else:
            discount = self.value
        return max(price - discount, Decimal("1.00"))


WEEKDAYS = [
    (0, _("Mon")),
    (1, _("Tue")),
    (2, _("Wed")),
    (3, _("Thu")),
    (4, _("Fri")),
    (5, _("Sat")),
    (6, _("Sun")),
]
ALL_WEEKDAYS = [day for day, _label in WEEKDAYS]


def all_weekdays() -> list[int]:
    return list(ALL_WEEKDAYS)


# What staff set on a promotion, in its form's order: the form, the audit entry and the API use it.
PROMOTION_FIELDS = (
    "name",
    "kind",
    "value",
    "tariffs",
    "weekdays",
    "time_from",
    "time_to",
    "starts_on",
    "ends_on",
    "combines_with_promo_code",
    "is_active",
)


class Promotion(models.Model):
    """A discount or a bonus that applies by itself to chosen tariffs on chosen weekdays and hours
    (the studio's local time) between two dates: "−20% on weekday mornings", "2+1" (a bonus visit).

    Only `payments.services.promotion_for` decides whether one is in force; a payment keeps which
    promotion it got and what it was worth, so later edits never change past sales.
    """

    class Kind(models.TextChoices):
        PERCENT = "percent", _("Discount, %")
        FIXED = "fixed", _("Discount, RUB")
        VISITS = "visits", _("Extra visits")
        DAYS = "days", _("Extra days")

    name = models.CharField(
        _("name"), max_length=120, help_text=_("What clients see, e.g. “Утро будней” or “2+1”.")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind, default=Kind.PERCENT)
    value = models.DecimalField(
        _("value"),
        **MONEY,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("Percent, roubles, or the number of extra visits or days."),
    )
    tariffs = models.ManyToManyField(
        Tariff,
        verbose_name=_("tariffs"),
        blank=True,
        related_name="promotions",
        help_text=_("Empty: every tariff."),
    )
    weekdays = models.JSONField(
        _("weekdays"), default=all_weekdays, help_text=_("0 = Monday … 6 = Sunday.")
    )
    time_from = models.TimeField(
        _("from (time)"), null=True, blank=True, help_text=_("Empty: from the start of the day.")
    )
    time_to = models.TimeField(
        _("until (time)"), null=True, blank=True, help_text=_("Empty: until the end of the day.")
    )
    starts_on = models.DateField(_("first day"), null=True, blank=True)
    ends_on = models.DateField(_("last day"), null=True, blank=True)
    combines_with_promo_code = models.BooleanField(
        _("combines with a promo code"),
        default=False,
        help_text=_("Off: with a promo code the client gets whichever is better for them."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("promotion")
        verbose_name_plural = _("promotions")
        ordering = ["-is_active", "name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(value__gt=0), name="promotion_value_positive"),
            models.CheckConstraint(
                condition=~Q(kind="percent") | Q(value__lt=100), name="promotion_percent_below_100"
            ),
            models.CheckConstraint(
                condition=Q(time_from__isnull=True)
                | Q(time_to__isnull=True)
                | Q(time_from__lt=models.F("time_to")),
                name="promotion_hours_order",
            ),
            models.CheckConstraint(
                condition=Q(starts_on__isnull=True)
                | Q(ends_on__isnull=True)
                | Q(starts_on__lte=models.F("ends_on")),
                name="promotion_dates_order",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors = {}
        days = self.weekdays if isinstance(self.weekdays, list) else None
        if not days or any(day not in ALL_WEEKDAYS for day in days):
            errors["weekdays"] = _("Choose at least one weekday.")
        if self.time_from and self.time_to and self.time_from >= self.time_to:
            errors["time_to"] = _("The end time must be after the start time.")
        if self.starts_on and self.ends_on and self.starts_on > self.ends_on:
            errors["ends_on"] = _("The last day must not be before the first day.")
        if self.value is not None:
            if self.kind == self.Kind.PERCENT and self.value >= 100:
                errors["value"] = _("A percent discount must be below 100.")
            if self.kind in (self.Kind.VISITS, self.Kind.DAYS) and self.value != int(self.value):
                errors["value"] = _("Extra visits or days are a whole number.")
        if errors:
            raise ValidationError(errors)

    def label(self) -> str:
        """What the promotion gives and when, for clients: "−20% по будням до 16:00"."""
        value = int(self.value) if self.value == int(self.value) else self.value
        if self.kind == self.Kind.PERCENT:
            parts = [f"−{value}%"]
        elif self.kind == self.Kind.FIXED:
            parts = [f"−{value} ₽"]
        elif self.kind == self.Kind.VISITS:
            parts = [ngettext("+%(n)s visit free", "+%(n)s visits free", value) % {"n": value}]
        else:
            parts = [ngettext("+%(n)s day free", "+%(n)s days free", value) % {"n": value}]
        days = sorted(self.weekdays or [])
        if days == [0, 1, 2, 3, 4]:
            parts.append(gettext("on weekdays"))
        elif days == [5, 6]:
            parts.append(gettext("at weekends"))
        elif days and days != ALL_WEEKDAYS:
            names = dict(WEEKDAYS)
            parts.append(
                gettext("on %(days)s") % {"days": ", ".join(str(names[d]).lower() for d in days)}
            )
        start, end = (f"{t:%H:%M}" if t else "" for t in (self.time_from, self.time_to))
        if start and end:
            parts.append(gettext("from %(start)s to %(end)s") % {"start": start, "end": end})
        elif end:
            parts.append(gettext("until %(end)s") % {"end": end})
        elif start:
            parts.append(gettext("from %(start)s") % {"start": start})
        if self.ends_on:
            parts.append(gettext("(offer ends %(date)s)") % {"date": f"{self.ends_on:%d.%m.%Y}"})
        return " ".join(parts)

    @property
    def is_discount(self) -> bool:
        return self.kind in (self.Kind.PERCENT, self.Kind.FIXED)

    def discount_on(self, price: Decimal) -> Decimal:
        """Roubles off `price` (0 for a bonus); the price never drops below 1 rouble."""
        if self.kind == self.Kind.PERCENT:
            discount = (price * self.value / Decimal(100)).quantize(Decimal("0.01"))
        elif self.kind == self.Kind.FIXED:
            discount = self.value
        else:
            return Decimal("0.00")
        return min(discount, price - Decimal("1.00"))


class Payment(models.Model):
    """One attempt to pay for a tariff. Its status changes only in `payments.services`."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        WAITING_FOR_CAPTURE = "waiting_for_capture", _("Waiting for capture")
        SUCCEEDED = "succeeded", _("Succeeded")
        CANCELED = "canceled", _("Canceled")
        REFUNDED = "refunded", _("Refunded")

    class Provider(models.TextChoices):
        YOOKASSA = "yookassa", _("YooKassa")
        MANUAL = "manual", _("Manual")
        CASH = "cash", _("Cash")
        CARD = "card", _("Card (terminal)")
        TRANSFER = "transfer", _("Bank transfer")
        BALANCE = "balance", _("From the client's balance")
        DEBT = "debt", _("On credit (debt)")
        DEMO = "demo", _("Demo provider")

    client = models.ForeignKey(
        "crm.Client", verbose_name=_("client"), on_delete=models.PROTECT, related_name="payments"
    )
    tariff = models.ForeignKey(
        Tariff, verbose_name=_("tariff"), on_delete=models.PROTECT, related_name="payments"
    )
    amount = models.DecimalField(_("amount, RUB"), **MONEY)
    refunded_amount = models.DecimalField(_("refunded, RUB"), **MONEY, default=Decimal("0.00"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status, default=Status.PENDING, db_index=True
    )
    provider = models.CharField(_("provider"), max_length=10, choices=Provider)
    provider_payment_id = models.CharField(
        _("provider payment id"), max_length=64, unique=True, null=True, blank=True
    )
    idempotence_key = models.CharField(
        _("idempotence key"), max_length=64, unique=True, default=new_idempotence_key
    )
    confirmation_url = models.URLField(_("payment link"), max_length=500, blank=True)
    promo_code = models.ForeignKey(
        PromoCode,
        verbose_name=_("promo code"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
    )
    promotion = models.ForeignKey(
        Promotion,
        verbose_name=_("promotion"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
    )
    promotion_discount = models.DecimalField(
        _("promotion discount, RUB"), **MONEY, default=Decimal("0.00")
    )
    bonus_visits = models.PositiveSmallIntegerField(_("bonus visits"), default=0)
    bonus_days = models.PositiveSmallIntegerField(_("bonus days"), default=0)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    last_error = models.CharField(_("last error"), max_length=255, blank=True)
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["client", "-created_at"], name="payment_client_created_idx"),
            models.Index(fields=["status", "paid_at"], name="payment_status_paid_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(promotion_discount__gte=0),
                name="payment_promotion_discount_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=models.F("amount")),
                name="payment_refund_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} · {self.amount} ₽ · {self.get_status_display()}"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.WAITING_FOR_CAPTURE)

    @property
    def net_amount(self) -> Decimal:
        return self.amount - self.refunded_amount

    @property
    def is_manual(self) -> bool:
        """Money staff took themselves (cash, card terminal, transfer), as opposed to online."""
        return self.provider in MANUAL_PROVIDERS

    @property
    def staff_may_confirm(self) -> bool:
        """Staff confirm only open money they took themselves; online payments settle by provider."""
        return self.is_manual and self.is_open


MANUAL_PROVIDERS = (
    Payment.Provider.CASH,
    Payment.Provider.CARD,
    Payment.Provider.TRANSFER,
    Payment.Provider.MANUAL,
)


class PaymentEvent(models.Model):
    """One change of a payment's status, written by `payments.services.payment_transition` only.

    `from_status` is empty for the payment's creation. The client page's timeline reads these rows.
    """

    class Source(models.TextChoices):
        WEB = "web", _("Web page")
        BOT = "bot", _("Telegram bot")
        ADMIN = "admin", _("Admin")
        WEBHOOK = "webhook", _("YooKassa notification")
        POLL = "poll", _("Provider check")
        STAFF_CHAT = "staff_chat", _("Staff chat")
        DEMO = "demo", _("Demo checkout")

    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), on_delete=models.CASCADE, related_name="events"
    )
    from_status = models.CharField(
        _("from status"), max_length=20, choices=Payment.Status, blank=True
    )
    to_status = models.CharField(_("to status"), max_length=20, choices=Payment.Status)
    source = models.CharField(_("source"), max_length=12, choices=Source)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("payment event")
        verbose_name_plural = _("payment events")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["payment", "created_at"], name="payment_event_idx")]

    def __str__(self) -> str:
        return f"#{self.payment_id}: {self.from_status or '—'} → {self.to_status}"


class PromoCodeUsage(models.Model):
    """A promo code counted against its limits: one row per succeeded payment."""

    promo_code = models.ForeignKey(
        PromoCode, verbose_name=_("promo code"), on_delete=models.CASCADE, related_name="usages"
    )
    client = models.ForeignKey(
        "crm.Client", verbose_name=_("client"), on_delete=models.CASCADE, related_name="+"
    )
    payment = models.OneToOneField(
        Payment, verbose_name=_("payment"), on_delete=models.CASCADE, related_name="promo_usage"
    )
    discount = models.DecimalField(_("discount, RUB"), **MONEY)
    used_at = models.DateTimeField(_("used at"), default=timezone.now)

    class Meta:
        verbose_name = _("promo code usage")
        verbose_name_plural = _("promo code usages")
        ordering = ["-used_at", "-id"]

    def __str__(self) -> str:
        return f"{self.promo_code} · {self.client}"


class Subscription(models.Model):
    """A client's membership for a tariff; a new payment for the same tariff extends it."""

    client = models.ForeignKey(
        "crm.Client",
        verbose_name=_("client"),
        on_delete=models.CASCADE,
        related_name="subscriptions",
    )
    tariff = models.ForeignKey(
        Tariff, verbose_name=_("tariff"), on_delete=models.PROTECT, related_name="subscriptions"
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    last_payment = models.ForeignKey(
        Payment,
        verbose_name=_("last payment"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["-ends_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="subscription_dates_order"
            )
        ]

    def __str__(self) -> str:
        return f"{self.client} · {self.tariff} · {self.starts_on:%d.%m.%Y}–{self.ends_on:%d.%m.%Y}"

    @property
    def is_current(self) -> bool:
        return self.ends_on >= timezone.localdate()


class Refund(models.Model):
    """Money returned for a payment, in full or in part."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        CANCELED = "canceled", _("Canceled")

    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), on_delete=models.CASCADE, related_name="refunds"
    )
    amount = models.DecimalField(_("amount, RUB"), **MONEY)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PENDING)
    provider_refund_id = models.CharField(
        _("provider refund id"), max_length=64, unique=True, null=True, blank=True
    )
    idempotence_key = models.CharField(
        _("idempotence key"), max_length=64, unique=True, default=new_idempotence_key
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    succeeded_at = models.DateTimeField(_("succeeded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")
        ]

    def __str__(self) -> str:
        return f"{self.amount} ₽ · {self.get_status_display()}"


class ProviderNotification(models.Model):
    """A YooKassa notification as it came: stored once per (event, object) and answered 200 at once,
    then acted on in the background (`payments.services.notification_process`). A duplicate is not
    stored twice; a row left unprocessed (the API was down) is tried again by the beat sweep."""

    class Outcome(models.TextChoices):
        SUCCEEDED = "succeeded", _("Payment succeeded")
        CANCELED = "canceled", _("Payment canceled")
        WAITING = "waiting", _("Waiting for capture")
        REFUNDED = "refunded", _("Refunded")
        SAME = "same", _("Nothing to change")
        MISMATCH = "mismatch", _("Does not match the payment")
        UNKNOWN = "unknown", _("Unknown to YooKassa or to us")
        IGNORED = "ignored", _("Ignored event")
        FAILED = "failed", _("Given up")

    provider = models.CharField(
        _("provider"), max_length=20, choices=Payment.Provider, default=Payment.Provider.YOOKASSA
    )
    event = models.CharField(_("event"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    body = models.JSONField(_("body"))
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    retry_at = models.DateTimeField(_("next try"), null=True, blank=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome, blank=True)
    error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("provider notification")
        verbose_name_plural = _("provider notifications")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "event", "object_id"], name="provider_notification_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["received_at"],
                condition=models.Q(processed_at__isnull=True),
                name="provider_notification_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.object_id}"
