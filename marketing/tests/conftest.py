import pytest

from botapp.tests.conftest import _fresh_rate_limits, fake_telegram, post_update, yookassa  # noqa: F401
from programs.tests.servers import LocalServer, json_response

SITE = "https://trainer.example.com"


def completion(content: str) -> dict:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": "local-model",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Chat limits are cache counters (Redis when configured): no test inherits another's."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def llm(settings):
    """A local OpenAI-compatible server; it answers "Ответ тренера: <last user text>" by default."""
    with LocalServer() as server:
        settings.LLM_API_BASE_URL = f"{server.url}/v1"
        settings.LLM_API_KEY = "env-key"
        settings.LLM_MODEL = "env-model"

        def answer(request):
            last = request.json()["messages"][-1]["content"]
            return json_response(completion(f"Ответ тренера: {last}"))

        server.route("POST", "/v1/chat/completions", answer)
        yield server


@pytest.fixture
def site(db, settings):
    from marketing.selectors import website_settings_get

    settings.SITE_URL = "http://testserver"
    row = website_settings_get()
    row.widget_enabled = True
    row.allowed_origins = SITE
    row.bot_username = "trainer_test_bot"
    row.contacts = "+7 900 000-00-00, trainer@example.com"
    row.save()
    return row


CHANNEL = "-1009876543210"


@pytest.fixture
def vk(settings):
    from .fake_vk import GROUP, FakeVK

    with FakeVK() as server:
        settings.VK_API_BASE_URL = f"{server.url}/method"
        settings.VK_ACCESS_TOKEN = "vk-token"
        settings.VK_GROUP_ID = str(GROUP)
        yield server


@pytest.fixture
def channel(fake_telegram, settings):  # noqa: F811 (the fixture imported above)
    settings.TELEGRAM_CHANNEL_ID = CHANNEL
    return fake_telegram
