from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TelegramUpdate(models.Model):
    """One update as Telegram sent it. `update_id` is unique, so a replayed update is stored once."""

    class Source(models.TextChoices):
        WEBHOOK = "webhook", _("Webhook")
        POLLING = "polling", _("Long polling")
        PREVIEW = "preview", _("Bot preview")

    update_id = models.BigIntegerField(_("update id"), unique=True)
    chat_id = models.BigIntegerField(_("chat id"), null=True, blank=True, db_index=True)
    kind = models.CharField(_("kind"), max_length=32, blank=True)
    payload = models.JSONField(_("payload"))
    source = models.CharField(_("source"), max_length=8, choices=Source, default=Source.WEBHOOK)
    received_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    # Tries that ended in a database error; after a few the update is given up (and the chat's
    # later updates go on) instead of blocking the chat for ever.
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("Telegram update")
        verbose_name_plural = _("Telegram updates")
        ordering = ["-update_id"]
        indexes = [
            models.Index(
                fields=["chat_id", "update_id"],
                condition=models.Q(processed_at__isnull=True),
                name="tgupdate_pending_idx",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.update_id} {self.kind}"


class BotChat(models.Model):
    """A private chat with the bot and where the conversation in it stands.

    The state lives here, not in a process, so any worker (or a restarted one) carries on.
    """

    class State(models.TextChoices):
        IDLE = "idle", _("Idle")
        QUESTIONNAIRE = "questionnaire", _("Answering the questionnaire")
        SUMMARY = "summary", _("Confirming the answers")
        PROMO = "promo", _("Typing a promo code")

    chat_id = models.BigIntegerField(_("chat id"), unique=True)
    client = models.OneToOneField(
        "crm.Client",
        verbose_name=_("client"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="bot_chat",
    )
    state = models.CharField(_("state"), max_length=16, choices=State, default=State.IDLE)
    step = models.CharField(_("question"), max_length=32, blank=True)
    # Only the one answer being changed from the summary, then back to the summary.
    editing = models.BooleanField(_("changing one answer"), default=False)
    answers = models.JSONField(_("answers so far"), default=dict, blank=True)
    promo_code = models.CharField(_("promo code for the next purchase"), max_length=32, blank=True)
    # A worker sending this chat's messages holds the lease, so messages leave in order.
    outbox_lease_until = models.DateTimeField(null=True, blank=True)
    # When the chat's next flush task is due: one scheduled flush per chat, however many messages.
    outbox_flush_due_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("bot chat")
        verbose_name_plural = _("bot chats")

    def __str__(self) -> str:
        return f"{self.chat_id} · {self.get_state_display()}"


class OutboundMessage(models.Model):
    """A message the bot is to send; sent by `outbox_flush_task` in order, at most once."""

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        DOCUMENT = "document", _("Document")
        EDIT = "edit", _("Edit message")
        CALLBACK_ANSWER = "callback", _("Callback answer")

    class Status(models.TextChoices):
        PENDING = "pending", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")
        # Gave up after repeated errors; the staff chat was told. The chat's next messages go on.
        DEAD = "dead", _("Dead letter")

    chat_id = models.BigIntegerField(_("chat id"), db_index=True)
    client = models.ForeignKey(
        "crm.Client",
        verbose_name=_("client"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="bot_messages",
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind, default=Kind.TEXT)
    text = models.TextField(_("text"), blank=True)
    reply_markup = models.JSONField(_("buttons"), null=True, blank=True)
    document = models.CharField(_("document path"), max_length=255, blank=True)
    document_name = models.CharField(_("document file name"), max_length=255, blank=True)
    edit_message_id = models.BigIntegerField(null=True, blank=True)
    callback_query_id = models.CharField(max_length=64, blank=True)
    # One delivery per purpose, whatever retries happen ("program:12").
    dedupe_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    # Staff member who wrote it on the client page; empty for the bot.
    author = models.ForeignKey(
        "crm.User", verbose_name=_("author"), null=True, blank=True, on_delete=models.SET_NULL
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # While "sending": the worker's claim. A claim that ran out means the worker died mid-send, and
    # the message is sent again (Telegram has no idempotency key: at least once beats never).
    claimed_until = models.DateTimeField(null=True, blank=True)
    telegram_message_id = models.BigIntegerField(null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["chat_id", "status", "id"], name="outbox_chat_status_idx"),
            # The oldest message of a status: /healthz's oldest unsent one read the whole outbox
            # (0.12 s per probe at 100,000 clients). Not a partial index of the unsent: SQLite
            # cannot match its condition with the query's bound parameters, and scanned anyway.
            models.Index(fields=["status", "created_at"], name="outbox_status_created_idx"),
        ]

    def __str__(self) -> str:
        return f"→{self.chat_id} {self.kind} {self.status}"


class PreviewMessage(models.Model):
    """What the preview transport "sent": the bubbles of the web preview chat."""

    chat_id = models.BigIntegerField(_("chat id"), db_index=True)
    from_bot = models.BooleanField(_("from the bot"), default=True)
    text = models.TextField(_("text"), blank=True)
    reply_markup = models.JSONField(_("buttons"), null=True, blank=True)
    document = models.CharField(_("document path"), max_length=255, blank=True)
    document_name = models.CharField(_("document file name"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("preview message")
        verbose_name_plural = _("preview messages")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.chat_id}: {self.text[:40]}"


class BotText(models.Model):
    """A text the bot says, editable in admin. Keys and Russian defaults live in `botapp.texts`."""

    key = models.CharField(_("key"), max_length=64, unique=True)
    text = models.TextField(_("text"))
    description = models.CharField(_("where it is used"), max_length=255, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("bot text")
        verbose_name_plural = _("bot texts")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


class FaqEntry(models.Model):
    """A question and answer shown under "FAQ" in the bot's menu."""

    question = models.CharField(_("question"), max_length=120)
    answer = models.TextField(_("answer"))
    order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("shown"), default=True)

    class Meta:
        verbose_name = _("FAQ entry")
        verbose_name_plural = _("FAQ entries")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.question


class RateSlot(models.Model):
    """The next free sending slot for a key, when Redis is not configured (see `botapp.ratelimit`)."""

    key = models.CharField(max_length=64, unique=True)
    next_at = models.FloatField(default=0.0)  # Unix time; compared with time.time()

    class Meta:
        verbose_name = _("rate-limit slot")
        verbose_name_plural = _("rate-limit slots")

    def __str__(self) -> str:
        return self.key


class StaffLink(models.Model):
    """A one-time deep link (`/start staff_<token>`) that ties a staff member's own Telegram chat to
    their account, so notifications about their clients reach them personally."""

    user = models.ForeignKey(
        "crm.User", verbose_name=_("staff member"), on_delete=models.CASCADE, related_name="+"
    )
    token = models.CharField(_("token"), max_length=32, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        verbose_name = _("staff Telegram link")
        verbose_name_plural = _("staff Telegram links")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.created_at:%d.%m.%Y %H:%M}"
