import pytest

from .fake_yookassa import FakeYooKassa


@pytest.fixture
def fake_yookassa():
    server = FakeYooKassa().start()
    yield server
    server.stop()


@pytest.fixture
def yookassa(fake_yookassa, settings, monkeypatch):
    """YooKassa settings pointing the real SDK at the local fake (also for a live worker's env)."""
    values = {
        "YOOKASSA_SHOP_ID": "123456",
        "YOOKASSA_SECRET_KEY": "test_secret",
        "YOOKASSA_API_URL": fake_yookassa.url,
    }
    for name, value in values.items():
        setattr(settings, name, value)
        monkeypatch.setenv(name, value)
    settings.EXTERNAL_HTTP_TIMEOUT = 1.0
    return fake_yookassa


@pytest.fixture
def enqueued(monkeypatch):
    """Tasks enqueued by name after commit: the paid program (programs' task is not on this branch)
    and the bot's messages from crm.notifications. A stored YooKassa notification's processing
    is not recorded: it runs (eagerly, after commit), as a worker would."""
    from config.celery import enqueue_on_commit
    from payments.services import NOTIFICATION_TASK

    calls = []

    def record(name, *args, **kwargs):
        if name == NOTIFICATION_TASK:
            return enqueue_on_commit(name, *args, **kwargs)
        calls.append((name, args, kwargs))
        return True

    monkeypatch.setattr("payments.services.enqueue_on_commit", record)
    monkeypatch.setattr("crm.notifications.enqueue_on_commit", record)
    return calls
