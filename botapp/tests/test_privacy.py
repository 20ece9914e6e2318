"""Personal data in the bot (152-FZ): consents, /mydata and /forget, against the fake Bot API."""

import io
import json
import os
import zipfile
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from botapp.models import OutboundMessage
from botapp.services import client_message_send
from botapp.tests import factories as f
from botapp.tests.journey import TelegramUser
from crm.models import Client, Lead
from crm.tests.factories import ClientFactory
from payments.tests.factories import PaymentFactory
from privacy.models import Consent, ConsentRequest, DeletionRequest
from privacy.selectors import policy_current
from progress.models import CheckinSession, ProgressPhoto

pytestmark = pytest.mark.django_db
USER = 919191


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVACY_EXPORT_DIR = tmp_path / "exports"
    return tmp_path


@pytest.fixture
def anna(fake_telegram, post_update, media):
    person = TelegramUser(fake_telegram, post_update, USER)
    person.say("/start")
    return person


def _consents(kind: str = "personal") -> list[tuple[str, int, str]]:
    return [
        (c.decision, c.policy.version, c.channel)
        for c in Consent.objects.filter(client__telegram_id=USER, kind=kind).order_by("at", "id")
    ]


def test_consent_before_the_questionnaire_decline_then_agree_later(anna, settings):
    settings.SITE_URL = "https://crm.example.com"
    anna.press("🎁 Бесплатная программа")
    text = anna.last_text()
    assert text.startswith(policy_current(kind="personal").text[:40])
    assert text.endswith("Полный текст политики: https://crm.example.com/privacy/")
    assert anna.buttons() == ["✅ Согласен(на)", "Не согласен(на)"]
    assert Client.objects.get(telegram_id=USER).gender == ""  # no question asked yet

    anna.press("Не согласен(на)")
    assert anna.last_text().startswith("Понимаю. Без согласия я не могу подобрать программу")
    assert anna.buttons() == ["✅ Дать согласие", "❓ Частые вопросы", "📞 Контакты", "⬅️ В меню"]
    assert _consents() == [("declined", 1, "telegram")]
    anna.press("❓ Частые вопросы")  # what the bot still does
    assert anna.last_text() == "Частые вопросы:"
    anna.press("🎁 Бесплатная программа")  # still no questionnaire without the consent
    assert anna.buttons() == ["✅ Согласен(на)", "Не согласен(на)"]

    anna.press("✅ Дать согласие")
    anna.agree()
    assert anna.texts()[-3:-1] == [
        "Спасибо, согласие сохранено.",
        "Ответьте на несколько вопросов — подберу программу под вас. Отменить: /cancel",
    ]
    assert anna.last_text() == "Ваш пол?"
    assert _consents() == [("declined", 1, "telegram"), ("granted", 1, "telegram")]
    # The consent message keeps its text and shows the answer instead of the buttons.
    edits = anna.fake.sent("editMessageText", chat_id=USER)
    assert edits[-1].params["text"].endswith("→ ✅ Согласен(на)")
    assert "reply_markup" not in edits[-1].params

    anna.press("✅ Согласен(на)")  # an old button again: nothing new recorded
    assert len(_consents()) == 2
    anna.say("/cancel")
    anna.press("🎁 Бесплатная программа")  # agreed once: straight to the questions
    assert anna.last_text() == "Ваш пол?"


def test_a_new_text_version_is_what_the_next_consent_points_at(anna):
    from privacy.services import policy_publish

    policy_publish(kind="personal", text="Редакция 2: согласие на обработку данных.")
    anna.press("🎁 Бесплатная программа")
    assert anna.last_text().startswith("Редакция 2:")
    anna.agree()
    assert _consents() == [("granted", 2, "telegram")]


def test_a_client_from_before_consents_is_asked_once_at_the_next_message(
    fake_telegram, post_update, media
):
    first = policy_current(kind="personal").published_at
    ClientFactory(telegram_id=USER, created_at=first - timedelta(days=100))
    anna = TelegramUser(fake_telegram, post_update, USER)
    anna.say("Когда тренировка?")
    assert anna.texts()[-2] == "Сообщение передано тренеру, он ответит здесь."  # answered first
    assert anna.buttons() == ["✅ Согласен(на)", "Не согласен(на)"]
    assert ConsentRequest.objects.filter(client__telegram_id=USER, kind="personal").count() == 1
    anna.say("И ещё вопрос")
    assert anna.last_text() == "Сообщение передано тренеру, он ответит здесь."  # not asked again
    anna.agree()
    assert anna.last_text() == "Главное меню. Что вас интересует?"
    assert _consents() == [("granted", 1, "telegram")]


