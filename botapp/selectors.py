"""Reads of the bot: the chat history for the client page and the preview page."""

from django.db.models import QuerySet

from crm.models import Client, ClientContact

from .models import PreviewMessage

CHAT_HISTORY_LIMIT = 30


def client_chat_history(*, client: Client, limit: int = CHAT_HISTORY_LIMIT) -> list[ClientContact]:
    """The client's latest Telegram messages, oldest first (one query)."""
    rows = list(
        ClientContact.objects.filter(client=client, channel=ClientContact.Channel.TELEGRAM)
        .select_related("author")
        .order_by("-sent_at", "-id")[:limit]
    )
    rows.reverse()
    return rows


def preview_messages(*, chat_id: int, limit: int = 60) -> list[PreviewMessage]:
    rows = list(PreviewMessage.objects.filter(chat_id=chat_id).order_by("-id")[:limit])
    rows.reverse()
    return rows


def preview_message_for(*, chat_id: int, pk: int) -> QuerySet[PreviewMessage]:
    return PreviewMessage.objects.filter(chat_id=chat_id, pk=pk)
