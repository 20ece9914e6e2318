"""A trainer links their own Telegram through a one-time deep link and hears about their clients."""

import pytest

from botapp.tests import factories as f
from botapp.tests.conftest import ADMIN_CHAT
from crm.models import Client, Notification
from crm.services import notification_create
from crm.tests.factories import ClientFactory, TrainerFactory

pytestmark = pytest.mark.django_db
TRAINER_TG = 555000111


def test_trainer_links_telegram_and_gets_notes_about_their_clients(
    settings, client, fake_telegram, post_update, django_capture_on_commit_callbacks
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
    other = ClientFactory(trainer=TrainerFactory(), first_name="Другой")
    with django_capture_on_commit_callbacks(execute=True):
        staff_notify_send(text="Оплата от Веры", client_id=mine.pk)
        for someone in (mine, other):
            notification_create(
                recipient=someone.trainer,
                kind=Notification.Kind.CLIENT_PAID,
                client=someone,
                text=f"{someone.first_name} оплатил(а)",
            )
        notification_create(  # a kind that stays under the bell
            recipient=trainer, kind=Notification.Kind.TASK_OVERDUE, client=mine, text="Просрочено"
        )
    personal = [c.params["text"] for c in fake_telegram.sent("sendMessage", chat_id=TRAINER_TG)]
    assert personal[1:] == [f"Вера оплатил(а)\n{settings.SITE_URL}/clients/{mine.pk}/"]
    staff = [c.params["text"] for c in fake_telegram.sent("sendMessage", chat_id=ADMIN_CHAT)]
    assert [t for t in staff if t.startswith("Оплата")] == [
        f"Оплата от Веры\n{settings.SITE_URL}/clients/{mine.pk}/"
    ]  # the staff chat hears staff notes, not the trainers' notifications

    page = client.post("/bot/my-telegram/", {"action": "unlink"})
    trainer.refresh_from_db()
    assert trainer.telegram_chat_id is None


def test_expired_or_unknown_token_changes_nothing(post_update, fake_telegram):
    assert post_update(f.message(TRAINER_TG, "/start staff_nope")).status_code == 200
    assert "устарела" in fake_telegram.sent("sendMessage", chat_id=TRAINER_TG)[-1].params["text"]
    assert not Client.objects.filter(telegram_id=TRAINER_TG).exists()


def test_a_client_assigned_by_hand_is_one_bell_row_and_one_telegram_message(
    settings, fake_telegram, django_capture_on_commit_callbacks
):
    from botapp.services import notification_send
    from crm.services import client_update
    from crm.tests.factories import AdminFactory

    trainer = TrainerFactory(telegram_chat_id=TRAINER_TG)
    lead = ClientFactory(trainer=None, first_name="Олеся", last_name="Новая")
    boss = AdminFactory(first_name="Анна", last_name="Админ")
    with django_capture_on_commit_callbacks(execute=True):
        client_update(client=lead, data={"trainer": trainer}, actor=boss)
    bell = Notification.objects.get(recipient=trainer)
    assert bell.kind == Notification.Kind.LEAD_ASSIGNED
    assert bell.text == "Анна Админ назначил вам клиента Олеся Новая."
    texts = [c.params["text"] for c in fake_telegram.sent("sendMessage", chat_id=TRAINER_TG)]
    assert texts == [f"{bell.text}\n{settings.SITE_URL}/clients/{lead.pk}/"]
    assert not [
        c
        for c in fake_telegram.sent("sendMessage", chat_id=ADMIN_CHAT)
        if "Олеся" in c.params["text"]
    ]

    # A redelivered task sends nothing twice; reassigning to the same trainer notifies nobody.
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(notification_id=bell.pk)
        client_update(client=lead, data={"trainer": trainer}, actor=boss)
    assert len(fake_telegram.sent("sendMessage", chat_id=TRAINER_TG)) == 1
    assert Notification.objects.filter(recipient=trainer).count() == 1


def test_unlinked_trainer_gets_the_bell_only(fake_telegram, django_capture_on_commit_callbacks):
    from crm.services import client_update
    from crm.tests.factories import AdminFactory

    trainer = TrainerFactory(telegram_chat_id=None)
    lead = ClientFactory(trainer=None)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client_update(client=lead, data={"trainer": trainer}, actor=AdminFactory())
    assert Notification.objects.filter(recipient=trainer).count() == 1
    assert not callbacks  # no bot task queued at all
    assert not fake_telegram.sent("sendMessage")
