"""The fair outbox: bounded send loops, per-chat order, claims that run out, dead letters, digests of
staff notes, limits that never push the global slot into the future, urgent and ordinary queues."""

import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from botapp import ratelimit, services
from botapp.models import BotChat, OutboundMessage
from botapp.tests.conftest import ADMIN_CHAT
from crm.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db
Status = OutboundMessage.Status


def queue(chat_id, text, client=None, **kwargs):
    with transaction.atomic():
        return services.message_queue(chat_id=chat_id, client=client, text=text, **kwargs)


def texts(fake, chat_id):
    return [c.params["text"] for c in fake.sent("sendMessage", chat_id=chat_id)]


def test_a_waiting_chat_takes_no_global_slot(settings):
    settings.TELEGRAM_RATE_PER_CHAT, settings.TELEGRAM_BURST_PER_CHAT = 1.0, 1
    settings.TELEGRAM_RATE_GLOBAL = 30.0
    ratelimit.hold(555, 100)

    taken, wait = ratelimit.try_reserve(555, max_wait=1.0)

    assert not taken and 99 < wait <= 100.1
    # Everyone else still sends at once: nothing was reserved for the waiting chat.
    assert ratelimit.try_reserve(556, max_wait=1.0) == (True, pytest.approx(0, abs=0.1))


def test_groups_get_twenty_messages_a_minute(settings):
    settings.TELEGRAM_RATE_PER_GROUP_MINUTE = 20.0
    settings.TELEGRAM_RATE_PER_CHAT, settings.TELEGRAM_BURST_PER_CHAT = 1.0, 3
    group = -1009876543210

    waits = [ratelimit.reserve(group) for _ in range(3)]

    assert waits[0] < 0.1 and 2.9 < waits[1] < 3.1 and 5.9 < waits[2] < 6.1
    assert ratelimit.try_reserve(group, max_wait=1.0)[0] is False


def test_a_flush_is_bounded_and_the_rest_follows_in_order(fake_telegram):
    client = ClientFactory()
    for n in range(services.SEND_BATCH + 5):
        queue(client.telegram_id, f"#{n}", client)

    assert services.outbox_flush(chat_id=client.telegram_id) == 0.0  # come back at once
    assert len(texts(fake_telegram, client.telegram_id)) == services.SEND_BATCH
    assert services.outbox_flush(chat_id=client.telegram_id) is None

    assert texts(fake_telegram, client.telegram_id) == [
        f"#{n}" for n in range(services.SEND_BATCH + 5)
    ]
    assert BotChat.objects.get(chat_id=client.telegram_id).outbox_lease_until is None


def test_a_slow_chat_hands_its_worker_back_instead_of_sleeping(fake_telegram, settings):
    settings.TELEGRAM_RATE_PER_CHAT, settings.TELEGRAM_BURST_PER_CHAT = 0.2, 1  # one per 5 s
    client = ClientFactory()
    queue(client.telegram_id, "раз", client)
    queue(client.telegram_id, "два", client)

    retry_in = services.outbox_flush(chat_id=client.telegram_id)

    assert 4 < retry_in <= 5.1
    assert texts(fake_telegram, client.telegram_id) == ["раз"]


def test_message_claimed_by_a_dead_worker_is_sent_after_its_claim_runs_out(fake_telegram):
    client = ClientFactory()
    stuck = queue(client.telegram_id, "программа", client)
    later = queue(client.telegram_id, "после программы", client)
    claim = timezone.now() + timedelta(seconds=30)
    OutboundMessage.objects.filter(pk=stuck.pk).update(
        status=Status.SENDING, attempts=1, claimed_until=claim
    )

    # While the claim runs, nothing overtakes it: the chat keeps its order.
    assert 25 < services.outbox_flush(chat_id=client.telegram_id) <= 31
    assert services.outbox_sweep() == 0
    assert fake_telegram.sent("sendMessage") == []

    OutboundMessage.objects.filter(pk=stuck.pk).update(
        claimed_until=timezone.now() - timedelta(seconds=1)
    )
    assert services.outbox_sweep() == 1  # eager: the flush runs now

    assert texts(fake_telegram, client.telegram_id) == ["программа", "после программы"]
    stuck.refresh_from_db(), later.refresh_from_db()
    assert (stuck.status, stuck.attempts, later.status) == (Status.SENT, 2, Status.SENT)


