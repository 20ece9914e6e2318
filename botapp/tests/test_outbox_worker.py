"""The outbox in a real Celery worker against a fake Bot API that enforces Telegram's limits (429 over
them): a backlog drains in per-chat order without a 429; staff notes never stand between a client and
the bot's answer; a worker killed mid-send still delivers the message, exactly once."""

import itertools
import time

import pytest
from django.db import transaction

from botapp import services
from botapp.models import OutboundMessage
from botapp.tests import factories as f
from botapp.tests.conftest import ADMIN_CHAT, SECRET, TOKEN
from botapp.tests.fakes import FakeBotAPI, Limits
from conftest import start_celery_worker
from crm import notifications
from crm.tests.factories import ClientFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def limited_bot(settings, monkeypatch):
    """The fake Bot API with Telegram's real limits, here and in the worker's environment."""
    server = FakeBotAPI(limits=Limits(rate=30, per_chat=1, burst=3, group_per_minute=20)).start()
    values = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": server.url,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_ADMIN_CHAT_ID": str(ADMIN_CHAT),
        "TELEGRAM_RATE_GLOBAL": "30",
        "TELEGRAM_RATE_PER_CHAT": "1",
        "TELEGRAM_RATE_PER_GROUP_MINUTE": "20",
        "EXTERNAL_HTTP_TIMEOUT": "4",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
        setattr(
            settings, name, float(value) if name.startswith(("TELEGRAM_RATE", "EXT")) else value
        )
    yield server
    server.stop()
    assert server.refused == 0, "a send went over Telegram's limits"


def test_a_backlog_drains_in_order_within_telegrams_limits(limited_bot, live_worker):
    fake = limited_bot
    chats = [880_000 + n for n in range(12)]
    with transaction.atomic():
        for n in range(6):
            for chat in chats:
                services.message_queue(chat_id=chat, text=f"#{n}")

    fake.wait_for(
        lambda calls: sum(c.method == "sendMessage" for c in calls) >= len(chats) * 6, timeout=120
    )

    for chat in chats:
        assert [c.params["text"] for c in fake.sent("sendMessage", chat_id=chat)] == [
            f"#{n}" for n in range(6)
        ]
    deadline = time.monotonic() + 30  # the last one is marked sent just after Telegram's answer
    while OutboundMessage.objects.exclude(status=OutboundMessage.Status.SENT).exists():
        assert time.monotonic() < deadline
        time.sleep(0.5)


def test_400_staff_notes_queued_a_clients_start_is_answered_within_seconds(
    limited_bot, live_worker, client
):
    fake = limited_bot
    people = ClientFactory.create_batch(3)
    with transaction.atomic():
        for n in range(400):
            notifications.staff_notify(text=f"Новый лид №{n}", client=people[n % 3])
    # The worker is busy with the notes: wait until it has begun sending them.
    fake.wait_for(lambda calls: any(c.chat_id == ADMIN_CHAT for c in calls), timeout=60)

    started = time.monotonic()
    response = client.post(
        "/bot/webhook/",
        data=f.message(777001, "/start"),
        content_type="application/json",
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
    )
    assert response.status_code == 200
    fake.wait_for(lambda calls: any(c.chat_id == 777001 for c in calls), timeout=30)
    answered_in = time.monotonic() - started

    assert answered_in < 10, f"/start answered after {answered_in:.1f} s"
    # The notes that piled up go out as digests, within the group limit (20 a minute), none twice.
    fake.wait_for(
        lambda calls: (
            sum(c.params.get("text", "").startswith("🗂 Сводка") for c in calls) >= 2
            and sum(c.chat_id == ADMIN_CHAT for c in calls) >= 4
        ),
        timeout=30,
    )
    staff = fake.sent("sendMessage", chat_id=ADMIN_CHAT)
    # (From the second on: the first send also opens the connection and initializes the Bot.)
    gaps = [round(b.at - a.at, 2) for a, b in itertools.pairwise(staff[1:])]
    assert min(gaps) > 2.0, gaps  # 3 s apart, less what the network adds to one of them
    notes = [line for c in staff for line in c.params["text"].splitlines() if "Новый лид" in line]
    assert len(notes) == len(set(notes))


def test_worker_killed_mid_send_the_message_arrives_exactly_once(limited_bot, live_worker):
    from config.celery import app

    fake = limited_bot
    person = ClientFactory()
    fake.hang_next("sendMessage")
    with transaction.atomic():
        notifications.client_message(client=person, text="Ваша программа готова")
    assert fake.hanging.wait(60), "the worker never started sending"

    live_worker.kill()  # SIGKILL while the request is in flight
    live_worker.wait(timeout=30)
    message = OutboundMessage.objects.get(chat_id=person.telegram_id)
    assert message.status == OutboundMessage.Status.SENDING

    second = start_celery_worker(app.conf.task_default_queue, log_name="outbox-second-worker")
    try:
        deadline = time.monotonic() + 90
        while not fake.sent("sendMessage", chat_id=person.telegram_id):
            assert time.monotonic() < deadline, "the message was never sent again"
            services.outbox_sweep()  # what beat runs every minute
            time.sleep(2)
        time.sleep(3)  # anything sent twice would show by now
    finally:
        second.terminate()
        second.wait(timeout=30)

    sent = fake.sent("sendMessage", chat_id=person.telegram_id)
    assert [c.params["text"] for c in sent] == ["Ваша программа готова"]
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT and message.attempts == 2
