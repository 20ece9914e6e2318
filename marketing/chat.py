"""The website chat: a visitor's message in, the assistant's answer out, a lead when they leave a
contact or ask to buy. Every message is stored before the LLM is asked, so nothing is lost when it
fails; a failure gives the standard answer (bot link and contacts) and tells staff once per outage."""

import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import ClientContact
from crm.notifications import staff_notify
from crm.phones import phone_normalize
from crm.services import lead_register
from privacy.models import Channel, Consent, ConsentKind
from privacy.services import consent_record
from programs import llm

from .models import ChatMessage, ChatSession, WebsiteSettings
from .selectors import bot_deep_link, chat_history, chat_system_prompt, llm_provider

logger = logging.getLogger(__name__)

LEAD_SOURCE = "website_chat"
HISTORY_MESSAGES = 20  # what the LLM sees of the conversation
VISITOR_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_PHONE = re.compile(r"(?<![\w+])(\+?\d[\d\s().\-]{8,18}\d)(?!\w)")
_TELEGRAM = re.compile(r"(?:t\.me/|telegram\.me/|(?<![\w.@])@)([A-Za-z][A-Za-z0-9_]{4,31})\b")
_BUY = re.compile(
    r"(купить|куплю|покупк|оплат|оформ(ить|лю)|запиш(ите|усь)|записаться|хочу (начать|заниматься"
    r"|тариф|программ)|\bbuy\b|\bpurchase\b)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ChatReply:
    session: ChatSession
    reply: str
    lead_created: bool = False
    fallback: bool = False


@dataclass(frozen=True)
class VisitorContact:
    phone: str = ""
    telegram_username: str = ""
    wants_to_buy: bool = False

    @property
    def is_lead(self) -> bool:
        return bool(self.phone or self.telegram_username or self.wants_to_buy)


def contact_detect(text: str) -> VisitorContact:
    """A phone, a Telegram username or a wish to buy in a visitor's message."""
    phone = ""
    for match in _PHONE.finditer(text):
        try:
            phone = phone_normalize(match.group(1))
            break
        except ValidationError:
            continue
    telegram = _TELEGRAM.search(text)
    return VisitorContact(
        phone=phone,
        telegram_username=telegram.group(1) if telegram else "",
        wants_to_buy=bool(_BUY.search(text)),
    )


def standard_answer(site: WebsiteSettings) -> str:
    """What a visitor reads when the assistant cannot answer: the bot link and the contacts."""
    link = bot_deep_link(start="site", site=site)
    parts = [_("Sorry, I cannot answer right now.")]
    if link:
        parts.append(
            _("Our Telegram bot has the free program, prices and answers: %(link)s")
            % {"link": link}
        )
    if site.contacts:
        parts.append(_("Contact the trainer: %(contacts)s") % {"contacts": site.contacts})
    return " ".join(parts)


def _lead_from_chat(session: ChatSession, text: str) -> bool:
    """Turn the visitor into a lead when they leave a contact or ask to buy (once per session)."""
    if session.client_id is not None:
        return False
    found = contact_detect(text)
    if not found.is_lead:
        return False
    registration = lead_register(
        source=LEAD_SOURCE,
        channel=ClientContact.Channel.TELEGRAM
        if found.telegram_username and not found.phone
        else ClientContact.Channel.PHONE,
        phone=found.phone,
        telegram_username=found.telegram_username,
        first_name="" if (found.phone or found.telegram_username) else _("Website visitor"),
        message=text,
    )
    session.client = registration.client
    session.save(update_fields=["client"])
    # The widget sends a message only with its consent box ticked (the endpoint checks it).
    consent_record(
        client=registration.client,
        kind=ConsentKind.PERSONAL,
        decision=Consent.Decision.GRANTED,
        channel=Channel.WIDGET,
    )
    return True


def chat_message_handle(
    *, visitor_id: str, text: str, origin: str = "", ip_address: str | None = None
) -> ChatReply:
    """Store the visitor's message, answer it and store the answer.

    `text` must be non-empty and at most CHAT_MAX_CHARS long, `visitor_id` match VISITOR_ID (the
    endpoint checks both and answers 400). The reply is plain text: the widget shows it as text.
    """
    text = text.strip()
    if not text or len(text) > settings.CHAT_MAX_CHARS or not VISITOR_ID.match(visitor_id):
        raise ValidationError(_("The message is empty or too long."))
    site = WebsiteSettings.objects.get_or_create(pk=1)[0]
    now = timezone.now()
    with transaction.atomic():
        session, _created = ChatSession.objects.get_or_create(
            visitor_id=visitor_id, defaults={"origin": origin[:200], "ip_address": ip_address}
        )
        session = ChatSession.objects.select_for_update().get(pk=session.pk)
        ChatMessage.objects.create(session=session, role=ChatMessage.Role.VISITOR, text=text)
        lead_created = _lead_from_chat(session, text)
        ChatSession.objects.filter(pk=session.pk).update(last_message_at=now)
    reply, fallback = _answer(site, session)
    if lead_created:
        reply = f"{reply}\n\n{_('Thank you! The trainer will contact you soon.')}".strip()
    with transaction.atomic():
        ChatMessage.objects.create(
            session=session, role=ChatMessage.Role.ASSISTANT, text=reply, is_fallback=fallback
        )
        ChatSession.objects.filter(pk=session.pk).update(
            message_count=F("message_count") + 2, last_message_at=timezone.now()
        )
    return ChatReply(session=session, reply=reply, lead_created=lead_created, fallback=fallback)


def _answer(site: WebsiteSettings, session: ChatSession) -> tuple[str, bool]:
    """(reply, is the standard answer). Never raises for an LLM problem."""
    provider = llm_provider(site)
    if provider is None:
        return standard_answer(site), True
    base_url, api_key, model = provider
    messages = [{"role": "system", "content": chat_system_prompt(site)}]
    messages += [
        {"role": "user" if m.role == ChatMessage.Role.VISITOR else "assistant", "content": m.text}
        for m in chat_history(session_id=session.pk, limit=HISTORY_MESSAGES)
    ]
    try:
        answer = llm.complete(
            base_url=base_url,
            api_key=api_key,
            model=model,
            messages=messages,
            timeout=settings.CHAT_LLM_TIMEOUT,
            max_retries=0,  # the visitor is waiting
            max_tokens=600,
        ).strip()
        if not answer:
            raise ValueError("empty answer")
    except (llm.LLMError, ValueError, IndexError, AttributeError) as exc:
        logger.warning("Website chat: the LLM failed (%s): %s", type(exc).__name__, exc)
        _llm_down(site, reason=f"{type(exc).__name__}: {exc}")
        return standard_answer(site), True
    if site.llm_down_since is not None:
        WebsiteSettings.objects.filter(pk=site.pk).update(llm_down_since=None)
    return answer[:4000], False


def _llm_down(site: WebsiteSettings, *, reason: str) -> None:
    """Staff hear about an outage once: only the request that flips the flag tells them."""
    with transaction.atomic():
        flipped = WebsiteSettings.objects.filter(pk=site.pk, llm_down_since__isnull=True).update(
            llm_down_since=timezone.now()
        )
        if flipped:
            staff_notify(
                text=_(
                    "The website chat's LLM is not answering (%(reason)s). Visitors get the "
                    "standard answer with the bot link until it is back."
                )
                % {"reason": reason[:200]}
            )
