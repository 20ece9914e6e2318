"""The bot in a real Celery worker process: webhook → broker → worker → fake Bot API over HTTP."""

from pathlib import Path

import pytest

from botapp.models import BotChat
from botapp.tests import factories as f
from botapp.tests.conftest import ADMIN_CHAT, SECRET, TOKEN
from botapp.tests.fakes import FakeBotAPI
from conftest import start_celery_worker
from crm.models import Client

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
USER = 990001


@pytest.fixture
def bot_env(settings, monkeypatch):
    """The fake Bot API, in this process's settings and in the environment a worker inherits."""
    server = FakeBotAPI().start()
    values = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": server.url,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_ADMIN_CHAT_ID": str(ADMIN_CHAT),
        "TELEGRAM_RATE_GLOBAL": "10000",
        "TELEGRAM_RATE_PER_CHAT": "10000",
        "TELEGRAM_RATE_PER_GROUP_MINUTE": "600000",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
        setattr(settings, name, float(value) if name.startswith("TELEGRAM_RATE") else value)
    yield server
    server.stop()


def test_worker_restart_in_the_middle_of_the_questionnaire(bot_env, live_worker, client):
    from config.celery import app

    fake = bot_env

    def post(payload):
        response = client.post(
            "/bot/webhook/",
            data=payload,
            content_type="application/json",
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        )
        assert response.status_code == 200

    def texts():
        return [c.params.get("text", "") for c in fake.sent("sendMessage", chat_id=USER)]

    def wait_text(text, count=1):
        fake.wait_for(lambda calls: texts().count(text) >= count, timeout=60)

    def press(data):
        post(f.callback(USER, data))

    post(f.message(USER, "/start"))
    wait_text("Главное меню. Что вас интересует?")
    press("m:free")
    press("pd:personal:y:q")
    wait_text("Ваш пол?")
    press("q:gender:male")
    wait_text("Сколько вам лет? Напишите число.")
    post(f.message(USER, "34"))
    wait_text("Какой у вас опыт тренировок?")

    # The worker goes away; the client keeps answering.
    live_worker.terminate()
    live_worker.wait(timeout=30)
    post(f.message(USER, "Средний уровень"))
    assert BotChat.objects.get(chat_id=USER).step == "experience"  # stored, waiting for a worker

    second = start_celery_worker(app.conf.task_default_queue, log_name="second-worker")
    try:
        wait_text("Какая у вас цель?")
        press("q:goal:strength")
        wait_text("Ваш рост в сантиметрах? Например, 175.")
        for answer in ("182", "80"):
            post(f.message(USER, answer))
        wait_text("Какой у вас образ жизни?")
        for data in (
            "q:lifestyle:moderate",
            "q:location:gym",
            "q:equipment:full_gym",
            "q:training_days:4",
        ):
            press(data)
        fake.wait_for(
            lambda calls: any(t.startswith("Проверьте ответы") for t in texts()), timeout=60
        )
        press("s:ok")
        wait_text("Спасибо! Готовлю вашу бесплатную программу — пришлю её сюда через минуту.")
    finally:
        second.terminate()
        second.wait(timeout=30)

    person = Client.objects.get(telegram_id=USER)
    assert (person.gender, person.age, person.experience, person.goal) == (
        "male",
        34,
        "intermediate",
        "strength",
    )
    assert person.stage.code == "consultation"
    # Each question was asked exactly once: nothing lost, nothing repeated across the restart.
    for question in (
        "Ваш пол?",
        "Какой у вас опыт тренировок?",
        "Какая у вас цель?",
        "Какой у вас образ жизни?",
    ):
        assert texts().count(question) == 1
