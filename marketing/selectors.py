"""Reads of the marketing app: the website settings and what the chat knows."""

from urllib.parse import quote

from django.conf import settings as django_settings
from django.db.models import QuerySet

from botapp.models import FaqEntry
from payments.models import Tariff

from .models import ChatMessage, WebsiteSettings


def website_settings_get() -> WebsiteSettings:
    """The one settings row (created with defaults on first use)."""
    row, _created = WebsiteSettings.objects.get_or_create(pk=1)
    return row


def llm_provider(site: WebsiteSettings) -> tuple[str, str, str] | None:
    """(base URL, key, model): the website settings' provider, else the LLM_* environment; None if
    neither names a base URL and a model."""
    if site.llm_base_url and site.llm_model:
        return site.llm_base_url, site.llm_api_key, site.llm_model
    if django_settings.LLM_API_BASE_URL and django_settings.LLM_MODEL:
        return (
            django_settings.LLM_API_BASE_URL,
            django_settings.LLM_API_KEY,
            django_settings.LLM_MODEL,
        )
    return None


def tariffs_shown(site: WebsiteSettings) -> QuerySet[Tariff]:
    chosen = site.tariffs.filter(is_active=True)
    return chosen if chosen.exists() else Tariff.objects.filter(is_active=True)


def bot_deep_link(*, start: str, site: WebsiteSettings | None = None) -> str:
    """https://t.me/<bot>?start=<payload>, or "" when the bot's username is not known."""
    name = (site or website_settings_get()).bot_name
    return f"https://t.me/{quote(name)}?start={quote(start)}" if name else ""


def chat_system_prompt(site: WebsiteSettings) -> str:
    """The trainer's prompt plus what the assistant may rely on: tariffs, FAQ, contacts."""
    parts = [site.widget_system_prompt.strip()]
    if site.trainer_name or site.about:
        parts.append(f"О тренере: {site.trainer_name}. {site.about}".strip())
    tariffs = [
        f"- {t.name}: {t.price:.0f} ₽, {t.duration_days} дн. {t.description}".strip()
        for t in tariffs_shown(site)
    ]
    if tariffs:
        parts.append("Тарифы:\n" + "\n".join(tariffs))
    faq = [
        f"В: {q}\nО: {a}"
        for q, a in FaqEntry.objects.filter(is_active=True).values_list("question", "answer")
    ]
    if faq:
        parts.append("Частые вопросы:\n" + "\n".join(faq))
    if site.contacts:
        parts.append(f"Контакты: {site.contacts}")
    link = bot_deep_link(start="site", site=site)
    if link:
        parts.append(f"Бесплатная программа и оплата — в Telegram-боте: {link}")
    return "\n\n".join(p for p in parts if p)


def chat_history(*, session_id: int, limit: int) -> list[ChatMessage]:
    """The session's last `limit` messages, oldest first."""
    recent = ChatMessage.objects.filter(session_id=session_id).order_by("-created_at", "-id")[
        :limit
    ]
    return list(reversed(recent))
