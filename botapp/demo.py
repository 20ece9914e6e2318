"""Demo data for `manage.py seed_demo`: the bot's texts and FAQ, and a chat row per demo client —
leads still on "Первичный контакт" are caught mid-questionnaire, so the admin shows live
conversations. Idempotent: texts by key, chats by their unique chat id."""

import random

from crm.models import Client

from . import questionnaire as q
from .models import BotChat
from .texts import bot_texts_ensure_defaults

BATCH = 2000


def _partial_answers(rng: random.Random) -> tuple[str, dict]:
    """A plausible questionnaire stopped somewhere in the middle: (next step, answers so far)."""
    stop = rng.randint(1, len(q.QUESTIONS) - 1)
    answers = {}
    for question in q.QUESTIONS[:stop]:
        if question.choices and not question.maximum:
            answers[question.step] = rng.choice(question.choices)[0]
        elif question.decimals:
            answers[question.step] = (
                f"{rng.uniform(question.minimum + 20, question.minimum + 60):.1f}"
            )
        else:
            low = question.minimum + (10 if question.maximum > 50 else 0)
            answers[question.step] = str(rng.randint(low, min(question.maximum, low + 40)))
    return q.QUESTIONS[stop].step, answers


def seed(*, clients: list[Client], rng: random.Random) -> int:
    created = bot_texts_ensure_defaults()
    existing = set(
        BotChat.objects.filter(
            chat_id__in=[c.telegram_id for c in clients if c.telegram_id]
        ).values_list("chat_id", flat=True)
    )
    chats = []
    for client in clients:
        if not client.telegram_id or client.telegram_id in existing:
            continue
        own = random.Random(f"botapp-{client.telegram_id}")
        chat = BotChat(chat_id=client.telegram_id, client=client)
        if client.stage and client.stage.code == "first_contact" and own.random() < 0.4:
            chat.state = BotChat.State.QUESTIONNAIRE
            chat.step, chat.answers = _partial_answers(own)
        chats.append(chat)
    BotChat.objects.bulk_create(chats, batch_size=BATCH, ignore_conflicts=True)
    return created + len(chats)
