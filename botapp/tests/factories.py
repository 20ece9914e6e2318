"""Real Telegram update JSON, as Telegram posts it to the webhook, and model factories."""

import itertools
import time

import factory

from botapp.models import FaqEntry, OutboundMessage

_update_ids = itertools.count(500_000_000)
_message_ids = itertools.count(1)


def user(user_id: int, first_name: str = "Анна", username: str = "anna_fit") -> dict:
    return {
        "id": user_id,
        "is_bot": False,
        "first_name": first_name,
        "username": username,
        "language_code": "ru",
    }


def _chat(user_id: int) -> dict:
    return {"id": user_id, "type": "private", "first_name": "Анна", "username": "anna_fit"}


def message(user_id: int, text: str | None = None, **extra) -> dict:
    body = {
        "message_id": next(_message_ids),
        "date": int(time.time()),
        "chat": _chat(user_id),
        "from": user(user_id),
        **extra,
    }
    if text is not None:
        body["text"] = text
        if text.startswith("/"):
            body["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
            ]
    return {"update_id": next(_update_ids), "message": body}


def edited_message(user_id: int, text: str) -> dict:
    body = message(user_id, text)["message"]
    body["edit_date"] = body["date"] + 5
    return {"update_id": next(_update_ids), "edited_message": body}


def sticker(user_id: int) -> dict:
    return message(
        user_id,
        sticker={
            "file_id": "CAACAgIAAxkBAAEB",
            "file_unique_id": "AgADxx",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "💪",
        },
    )


def photo(user_id: int, caption: str = "") -> dict:
    sizes = [
        {
            "file_id": "AgACAgIAAx0",
            "file_unique_id": "AQAD1",
            "width": 90,
            "height": 90,
            "file_size": 1200,
        },
        {
            "file_id": "AgACAgIAAx1",
            "file_unique_id": "AQAD2",
            "width": 800,
            "height": 800,
            "file_size": 51200,
        },
    ]
    extra = {"photo": sizes}
    if caption:
        extra["caption"] = caption
    return message(user_id, **extra)


def callback(user_id: int, data: str, *, message_id: int = 1, text: str = "", markup=None) -> dict:
    msg = {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": _chat(user_id),
        "from": {"id": 42, "is_bot": True, "first_name": "Бот", "username": "trainer_test_bot"},
        "text": text or "…",
    }
    if markup:
        msg["reply_markup"] = markup
    return {
        "update_id": next(_update_ids),
        "callback_query": {
            "id": str(next(_message_ids) + 9_000_000),
            "from": user(user_id),
            "chat_instance": f"ci{user_id}",
            "data": data,
            "message": msg,
        },
    }


class FaqEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FaqEntry

    question = factory.Sequence(lambda n: f"Вопрос {n}?")
    answer = "Ответ тренера."
    order = factory.Sequence(lambda n: n)


class OutboundMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutboundMessage

    chat_id = factory.Sequence(lambda n: 700_000 + n)
    text = "Привет!"
