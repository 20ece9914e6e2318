import pytest

from botapp.models import TelegramUpdate
from botapp.tests import factories as f
from botapp.tests.conftest import ADMIN_CHAT
from crm.models import Client, ClientContact, Lead
from pipeline.models import StageMove

pytestmark = pytest.mark.django_db

USER = 555001


def test_start_creates_client_lead_stage_and_menu(fake_telegram, post_update):
    response = post_update(f.message(USER, "/start vk_ads"))

    assert response.status_code == 200
    client = Client.objects.get(telegram_id=USER)
    assert client.source == "vk_ads" and client.telegram_username == "anna_fit"
    assert Lead.objects.get(client=client).source == "vk_ads"
    assert client.stage.code == "first_contact"
    assert StageMove.objects.filter(client=client, event="lead_created").count() == 1
    sent = fake_telegram.sent("sendMessage", chat_id=USER)
    assert "Привет, Анна" in sent[0].params["text"]
    labels = [label for label, _ in sent[1].buttons()]
    assert labels == [
        "🎁 Бесплатная программа",
        "💳 Цены и тарифы",
        "❓ Частые вопросы",
        "📞 Контакты",
    ]
    staff = fake_telegram.sent("sendMessage", chat_id=ADMIN_CHAT)
    assert (
        len(staff) == 1
        and "Новый лид" in staff[0].params["text"]
        and "vk_ads" in staff[0].params["text"]
    )
    # Every message in and out is in the client's history.
    directions = list(
        ClientContact.objects.filter(client=client)
        .order_by("id")
        .values_list("direction", flat=True)
    )
    assert directions == ["inbound", "outbound", "outbound"]


def test_replayed_update_is_answered_and_not_processed_again(fake_telegram, post_update):
    update = f.message(USER, "/start")
    assert post_update(update).status_code == 200
    before = len(fake_telegram.sent("sendMessage", chat_id=USER))

    replay = post_update(update)

    assert replay.status_code == 200 and replay.json()["duplicate"] is True
    assert len(fake_telegram.sent("sendMessage", chat_id=USER)) == before
    assert TelegramUpdate.objects.count() == 1
    assert Client.objects.filter(telegram_id=USER).count() == 1


def test_forged_webhook_without_secret_is_refused(fake_telegram, post_update):
    assert post_update(f.message(USER, "/start"), secret="").status_code == 403
    assert post_update(f.message(USER, "/start"), secret="guess").status_code == 403
    assert not TelegramUpdate.objects.exists() and not Client.objects.exists()
    assert fake_telegram.sent() == []


def test_webhook_refuses_everything_when_no_secret_is_configured(
    fake_telegram, post_update, settings
):
    settings.TELEGRAM_WEBHOOK_SECRET = ""
    assert post_update(f.message(USER, "/start"), secret="").status_code == 403


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[]", b'{"message": {}}', b'{"update_id": "x"}', "\u00ff".encode("latin-1")],
)
def test_malformed_body_gets_400_and_changes_nothing(fake_telegram, post_update, body):
    assert post_update(None, raw=body).status_code == 400
    assert not TelegramUpdate.objects.exists()


def test_get_is_not_allowed(client):
    assert client.get("/bot/webhook/").status_code == 405


def test_sticker_photo_get_a_polite_answer_and_land_in_history(fake_telegram, post_update):
    post_update(f.message(USER, "/start"))
    post_update(f.sticker(USER))
    post_update(f.photo(USER, caption="мой прогресс"))

    texts = [c.params["text"] for c in fake_telegram.sent("sendMessage", chat_id=USER)]
    assert (
        texts.count("Пока я понимаю только текст и кнопки. Напишите словами — передам тренеру.")
        == 2
    )
    history = list(
        ClientContact.objects.filter(direction="inbound")
        .order_by("id")
        .values_list("text", flat=True)
    )
    assert history[1:] == ["[стикер]", "[фото] мой прогресс"]


def test_long_text_is_forwarded_to_staff_cut_to_telegram_limits(fake_telegram, post_update):
    post_update(f.message(USER, "/start"))
    long_text = "Я хочу похудеть к лету. " * 209  # ~5,000 characters
    assert len(long_text) > 5000

    assert post_update(f.message(USER, long_text)).status_code == 200

    contact = ClientContact.objects.filter(direction="inbound").order_by("-id").first()
    assert contact.text == long_text  # nothing the client wrote is lost
    staff = fake_telegram.sent("sendMessage", chat_id=ADMIN_CHAT)[-1].params["text"]
    assert staff.startswith("💬 Анна") and len(staff) <= 4096
    assert (
        fake_telegram.sent("sendMessage", chat_id=USER)[-1]
        .params["text"]
        .startswith("Сообщение передано")
    )


def test_edited_message_is_recorded_not_answered(fake_telegram, post_update):
    post_update(f.message(USER, "/start"))
    before = len(fake_telegram.sent(chat_id=USER))

    assert post_update(f.edited_message(USER, "исправил опечатку")).status_code == 200

    assert len(fake_telegram.sent(chat_id=USER)) == before
    assert ClientContact.objects.filter(text="(изменено) исправил опечатку").exists()


def test_message_before_start_still_finds_or_creates_the_client(fake_telegram, post_update):
    post_update(f.message(USER, "Здравствуйте, сколько стоит?"))
    client = Client.objects.get(telegram_id=USER)
    assert client.stage.code == "first_contact"
    assert fake_telegram.sent("sendMessage", chat_id=ADMIN_CHAT)  # new lead + the question


def test_free_text_notifies_the_clients_trainer_under_the_bell_once(fake_telegram, post_update):
    from crm.models import Notification
    from crm.tests.factories import TrainerFactory

    post_update(f.message(USER, "/start"))
    trainer = TrainerFactory()
    Client.objects.update(trainer=trainer)
    update = f.message(USER, "Можно перенести тренировку на вечер?")
    post_update(update)
    post_update(update)  # Telegram retried the same update

    note = Notification.objects.get(recipient=trainer)
    assert note.kind == "client_wrote" and "перенести тренировку" in note.text