def test_a_message_that_keeps_failing_becomes_a_dead_letter_and_the_chat_goes_on(
    fake_telegram, django_capture_on_commit_callbacks
):
    client = ClientFactory()
    poisoned = queue(client.telegram_id, "ядовитое", client)
    queue(client.telegram_id, "следующее", client)
    OutboundMessage.objects.filter(pk=poisoned.pk).update(
        status=Status.SENDING,
        attempts=services.MAX_SEND_ATTEMPTS,
        claimed_until=timezone.now() - timedelta(seconds=1),
        error="OSError: disk",
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert services.outbox_flush(chat_id=client.telegram_id) is None

    poisoned.refresh_from_db()
    assert poisoned.status == Status.DEAD
    assert texts(fake_telegram, client.telegram_id) == ["следующее"]
    alert = texts(fake_telegram, ADMIN_CHAT)
    assert len(alert) == 1 and "OSError: disk" in alert[0]


def test_staff_notes_that_pile_up_go_out_as_digests(fake_telegram):
    for n in range(12):
        queue(ADMIN_CHAT, f"Новый лид №{n}")
    queue(
        ADMIN_CHAT,
        "С кнопкой",
        reply_markup={"inline_keyboard": [[{"text": "OK", "callback_data": "ok"}]]},
    )

    assert services.outbox_flush(chat_id=ADMIN_CHAT) is None

    sent = texts(fake_telegram, ADMIN_CHAT)
    assert len(sent) == 2
    assert sent[0].startswith("🗂 Сводка: 12 уведомлений")
    assert all(f"Новый лид №{n}" in sent[0] for n in range(12))
    assert sent[0].index("Новый лид №2") < sent[0].index("Новый лид №10")
    assert sent[1] == "С кнопкой"
    assert not OutboundMessage.objects.exclude(status=Status.SENT).exists()


def test_a_few_staff_notes_go_out_one_by_one(fake_telegram):
    for n in range(services.DIGEST_MIN - 1):
        queue(ADMIN_CHAT, f"Заметка {n}")
    services.outbox_flush(chat_id=ADMIN_CHAT)
    assert texts(fake_telegram, ADMIN_CHAT) == [
        f"Заметка {n}" for n in range(services.DIGEST_MIN - 1)
    ]


def test_one_scheduled_flush_per_chat(settings, monkeypatch):
    from config.celery import app

    sent = []
    monkeypatch.setattr(app.tasks[services.FLUSH_TASK], "apply_async", lambda **kw: sent.append(kw))
    assert services.enqueue_flush_later(chat_id=31, seconds=5)
    assert not services.enqueue_flush_later(chat_id=31, seconds=8)  # one is due sooner
    assert services.enqueue_flush_later(chat_id=31, seconds=0)  # sooner than the one due
    assert len(sent) == 2
    services.outbox_flush_started(chat_id=31)
    assert services.enqueue_flush_later(chat_id=31, seconds=0)


def test_clients_answers_are_routed_past_staff_work(settings):
    from config.celery import app, route_task

    settings.TELEGRAM_ADMIN_CHAT_ID = str(ADMIN_CHAT)
    urgent = {"queue": f"{app.conf.task_default_queue}.urgent"}
    assert route_task("botapp.update_process", (), {"update_id": 1}, {}) == urgent
    assert route_task("botapp.outbox_flush", (), {"chat_id": 4242}, {}) == urgent
    assert route_task("botapp.outbox_flush", (), {"chat_id": ADMIN_CHAT}, {}) is None
    assert route_task("botapp.staff_notify", ("note",), {}, {}) is None


def test_stored_but_unprocessed_updates_are_handled_by_the_reconcile_job(fake_telegram):
    from botapp.models import TelegramUpdate
    from botapp.tests import factories as f

    old = timezone.now() - timedelta(minutes=5)
    for text in ("/start", "/help"):
        payload = f.message(906, text)
        TelegramUpdate.objects.create(
            update_id=payload["update_id"],
            chat_id=906,
            kind="message",
            payload=payload,
            received_at=old,
        )
    fresh = f.message(907, "/start")
    TelegramUpdate.objects.create(
        update_id=fresh["update_id"], chat_id=907, kind="message", payload=fresh
    )

    assert services.updates_reconcile() == 1  # one chat, its two updates in order

    assert not TelegramUpdate.objects.filter(chat_id=906, processed_at__isnull=True).exists()
    assert TelegramUpdate.objects.get(chat_id=907).processed_at is None  # its task may yet come
    assert fake_telegram.sent("sendMessage", chat_id=906)


def test_a_send_loop_waits_for_the_global_slot_but_not_for_a_chats_own(settings):
    settings.TELEGRAM_RATE_PER_CHAT, settings.TELEGRAM_BURST_PER_CHAT = 1.0, 1
    settings.TELEGRAM_RATE_GLOBAL = 4.0  # a global slot every 0.25 s
    ratelimit.hold(555, 100)
    started = time.monotonic()

    # A chat whose own slot is far: no waiting, nothing taken.
    assert ratelimit.reserve_soon(555, max_wait=0.1, budget=5)[0] is False
    assert time.monotonic() - started < 0.5
    # Chats that only wait for the global slot get it in turn, none reserved more than
    # max_wait ahead (the loop sleeps instead of pushing the global slot into the future).
    waits = [ratelimit.reserve_soon(600 + n, max_wait=0.1, budget=5) for n in range(5)]
    assert all(taken and wait <= 0.1 for taken, wait in waits)
    assert 0.8 < time.monotonic() - started < 3
    # Out of budget: it says when to come back rather than sleeping on.
    taken, wait = ratelimit.reserve_soon(700, max_wait=0.1, budget=0)
    assert not taken and 0.1 < wait <= 0.4


def test_a_waiting_flush_comes_back_within_a_second(fake_telegram, settings, monkeypatch):
    settings.TELEGRAM_RATE_PER_CHAT, settings.TELEGRAM_BURST_PER_CHAT = 1.0, 1
    scheduled = []
    monkeypatch.setattr(services, "enqueue_flush_later", lambda **kw: scheduled.append(kw) or True)
    client = ClientFactory()
    queue(client.telegram_id, "#1", client)
    queue(client.telegram_id, "#2", client)

    retry_in = services.outbox_flush(chat_id=client.telegram_id)

    # The chat's next slot is a second away: the loop lets the worker go instead of sleeping.
    assert texts(fake_telegram, client.telegram_id) == ["#1"]
    assert 0 < retry_in <= 1.0
