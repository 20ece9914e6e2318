from decimal import Decimal

import pytest

from botapp.models import BotChat
from botapp.tests.conftest import ADMIN_CHAT
from botapp.tests.journey import TelegramUser
from crm.models import Client, Lead
from pipeline.models import StageMove

pytestmark = pytest.mark.django_db

USER = 777001


@pytest.fixture
def anna(fake_telegram, post_update):
    person = TelegramUser(fake_telegram, post_update, USER)
    person.say("/start")
    return person


def answer_all(anna: TelegramUser) -> None:
    anna.press("Женский")
    anna.say("тридцать")  # not a number
    assert anna.texts()[-1].startswith("Нужно число, например 30.")
    anna.say("7")  # out of range
    assert anna.texts()[-1].startswith("Введите число от 10 до 100.")
    anna.say("31")
    anna.say("Новичок")  # typed label of a choice is accepted
    anna.say("хочу быть сильной")  # not one of the choices
    assert anna.texts()[-1].startswith("Пожалуйста, выберите вариант кнопкой")
    anna.press("Похудение")
    anna.say("168")
    anna.say("64,5")
    anna.press("Сидячий")
    anna.press("Дом")
    anna.press("Гантели")
    anna.say("9")
    assert anna.texts()[-1].startswith("Введите число от 1 до 7.")
    anna.press("3")


def test_questionnaire_with_wrong_answers_summary_change_and_confirm(anna, fake_telegram):
    anna.press("🎁 Бесплатная программа")
    anna.agree()
    assert anna.texts()[-2].startswith("Ответьте на несколько вопросов")
    assert anna.buttons() == ["Мужской", "Женский"]
    answer_all(anna)

    summary = anna.last_text()
    assert "• Пол: Женский" in summary and "• Вес, кг: 64.5" in summary
    assert "• Тренировок в неделю: 3" in summary
    anna.press("✏️ Изменить ответ")
    anna.press("Рост, см")
    anna.say("170")
    assert "• Рост, см: 170" in anna.last_text()  # straight back to the summary
    anna.press("✅ Всё верно")

    client = Client.objects.get(telegram_id=USER)
    assert (client.gender, client.age, client.experience, client.goal) == (
        "female",
        31,
        "beginner",
        "weight_loss",
    )
    assert client.height_cm == 170 and client.weight_kg == Decimal("64.5")
    assert (client.lifestyle, client.location, client.equipment) == (
        "sedentary",
        "home",
        "dumbbells",
    )
    assert client.training_days_per_week == 3
    assert client.stage.code == "consultation"
    assert Lead.objects.get(client=client).status == Lead.Status.QUALIFIED
    assert StageMove.objects.filter(client=client, event="questionnaire_completed").count() == 1
    assert BotChat.objects.get(chat_id=USER).state == BotChat.State.IDLE
    staff = [c.params["text"] for c in fake_telegram.sent("sendMessage", chat_id=ADMIN_CHAT)]
    assert any("заполнил(а) анкету" in text and "Цель: Похудение" in text for text in staff)
    # Button answers replace the question's keyboard with the chosen answer (editMessageText).
    edits = fake_telegram.sent("editMessageText", chat_id=USER)
    assert any(c.params["text"].endswith("→ Женский") for c in edits)
    # Every button press was answered, so no spinner stays in the client's app.
    assert len(fake_telegram.sent("answerCallbackQuery")) == sum(
        1 for c in Client.objects.get(pk=client.pk).contacts.all() if c.text.startswith("[кнопка]")
    )


def test_confirming_twice_completes_once(anna, fake_telegram):
    anna.press("🎁 Бесплатная программа")
    anna.agree()
    answer_all(anna)
    anna.press("✅ Всё верно")
    anna.press("✅ Всё верно")
    client = Client.objects.get(telegram_id=USER)
    assert StageMove.objects.filter(client=client, event="questionnaire_completed").count() == 1
    assert (
        anna.texts().count(
            "Спасибо! Готовлю вашу бесплатную программу — пришлю её сюда через минуту."
        )
        == 1
    )


def test_cancel_keeps_nothing_and_old_buttons_do_nothing(anna):
    anna.press("🎁 Бесплатная программа")
    anna.agree()
    anna.press("Мужской")
    anna.say("/cancel")
    assert anna.texts()[-1].startswith("Опросник отменён")
    chat = BotChat.objects.get(chat_id=USER)
    assert chat.state == BotChat.State.IDLE and chat.answers == {}
    sent = len(anna.messages())
    anna.press("Женский")  # a button of the abandoned question
    assert len(anna.messages()) == sent
    assert Client.objects.get(telegram_id=USER).gender == ""
    anna.say("/cancel")
    assert anna.texts()[-1] == "Сейчас нечего отменять."


def test_menu_faq_and_contacts(anna):
    anna.press("❓ Частые вопросы")
    assert anna.buttons()[0] == "Подойдёт ли программа новичку?"
    anna.press("Нужен ли спортзал?")
    assert anna.last_text().startswith("Нужен ли спортзал?\n\nНет.")
    anna.press("📞 Контакты")
    assert "batoohan.ru" in anna.last_text()
    anna.press("⬅️ В меню")
    assert anna.last_text() == "Главное меню. Что вас интересует?"


def test_texts_are_editable_in_admin(anna, admin_client):
    from botapp.models import BotText

    text = BotText.objects.get(key="contacts")
    response = admin_client.post(
        f"/admin/botapp/bottext/{text.pk}/change/", {"text": "Пишите: +7 900 000-00-00"}
    )
    assert response.status_code == 302
    anna.press("📞 Контакты")
    assert anna.last_text() == "Пишите: +7 900 000-00-00"


@pytest.mark.parametrize("answer", ["1e2", "NaN", "Infinity", "0x50", "8_0"])
def test_numbers_must_be_plain_decimals(answer):
    from botapp.questionnaire import QUESTIONS, AnswerError, validate

    weight = next(q for q in QUESTIONS if q.step == "weight")
    with pytest.raises(AnswerError):
        validate(weight, answer)
    assert validate(weight, "72,5") == "72.5"
