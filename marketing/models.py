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