def test_health_consent_declined_keeps_measurements_out(anna):
    anna.say("/progress")
    assert "ст. 10 152-ФЗ" in anna.last_text()
    anna.press("Не согласен(на)")
    assert anna.last_text().startswith("Хорошо, без согласия замеры и фото не сохраняются.")
    assert not CheckinSession.objects.exists()
    assert _consents("health") == [("declined", 1, "telegram")]
    anna.say("/progress")  # asked again, and agreeing starts the check-in
    anna.agree()
    assert "Вес, кг?" in anna.last_text()
    assert CheckinSession.objects.filter(client__telegram_id=USER, status="open").exists()


def test_the_health_consent_is_withdrawn_alone_and_its_data_goes_with_it(
    anna, django_capture_on_commit_callbacks
):
    from progress.models import ProgressJournal, ProgressTarget
    from progress.services import photo_add
    from progress.tests.factories import ProgressJournalFactory, ProgressTargetFactory, image_bytes

    anna.say("/consent")
    assert "на замеры и фото (данные о здоровье) — не дано" in anna.last_text()
    anna.say("/progress")
    anna.agree()
    anna.say("/cancel")
    client = Client.objects.get(telegram_id=USER)
    ProgressJournalFactory(client=client)
    ProgressTargetFactory(client=client)
    with django_capture_on_commit_callbacks(execute=True):
        photo = photo_add(client=client, pose="front", content=image_bytes())
    path = photo.image.path
    assert os.path.exists(path)

    anna.say("/consent")
    today = timezone.localdate().strftime("%d.%m.%Y")
    assert f"на замеры и фото (данные о здоровье) — дано {today}" in anna.last_text()
    anna.press("Отозвать согласие на замеры и фото")
    assert anna.last_text().startswith("Отозвать согласие на замеры и фото?")
    anna.press("Нет, оставить")
    assert ProgressJournal.objects.filter(client=client).exists()

    anna.say("/consent")
    anna.press("Отозвать согласие на замеры и фото")
    anna.press("🗑 Да, отозвать и удалить")
    assert anna.last_text().startswith("Согласие отозвано, замеры и фото удалены.")
    assert not ProgressJournal.objects.filter(client=client).exists()
    assert not ProgressPhoto.objects.filter(client=client).exists() and not os.path.exists(path)
    assert ProgressTarget.objects.filter(client=client).exists()  # a goal is not a measurement
    assert _consents("health")[-1] == ("withdrawn", 1, "telegram")
    assert Client.objects.filter(pk=client.pk).exists()  # not forgotten: the rest goes on

    anna.press("🗑 Да, отозвать и удалить")  # the old button again: nothing more happens
    assert anna.last_text().startswith("Согласия на замеры и фото сейчас нет")
    assert len(_consents("health")) == 2
    anna.say("/progress")  # asked again before any new measurement
    assert "ст. 10 152-ФЗ" in anna.last_text()


def _documents(fake) -> list[tuple[str, bytes, str]]:
    return [
        (*call.files["document"], call.params.get("caption", ""))
        for call in fake.sent("sendDocument", chat_id=USER)
    ]


def test_mydata_sends_the_export_zip(anna, fake_telegram):
    anna.press("🎁 Бесплатная программа")
    anna.agree()
    client = Client.objects.get(telegram_id=USER)
    PaymentFactory(client=client, status="succeeded", paid_at=timezone.now())

    anna.say("/mydata")
    assert anna.texts()[-2].startswith("Собираю всё, что о вас хранится")
    [(name, body, caption)] = _documents(fake_telegram)
    assert name.endswith(".zip") and caption == "Всё, что о вас хранится (файл 1 из 1)."
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        names = set(archive.namelist())
        readme = archive.read("README.txt").decode()
        consents = json.loads(archive.read("data/privacy.consent.json"))
        payments = json.loads(archive.read("data/payments.payment.json"))
        messages = archive.read("data/telegram_messages.json").decode()
    assert {"data/crm.client.json", "data/crm.clientcontact.json"} <= names
    assert "Анна" in readme and "Обработка персональных данных" in readme
    assert [c["fields"]["decision"] for c in consents] == ["granted"]
    assert payments[0]["fields"]["status"] == "succeeded"
    assert "/mydata" in messages
    assert OutboundMessage.objects.get(kind="document").status == "sent"


