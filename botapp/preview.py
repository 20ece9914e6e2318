"""The bot preview: staff chat with the bot on a page, as a client would in Telegram. Synthetic
updates go through the same store → dispatch → outbox path as real ones."""

import time

from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone

from crm.models import Client, User

from . import client as tg
from .dispatch import update_process
from .models import BotChat, OutboundMessage, PreviewMessage, TelegramUpdate
from .services import outbox_flush, update_store


def _preview_update_id() -> int:
    # Real update ids are positive; preview ones are negative and random, so they never collide.
    import secrets

    return -(secrets.randbits(62) + 1)


def _preview_identity(user: User) -> dict:
    chat_id = tg.preview_chat_id(user.pk)
    return {
        "id": chat_id,
        "is_bot": False,
        "first_name": user.first_name or user.username,
        "last_name": user.last_name or "",
        "username": f"preview_{user.username}"[:32],
    }


def _preview_run(user: User, payload: dict) -> None:
    """Store the synthetic update and handle it now, as the worker would, then send the replies."""
    row = update_store(payload=payload, source=TelegramUpdate.Source.PREVIEW)
    if row is not None:
        update_process(update_id=row.update_id)
    outbox_flush(chat_id=tg.preview_chat_id(user.pk))


def preview_send(*, user: User, text: str) -> None:
    """The staff member typed `text` in the preview chat."""

    identity = _preview_identity(user)
    bubble = PreviewMessage.objects.create(chat_id=identity["id"], from_bot=False, text=text)
    payload = {
        "update_id": _preview_update_id(),
        "message": {
            "message_id": bubble.pk,
            "date": int(timezone.now().timestamp()),
            "chat": {"id": identity["id"], "type": "private", "first_name": identity["first_name"]},
            "from": identity,
            "text": text,
        },
    }
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0]
        payload["message"]["entities"] = [
            {"type": "bot_command", "offset": 0, "length": len(command)}
        ]
    _preview_run(user, payload)


def preview_press(*, user: User, message_id: int, data: str) -> bool:
    """The staff member pressed a button of the bot's message; False if there is no such button."""

    identity = _preview_identity(user)
    message = PreviewMessage.objects.filter(chat_id=identity["id"], pk=message_id).first()
    buttons = (message.reply_markup or {}).get("inline_keyboard", []) if message else []
    if not any(button.get("callback_data") == data for row in buttons for button in row):
        return False
    payload = {
        "update_id": _preview_update_id(),
        "callback_query": {
            "id": f"preview-{message_id}-{int(time.time() * 1000)}",
            "from": identity,
            "chat_instance": str(identity["id"]),
            "data": data,
            "message": {
                "message_id": message.pk,
                "date": int(message.created_at.timestamp()),
                "chat": {"id": identity["id"], "type": "private"},
                "text": message.text,
                "reply_markup": message.reply_markup,
            },
        },
    }
    _preview_run(user, payload)
    return True


@transaction.atomic
def preview_reset(*, user: User) -> None:
    """Forget the staff member's preview client and chat, to walk the journey again from /start."""

    chat_id = tg.preview_chat_id(user.pk)
    PreviewMessage.objects.filter(chat_id=chat_id).delete()
    OutboundMessage.objects.filter(chat_id=chat_id).delete()
    BotChat.objects.filter(chat_id=chat_id).delete()
    clients = Client.objects.filter(telegram_id=chat_id, is_preview=True)
    try:
        with transaction.atomic():
            clients.delete()
    except ProtectedError:
        # Payments keep their client; the old preview client just leaves the chat.
        clients.update(telegram_id=None)
