import pytest
from django.core.management import CommandError, call_command

from botapp.models import TelegramUpdate
from botapp.tests import factories as f
from botapp.tests.conftest import SECRET

pytestmark = pytest.mark.django_db


def test_set_bot_webhook_registers_url_and_secret(fake_telegram, settings):
    settings.SITE_URL = "https://crm.example.com"
    call_command("set_bot_webhook")
    call = fake_telegram.sent("setWebhook")[0]
    assert call.params["url"] == "https://crm.example.com/bot/webhook/"
    assert call.params["secret_token"] == SECRET


def test_set_bot_webhook_needs_token_and_secret(settings, fake_telegram):
    settings.TELEGRAM_WEBHOOK_SECRET = ""
    with pytest.raises(CommandError, match="TELEGRAM_WEBHOOK_SECRET"):
        call_command("set_bot_webhook")
    settings.TELEGRAM_BOT_TOKEN = ""
    with pytest.raises(CommandError, match="the bot is off"):
        call_command("set_bot_webhook")


def test_runbot_polls_and_hands_updates_to_the_worker(
    fake_telegram, django_capture_on_commit_callbacks
):
    fake_telegram.updates = [f.message(606060, "/start"), f.sticker(606060)]
    with django_capture_on_commit_callbacks(execute=True):
        call_command("runbot", "--once", "--timeout", "0")
    assert fake_telegram.sent("deleteWebhook")
    assert TelegramUpdate.objects.filter(source="polling").count() == 2
    assert fake_telegram.sent("sendMessage", chat_id=606060)  # handled like a webhook update