def test_mydata_of_a_large_archive_comes_in_parts_under_the_limit(anna, fake_telegram, settings):
    settings.PRIVACY_EXPORT_PART_MB = 1  # stands for Telegram's 45 MB parts
    client = Client.objects.get(telegram_id=USER)
    for pose in ("front", "side", "back"):
        photo = ProgressPhoto(client=client, pose=pose)
        photo.image.save(f"{pose}.jpg", ContentFile(os.urandom(600 * 1024)), save=True)

    anna.say("/mydata")
    documents = _documents(fake_telegram)
    assert len(documents) == 3
    assert [caption for *_, caption in documents] == [
        f"Всё, что о вас хранится (файл {n} из 3)." for n in (1, 2, 3)
    ]
    photos = []
    for _name, body, _caption in documents:
        assert len(body) <= 1024 * 1024
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            photos += [n for n in archive.namelist() if n.startswith("files/progress")]
    assert len(photos) == 3


def test_mydata_twice_for_one_update_sends_once(anna, fake_telegram):
    from botapp.services import client_data_send

    client = Client.objects.get(telegram_id=USER)
    assert len(client_data_send(client_id=client.pk, request_key="mydata:1")) == 1
    assert client_data_send(client_id=client.pk, request_key="mydata:1") == []  # a retried task


def test_mydata_when_the_export_cannot_be_written(anna, fake_telegram, settings, media):
    blocker = media / "not-a-folder"
    blocker.write_text("x")
    settings.PRIVACY_EXPORT_DIR = blocker / "exports"
    anna.say("/mydata")
    assert anna.last_text().startswith("Не получилось собрать архив с вашими данными.")
    staff = [c.params["text"] for c in fake_telegram.sent("sendMessage") if c.chat_id != USER]
    assert any("/mydata" in text and "не собрался" in text for text in staff)


def test_forget_with_confirmation_twice_is_harmless(anna, fake_telegram):
    client = Client.objects.get(telegram_id=USER)
    anna.say("/forget")
    assert anna.last_text().startswith("Удалить все ваши данные?")
    assert "Платежи останутся для бухгалтерии" in anna.last_text()
    anna.press("Нет, оставить")
    assert anna.last_text() == "Хорошо, ничего не удаляем."
    assert Client.objects.filter(pk=client.pk).exists()

    anna.say("/forget")
    anna.press("🗑 Да, удалить мои данные")
    request = DeletionRequest.objects.get(client_ref=client.pk)
    date = timezone.localtime(request.purge_after).strftime("%d.%m.%Y")
    assert anna.last_text().startswith(f"Готово. Ваши данные скрыты и будут удалены до {date}")
    assert request.channel == "telegram"
    assert not Client.objects.filter(pk=client.pk).exists()  # gone from every staff page
    assert client_message_send(client_id=client.pk, text="Привет!") is None  # messaging stops

    clients, leads = Client._base_manager.count(), Lead.objects.count()
    anna.say("/forget")  # twice
    assert anna.last_text() == f"Ваш запрос на удаление уже принят: данные будут удалены до {date}."
    anna.press("🗑 Да, удалить мои данные")  # the old button again
    assert anna.last_text() == f"Ваш запрос на удаление уже принят: данные будут удалены до {date}."
    assert (Client._base_manager.count(), Lead.objects.count()) == (clients, leads)
    assert DeletionRequest.objects.count() == 1
    assert len(fake_telegram.sent("answerCallbackQuery")) == 3  # every press answered


def test_a_person_who_writes_after_forget_starts_as_a_new_client(anna):
    old = Client.objects.get(telegram_id=USER)
    anna.say("/forget")
    anna.press("🗑 Да, удалить мои данные")
    anna.say("/start")
    new = Client.objects.get(telegram_id=USER)
    assert new.pk != old.pk
    assert anna.post(f.message(USER, "/menu")).status_code == 200


def test_with_no_published_text_the_shipped_one_is_asked_never_skipped(fake_telegram, post_update):
    """Flushed tables or a deleted text must not let the bot process data unasked: the shipped
    version 1 comes back and the client is asked as usual."""
    from privacy.defaults import SHIPPED
    from privacy.models import PolicyVersion

    PolicyVersion.objects.all().delete()
    person = TelegramUser(fake_telegram, post_update, USER)
    person.say("/start")
    person.press("🎁 Бесплатная программа")
    assert person.last_text().startswith(SHIPPED["personal"][:40])
    assert person.buttons() == ["✅ Согласен(на)", "Не согласен(на)"]
    assert Client.objects.get(telegram_id=USER).gender == ""
    person.press("✅ Согласен(на)")
    assert _consents() == [("granted", 1, "telegram")]
