import pytest

from botapp.tests.fakes import FakeBotAPI
from payments.tests.fake_yookassa import FakeYooKassa

TOKEN = "123456:TEST-token"
SECRET = "webhook-s3cret"
ADMIN_CHAT = -1001234567890


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings):
    """Rate-limit slots live in Redis when it is configured; no test inherits another's."""
    if settings.REDIS_URL:
        from botapp.ratelimit import _redis

        client = _redis(settings.REDIS_URL)
        keys = list(client.scan_iter("tg-rate:*"))
        if keys:
            client.delete(*keys)
    yield


@pytest.fixture
def fake_telegram(settings):
    """A fake Bot API on 127.0.0.1 wired into the settings (fast rate limits unless a test says)."""
    server = FakeBotAPI().start()
    settings.TELEGRAM_BOT_TOKEN = TOKEN
    settings.TELEGRAM_API_BASE_URL = server.url
    settings.TELEGRAM_WEBHOOK_SECRET = SECRET
    settings.TELEGRAM_ADMIN_CHAT_ID = str(ADMIN_CHAT)
    settings.TELEGRAM_RATE_GLOBAL = 10_000.0
    settings.TELEGRAM_RATE_PER_CHAT = 10_000.0
    settings.TELEGRAM_RATE_PER_GROUP_MINUTE = 600_000.0
    settings.EXTERNAL_HTTP_TIMEOUT = 5.0
    yield server
    server.stop()


@pytest.fixture
def post_update(client, django_capture_on_commit_callbacks):
    """POST update JSON to the webhook as Telegram does; tasks run eagerly after commit."""

    def post(payload, *, secret: str = SECRET, raw: bytes | None = None):
        body = raw if raw is not None else __import__("json").dumps(payload)
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                "/bot/webhook/",
                data=body,
                content_type="application/json",
                headers={"X-Telegram-Bot-Api-Secret-Token": secret},
            )

    return post


@pytest.fixture
def yookassa(settings, monkeypatch):
    """The payments app's fake YooKassa, with the real SDK pointed at it (settings and env)."""
    server = FakeYooKassa().start()
    values = {
        "YOOKASSA_SHOP_ID": "123456",
        "YOOKASSA_SECRET_KEY": "test_secret",
        "YOOKASSA_API_URL": server.url,
    }
    for name, value in values.items():
        setattr(settings, name, value)
        monkeypatch.setenv(name, value)
    yield server
    server.stop()
