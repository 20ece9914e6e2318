"""Marketing: the trainer's website settings, the website chat widget's conversations."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class WebsiteSettings(models.Model):
    """One row (pk=1): the trainer's public profile, the chat widget and its LLM provider."""

    trainer_name = models.CharField(_("trainer's public name"), max_length=120, blank=True)
    photo = models.ImageField(_("photo"), upload_to="website/", blank=True)
    about = models.TextField(_("about the trainer"), blank=True)
    tariffs = models.ManyToManyField(
        "payments.Tariff",
        verbose_name=_("tariffs shown"),
        blank=True,
        help_text=_("Shown on the site and given to the chat as context. None = all active."),
    )
    contacts = models.TextField(_("contacts"), blank=True, help_text=_("Phone, e-mail, address…"))
    bot_username = models.CharField(
        _("bot username"),
        max_length=64,
        blank=True,
        help_text=_("Without @; the bot's links are https://t.me/<username>?start=…"),
    )
    widget_enabled = models.BooleanField(_("chat widget on"), default=False)
    widget_greeting = models.CharField(
        _("greeting"),
        max_length=300,
        default="Здравствуйте! Я помощник тренера. Спросите о тренировках, тарифах или программе.",
    )
    widget_system_prompt = models.TextField(
        _("system prompt"),
        default=(
            "Ты — вежливый помощник персонального фитнес-тренера на его сайте. Отвечай кратко, "
            "по-русски, только о тренировках, программах, тарифах и записи. Не ставь диагнозов. "
            "Если человек хочет начать или купить, попроси оставить телефон или Telegram."
        ),
    )
    allowed_origins = models.TextField(
        _("allowed sites"),
        blank=True,
        help_text=_("One origin per line, e.g. https://trainer.example.com — only they may chat."),
    )
    llm_base_url = models.URLField(
        _("LLM API base URL"),
        blank=True,
        help_text=_(
            "An OpenAI-compatible API (OpenAI, ProxyAPI, YandexGPT). Empty = LLM_API_BASE_URL."
        ),
    )
    llm_api_key = models.CharField(_("LLM API key"), max_length=300, blank=True)
    llm_model = models.CharField(_("LLM model"), max_length=120, blank=True)
    # Set when the LLM first fails; cleared by the next answer. Staff are told once per outage.
    llm_down_since = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("website settings")
        verbose_name_plural = _("website settings")

    def __str__(self) -> str:
        return str(_("Website settings"))

    @property
    def origins(self) -> list[str]:
        return [
            line.strip().rstrip("/") for line in self.allowed_origins.splitlines() if line.strip()
        ]

    @property
    def bot_name(self) -> str:
        return (self.bot_username or settings.TELEGRAM_BOT_USERNAME).lstrip("@").strip()


class ChatSession(models.Model):
    """One visitor of the website chat (their browser keeps the id), and the client once known."""

    visitor_id = models.CharField(_("visitor"), max_length=64, unique=True)
    client = models.ForeignKey(
        "crm.Client",
        verbose_name=_("client"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="chat_sessions",
    )
    origin = models.CharField(_("site"), max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    message_count = models.PositiveIntegerField(_("messages"), default=0)
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    last_message_at = models.DateTimeField(_("last message"), null=True, blank=True)

    class Meta:
        verbose_name = _("website chat")
        verbose_name_plural = _("website chats")
        ordering = ["-last_message_at", "-id"]

    def __str__(self) -> str:
        return self.visitor_id


class ChatMessage(models.Model):
    class Role(models.TextChoices):
        VISITOR = "visitor", _("Visitor")
        ASSISTANT = "assistant", _("Assistant")

    session = models.ForeignKey(
        ChatSession, verbose_name=_("chat"), on_delete=models.CASCADE, related_name="messages"
    )
    role = models.CharField(_("who"), max_length=16, choices=Role)
    text = models.TextField(_("text"))
    # The standard answer given while the LLM was down.
    is_fallback = models.BooleanField(_("standard answer"), default=False)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("chat message")
        verbose_name_plural = _("chat messages")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["session", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.text[:40]}"


class SocialPost(models.Model):
    """A post for the Telegram channel and the VK community, with its own bot deep link.

    draft → scheduled → published, or failed (with the reason; retried with backoff). Each network
    is a `PostPublication` row, unique per post and network, so a post never goes out twice.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        PUBLISHED = "published", _("Published")
        FAILED = "failed", _("Failed")

    title = models.CharField(_("title"), max_length=120, help_text=_("For you; not published."))
    text = models.TextField(_("text"))
    image = models.ImageField(_("image"), upload_to="posts/", blank=True)
    button_text = models.CharField(_("button text"), max_length=40, blank=True)
    button_url = models.URLField(
        _("button link"),
        blank=True,
        help_text=_("Empty = the post's own bot link, so the leads it brings are counted for it."),
    )
    to_telegram = models.BooleanField(_("Telegram channel"), default=True)
    to_vk = models.BooleanField(_("VK community"), default=True)
    publish_at = models.DateTimeField(_("publish at"), null=True, blank=True, db_index=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status, default=Status.DRAFT, db_index=True
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("social post")
        verbose_name_plural = _("social posts")
        ordering = ["-publish_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def start_payload(self) -> str:
        return f"post_{self.pk}"


class PostPublication(models.Model):
    """One post on one network: at most one row per pair, claimed under a row lock."""

    class Network(models.TextChoices):
        TELEGRAM = "telegram", _("Telegram channel")
        VK = "vk", _("VK community")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Sending")
        PUBLISHED = "published", _("Published")
        FAILED = "failed", _("Failed")

    post = models.ForeignKey(
        SocialPost, verbose_name=_("post"), on_delete=models.CASCADE, related_name="publications"
    )
    network = models.CharField(_("network"), max_length=16, choices=Network)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.PENDING)
    external_id = models.CharField(_("post id on the network"), max_length=64, blank=True)
    url = models.URLField(_("link"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("reason"), blank=True)
    # A failure that may be retried waits until then; null = no automatic retry.
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    attempted_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)

    class Meta:
        verbose_name = _("publication")
        verbose_name_plural = _("publications")
        ordering = ["network"]
        constraints = [
            models.UniqueConstraint(fields=["post", "network"], name="publication_once_per_network")
        ]

    def __str__(self) -> str:
        return f"{self.post} · {self.get_network_display()}"


class AdSpend(models.Model):
    """Money spent on one source in one month (the trainer enters it): CAC and return per rouble."""

    source = models.CharField(_("source"), max_length=64)
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    amount = models.DecimalField(_("spent, RUB"), max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("ad spend")
        verbose_name_plural = _("ad spend")
        ordering = ["-month", "source"]
        constraints = [
            models.UniqueConstraint(fields=["source", "month"], name="adspend_once_per_month"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="adspend_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.source} · {self.month:%m.%Y}"


class LeadFunnel(models.Model):
    """How one lead went through the questionnaire (the bot records it): for the average time to
    complete it per source and per post."""

    lead = models.OneToOneField(
        "crm.Lead", verbose_name=_("lead"), on_delete=models.CASCADE, related_name="funnel"
    )
    questionnaire_started_at = models.DateTimeField(_("questionnaire started"), null=True)
    questionnaire_completed_at = models.DateTimeField(_("questionnaire completed"), null=True)

    class Meta:
        verbose_name = _("lead funnel")
        verbose_name_plural = _("lead funnels")

    def __str__(self) -> str:
        return str(self.lead)
