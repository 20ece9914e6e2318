import pytest
from django.test import RequestFactory

from botapp import client_page
from botapp.client import preview_chat_id
from botapp.models import OutboundMessage, PreviewMessage
from crm.models import Client, ClientContact, User
from crm.tests.factories import ClientContactFactory, ClientFactory, TrainerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def trainer():
    return TrainerFactory()


def reply(client, user, pk, text="Добрый день! Жду вас в зале.", **headers):
    client.force_login(user)
    return client.post(f"/bot/clients/{pk}/reply/", {"text": text}, headers=headers)


def test_trainer_answers_their_client_and_the_bot_delivers(
    client, trainer, fake_telegram, django_capture_on_commit_callbacks
):
    person = ClientFactory(trainer=trainer)
    with django_capture_on_commit_callbacks(execute=True):
        response = reply(client, trainer, person.pk)
    assert response.status_code == 302
    sent = fake_telegram.sent("sendMessage", chat_id=person.telegram_id)
    assert [c.params["text"] for c in sent] == ["Добрый день! Жду вас в зале."]
    contact = ClientContact.objects.get(client=person)
    assert (contact.direction, contact.author) == ("outbound", trainer)


def test_reply_with_htmx_returns_the_chat_section(client, trainer, fake_telegram):
    person = ClientFactory(trainer=trainer)
    response = reply(client, trainer, person.pk, **{"HX-Request": "true"})
    assert response.status_code == 200
    assert "Сообщение поставлено в очередь" in response.content.decode()
    assert OutboundMessage.objects.filter(client=person, author=trainer).count() == 1


def test_another_trainers_client_is_404(client, trainer):
    person = ClientFactory(trainer=TrainerFactory())
    assert reply(client, trainer, person.pk).status_code == 404
    assert not OutboundMessage.objects.exists()


def test_read_only_gets_403(client):
    person = ClientFactory()
    viewer = UserFactory(role=User.Role.READ_ONLY)
    assert reply(client, viewer, person.pk).status_code == 403
    assert not OutboundMessage.objects.exists()


def test_empty_or_unreachable_reply_is_refused_with_a_message(client, trainer):
    person = ClientFactory(trainer=trainer)
    response = reply(client, trainer, person.pk, text="   ", **{"HX-Request": "true"})
    assert "alert-error" in response.content.decode()
    no_telegram = ClientFactory(trainer=trainer, telegram_id=None)
    response = reply(client, trainer, no_telegram.pk, **{"HX-Request": "true"})
    assert "нет чата" in response.content.decode().lower()
    assert not OutboundMessage.objects.exists()


def test_reply_with_the_bot_off_says_nothing_was_sent(client, trainer, settings):
    settings.TELEGRAM_BOT_TOKEN = ""
    person = ClientFactory(trainer=trainer)
    page = reply(client, trainer, person.pk, **{"HX-Request": "true"}).content.decode()
    assert "Бот выключен" in page and "в очередь" not in page
    assert not OutboundMessage.objects.exists()


@pytest.mark.parametrize("messages", [3, 40])
def test_client_page_section_runs_constant_queries(trainer, django_assert_num_queries, messages):
    person = ClientFactory(trainer=trainer)
    ClientContactFactory.create_batch(messages, client=person)
    request = RequestFactory().get("/")
    request.user = trainer
    with django_assert_num_queries(1):
        sections = client_page.sections(request=request, client=person)
    assert sections[0].title == "Чат в Telegram"
    assert sections[0].html.count('class="bubble ') == min(messages, 30)


# --- the bot preview --------------------------------------------------------------------------------


def test_preview_works_without_a_token(
    client, trainer, settings, django_capture_on_commit_callbacks
):
    settings.TELEGRAM_BOT_TOKEN = ""
    client.force_login(trainer)
    page = client.get("/bot/preview/")
    assert page.status_code == 200 and "бот выключен" in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/bot/preview/send/", {"text": "/start"})
    chat = preview_chat_id(trainer.pk)
    bubbles = list(PreviewMessage.objects.filter(chat_id=chat).order_by("id"))
    assert bubbles[0].text == "/start" and not bubbles[0].from_bot
    menu = bubbles[-1]
    assert menu.from_bot and menu.reply_markup["inline_keyboard"][0][0]["callback_data"] == "m:free"
    preview_client = Client.objects.get(telegram_id=chat)
    assert preview_client.is_preview and preview_client.stage.code == "first_contact"

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/bot/preview/press/", {"message": menu.pk, "data": "m:free"})
    consent = PreviewMessage.objects.filter(chat_id=chat).order_by("-id").first()
    assert "152-ФЗ" in consent.text and "/privacy/" in consent.text
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/bot/preview/press/", {"message": consent.pk, "data": "pd:personal:y:q"})
    last = PreviewMessage.objects.filter(chat_id=chat).order_by("-id").first()
    assert last.text == "Ваш пол?"
    page = client.get("/bot/preview/").content.decode()
    assert "Ваш пол?" in page and 'name="data" value="q:gender:female"' in page


def test_preview_refuses_buttons_it_did_not_offer(client, trainer):
    client.force_login(trainer)
    client.post("/bot/preview/send/", {"text": "/start"})
    response = client.post("/bot/preview/press/", {"message": 999999, "data": "s:ok"}, follow=True)
    assert "Этой кнопки уже нет." in response.content.decode()


def test_preview_documents_only_for_their_owner(client, trainer):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    path = default_storage.save("test/preview.pdf", ContentFile(b"%PDF-1.4 test"))
    mine = PreviewMessage.objects.create(
        chat_id=preview_chat_id(trainer.pk), document=path, document_name="Программа.pdf"
    )
    client.force_login(trainer)
    response = client.get(f"/bot/preview/documents/{mine.pk}/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.4 test"
    client.force_login(TrainerFactory())
    assert client.get(f"/bot/preview/documents/{mine.pk}/").status_code == 404
    default_storage.delete(path)


def test_preview_reset_and_read_only(client, trainer):
    client.force_login(trainer)
    client.post("/bot/preview/send/", {"text": "/start"})
    client.post("/bot/preview/reset/")
    assert not PreviewMessage.objects.exists()
    assert not Client.objects.filter(is_preview=True).exists()
    client.force_login(UserFactory(role=User.Role.READ_ONLY))
    assert client.post("/bot/preview/send/", {"text": "/start"}).status_code == 403
    assert client.get("/bot/preview/").status_code == 200


def test_preview_needs_login(client):
    assert client.get("/bot/preview/").status_code == 302


@pytest.mark.parametrize("bubbles", [5, 80])
def test_preview_page_runs_constant_queries(client, trainer, django_assert_num_queries, bubbles):
    chat = preview_chat_id(trainer.pk)
    PreviewMessage.objects.bulk_create(
        PreviewMessage(chat_id=chat, text=f"сообщение {n}", from_bot=n % 2 == 0)
        for n in range(bubbles)
    )
    client.force_login(trainer)
    with django_assert_num_queries(3):  # session, user, the latest bubbles
        response = client.get("/bot/preview/")
    assert response.content.decode().count('class="bubble ') == min(bubbles, 60)
