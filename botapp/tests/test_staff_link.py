"""A trainer links their own Telegram through a one-time deep link and hears about their clients."""

import pytest

from botapp.tests import factories as f
from botapp.tests.conftest import ADMIN_CHAT
from crm.models import Client
from crm.tests.factories import ClientFactory, TrainerFactory

pytestmark = pytest.mark.django_db
TRAINER_TG = 555000111


def test_trainer_links_telegram_and_gets_notes_about_their_clients(
    client, fake_telegram, post_update, django_capture_on_commit_callbacks
):
    from botapp.services import staff_notify_send

    trainer = TrainerFactory(first_name="Ирина", last_name="Тренер")
    client.force_login(trainer)
    page = client.post("/bot/my-telegram/").content.decode()
    command = page.split('data-testid="command">')[1].split("<")[0]
    assert command.startswith("/start staff_")
    assert "https://t.me/trainer_test_bot?start=staff_" in page

    assert post_update(f.message(TRAINER_TG, command)).status_code == 200
    trainer.refresh_from_db()
    assert trainer.telegram_chat_id == TRAINER_TG
    assert not Client.objects.filter(telegram_id=TRAINER_TG).exists()  # not a lead
    assert (
        fake_telegram.sent("sendMessage", chat_id=TRAINER_TG)[-1]
        .params["text"]
        .startswith("Готово, Ирина Тренер!")
    )
    # The link works once.
    post_update(f.message(TRAINER_TG + 1, command))
    assert (
        "устарела" in fake_telegram.sent("sendMessage", chat_id=TRAINER_TG + 1)[-1].params["text"]
    )
    assert not Client.objects.filter(telegram_id=TRAINER_TG + 1).exists()

    mine = ClientFactory(trainer=trainer, first_name="Вера")
    other = ClientFactory(trainer=TrainerFactory())
    with django_capture_on_commit_callbacks(execute=True):
        staff_notify_send(text="Оплата от Веры", client_id=mine.pk)
        staff_notify_send(text="Оплата от другого", client_id=other.pk)
    personal = [c.params["text"] for c in fake_telegram.sent("sendMessage", chat_id=TRAINER_TG)]
    assert any(t.startswith("Оплата от Веры") for t in personal)
    assert not any("другого" in t for t in personal)
    staff = [c.params["text"] for c in fake_telegram.sent("sendMessage", chat_id=ADMIN_CHAT)]
    assert len([t for t in staff if t.startswith("Оплата")]) == 2  # the staff chat still hears

    page = client.post("/bot/my-telegram/", {"action": "unlink"})
    trainer.refresh_from_db()
    assert trainer.telegram_chat_id is None


def test_expired_or_unknown_token_changes_nothing(post_update, fake_telegram):
    assert post_update(f.message(TRAINER_TG, "/start staff_nope")).status_code == 200
    assert "устарела" in fake_telegram.sent("sendMessage", chat_id=TRAINER_TG)[-1].params["text"]
    assert not Client.objects.filter(telegram_id=TRAINER_TG).exists()


def test_a_client_assigned_to_a_trainer_is_announced_to_them(
    fake_telegram, django_capture_on_commit_callbacks
):
    from crm.services import client_update
    from crm.tests.factories import AdminFactory

    trainer = TrainerFactory(telegram_chat_id=TRAINER_TG)
    lead = ClientFactory(trainer=None, first_name="Олеся", last_name="Новая")
    with django_capture_on_commit_callbacks(execute=True):
        client_update(client=lead, data={"trainer": trainer}, actor=AdminFactory())
    texts = [c.params["text"] for c in fake_telegram.sent("sendMessage", chat_id=TRAINER_TG)]
    assert texts and texts[0].startswith("Вам назначен новый клиент: Олеся Новая")
