import pytest


@pytest.fixture
def sent(monkeypatch):
    """Messages to clients and staff, as enqueued by crm.notifications after commit."""
    calls = []

    def record(name, *args, **kwargs):
        calls.append((name, kwargs))
        return True

    monkeypatch.setattr("crm.notifications.enqueue_on_commit", record)
    return calls


def texts_to(sent, client) -> list[str]:
    return [
        kw["text"]
        for name, kw in sent
        if kw.get("client_id") == client.pk and name == "botapp.client_message"
    ]
