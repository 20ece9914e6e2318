import pytest

from botapp.tests.conftest import ADMIN_CHAT, fake_telegram  # noqa: F401 - fixtures shared with the bot


@pytest.fixture
def fake_staff_chat(fake_telegram):  # noqa: F811
    """Texts the staff chat received through the real outbox and the fake Bot API."""

    def texts() -> list[str]:
        return [
            c.params.get("text", "")
            for c in fake_telegram.calls
            if c.method == "sendMessage" and c.chat_id == ADMIN_CHAT
        ]

    return texts
