import io
import itertools
import subprocess
import sys
import time

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from botapp import dispatch, ratelimit, services
from botapp.models import OutboundMessage
from botapp.tasks import client_message_task, staff_notify_task
from botapp.tests.conftest import ADMIN_CHAT
from crm import notifications
from crm.models import ClientContact
from crm.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db
Status = OutboundMessage.Status


def queue(client, text="Привет", **kwargs):
    with transaction.atomic():
        return services.message_queue(
            chat_id=client.telegram_id, client=client, text=text, **kwargs
        )


def test_messages_leave_in_order_and_are_recorded_once(fake_telegram):
    client = ClientFactory()
    for n in range(3):
        queue(client, f"сообщение {n}")

    assert services.outbox_flush(chat_id=client.telegram_id) is None
    assert services.outbox_flush(chat_id=client.telegram_id) is None  # a retry sends nothing more

    assert [c.params["text"] for c in fake_telegram.sent("sendMessage")] == [
        "сообщение 0",
        "сообщение 1",
        "сообщение 2",
    ]
    assert ClientContact.objects.filter(client=client, direction="outbound").count() == 3


def test_flood_control_429_waits_retry_after_then_sends(fake_telegram, settings):
    settings.TELEGRAM_RATE_PER_CHAT, settings.TELEGRAM_BURST_PER_CHAT = 1.0, 3
    client = ClientFactory()
    message = queue(client)
    fake_telegram.fail_next("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)

    assert services.outbox_flush(chat_id=client.telegram_id) == 7
    message.refresh_from_db()
    assert message.status == Status.PENDING and "retry in 7" in message.error
    # Every process now keeps away from this chat until Telegram's time has passed.
    assert ratelimit.reserve(client.telegram_id) > 6.9

    message.refresh_from_db()


def test_blocked_bot_403_marks_client_unreachable_and_stops_messages(fake_telegram):
    client = ClientFactory()
    first, second = queue(client, "раз"), queue(client, "два")
    fake_telegram.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")

    assert services.outbox_flush(chat_id=client.telegram_id) is None

    client.refresh_from_db()
    assert client.bot_blocked_at is not None
    first.refresh_from_db(), second.refresh_from_db()
    assert (first.status, second.status) == (Status.FAILED, Status.SKIPPED)
    assert len(fake_telegram.sent("sendMessage")) == 1
    assert services.client_message_send(client_id=client.pk, text="ещё") is None
    with pytest.raises(services.InboxError):
        services.inbox_reply(client=client, text="Ответ", author=None)


def test_network_errors_retry_with_backoff_then_tell_staff(
    fake_telegram, django_capture_on_commit_callbacks
):
    client = ClientFactory()
    message = queue(client)
    for _ in range(services.MAX_SEND_ATTEMPTS):
        fake_telegram.fail_next("sendMessage", 502, "Bad Gateway")

    with django_capture_on_commit_callbacks(execute=True):
        waits = [
            services.outbox_flush(chat_id=client.telegram_id)
            for _ in range(services.MAX_SEND_ATTEMPTS)
        ]

    assert waits == [2.0, 4.0, 8.0, 16.0, None]
    message.refresh_from_db()
    assert message.status == Status.DEAD and message.attempts == services.MAX_SEND_ATTEMPTS
    staff = fake_telegram.sent("sendMessage", chat_id=ADMIN_CHAT)
    assert len(staff) == 1 and "Не удалось отправить сообщение клиенту" in staff[0].params["text"]


def test_document_is_sent_as_a_real_pdf(fake_telegram):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    buffer = io.BytesIO()
    writer.add_metadata({"/Title": "Программа"})
    writer.write(buffer)
    path = default_storage.save("test/program.pdf", ContentFile(buffer.getvalue()))
    client = ClientFactory()
    queue(
        client,
        "Ваша программа",
        kind=OutboundMessage.Kind.DOCUMENT,
        document=path,
        document_name="Программа.pdf",
    )

    services.outbox_flush(chat_id=client.telegram_id)

    call = fake_telegram.sent("sendDocument")[0]
    filename, data = call.files["document"]
    assert filename == "Программа.pdf" and call.params["caption"] == "Ваша программа"
    assert PdfReader(io.BytesIO(data)).metadata.title == "Программа"
    assert ClientContact.objects.get(client=client).text.startswith("📎 Программа.pdf")
    default_storage.delete(path)


def test_document_over_50_mb_is_refused_before_upload(fake_telegram):
    path = default_storage.save("test/huge.pdf", ContentFile(b"%PDF-1.4"))
    with default_storage.open(path, "r+b") as handle:
        handle.truncate(50 * 1024 * 1024 + 1)  # sparse: no real disk used
    client = ClientFactory()
    message = queue(
        client, kind=OutboundMessage.Kind.DOCUMENT, document=path, document_name="big.pdf"
    )

    services.outbox_flush(chat_id=client.telegram_id)

    message.refresh_from_db()
    assert message.status == Status.FAILED and "50 MB" in message.error
    assert fake_telegram.sent("sendDocument") == []
    default_storage.delete(path)


def test_bot_off_without_token_skips_and_says_so(settings, caplog):
    settings.TELEGRAM_BOT_TOKEN = ""
    client = ClientFactory()
    message = queue(client)
    services.outbox_flush(chat_id=client.telegram_id)
    message.refresh_from_db()
    assert message.status == Status.SKIPPED and "bot is off" in message.error


def test_crm_notifications_reach_the_bot_tasks_by_name(
    fake_telegram, django_capture_on_commit_callbacks
):
    client = ClientFactory()
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            assert notifications.staff_notify(text="Оплата прошла", client=client)
            assert notifications.client_message(client=client, text="Спасибо за оплату!")

    staff = fake_telegram.sent("sendMessage", chat_id=ADMIN_CHAT)[0].params["text"]
    assert staff.startswith("Оплата прошла") and f"/clients/{client.pk}/" in staff
    assert (
        fake_telegram.sent("sendMessage", chat_id=client.telegram_id)[0].params["text"]
        == "Спасибо за оплату!"
    )
    contact = ClientContact.objects.get(client=client)
    assert contact.direction == "outbound" and contact.text == "Спасибо за оплату!"


def test_tasks_registered_under_contract_names():
    assert staff_notify_task.name == "botapp.staff_notify"
    assert client_message_task.name == "botapp.client_message"
    from config.celery import app

    assert "botapp.program_deliver" in app.tasks


def test_rate_limit_spaces_one_chat_and_caps_the_total(settings):
    settings.TELEGRAM_RATE_PER_CHAT = 1.0
    settings.TELEGRAM_BURST_PER_CHAT = 3
    settings.TELEGRAM_RATE_GLOBAL = 30.0
    waits = [ratelimit.reserve(1) for _ in range(5)]
    # A burst of three leaves at once (the global 30/s spaces them by ~33 ms), then 1 per second.
    assert max(waits[:3]) < 0.15 and 0.9 < waits[3] < 1.05 and 1.9 < waits[4] < 2.05
    others = [ratelimit.reserve(1000 + n) for n in range(30)]
    # 30 different chats share the 30/s budget: the last one waits about a second.
    assert max(others) > 0.9


RESERVE_SCRIPT = """
import os, sys, time, django
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
django.setup()
from django.conf import settings
from django.db import connection
settings.DATABASES["default"]["NAME"] = sys.argv[1]
settings.TELEGRAM_RATE_PER_CHAT = 5.0
settings.TELEGRAM_RATE_GLOBAL = 1000.0
from botapp import ratelimit
start = float(sys.argv[2])
while time.time() < start: time.sleep(0.001)
# The absolute slot each reservation got (what reserve() turns into a wait).
print(" ".join(f"{ratelimit._reserve_db('chat:99', 0.2, 0.0, 1e9)[1]:.6f}" for _ in range(5)))
"""


@pytest.mark.django_db(transaction=True)
def test_rate_limit_is_shared_across_processes():
    """Two processes taking slots for one chat at the same moment never get the same slot."""
    from django.db import connection

    name = connection.settings_dict["NAME"]
    start = time.time() + 2.5
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RESERVE_SCRIPT, str(name), str(start)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    slots = sorted(float(t) for p in procs for t in p.communicate(timeout=60)[0].split())
    assert len(slots) == 10
    gaps = [b - a for a, b in itertools.pairwise(slots)]
    assert min(gaps) > 0.199  # 5 messages/s for the chat, whoever asks


@pytest.mark.redis
def test_rate_limit_in_redis(settings):
    import os

    settings.REDIS_URL = os.environ["REDIS_URL"]
    settings.TELEGRAM_RATE_PER_CHAT = 2.0
    settings.TELEGRAM_BURST_PER_CHAT = 1
    chat = int(time.time() * 1000)
    waits = [ratelimit.reserve(chat) for _ in range(3)]
    assert waits[0] < 0.05 and 0.45 < waits[1] < 0.55 and 0.95 < waits[2] < 1.05
    ratelimit.hold(chat, 10)
    assert ratelimit.reserve(chat) > 9.9


@pytest.mark.django_db(transaction=True)
def test_two_starts_racing_make_one_client(fake_telegram):
    """Two workers handle two /start updates of one person at the same moment."""
    import threading

    from django.db import connection

    from botapp.models import TelegramUpdate
    from botapp.tests import factories as f
    from crm.models import Client, Lead
    from pipeline.services import stages_ensure_defaults

    stages_ensure_defaults()
    rows = []
    for text in ("/start", "/start vk_ads"):
        payload = f.message(424242, text)
        rows.append(
            TelegramUpdate.objects.create(
                update_id=payload["update_id"], chat_id=424242, kind="message", payload=payload
            )
        )
    barrier = threading.Barrier(2)
    errors = []

    def worker(update_id):
        try:
            barrier.wait()
            services._process_one(
                TelegramUpdate.objects.get(update_id=update_id).pk, dispatch.dispatch
            )
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(row.update_id,)) for row in rows]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    # Celery's "inside a task" flag is one global per process; eager tasks in two threads can leave
    # it set, which would break a later test that waits for a real worker's result.
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)
    assert errors == []
    assert Client.objects.filter(telegram_id=424242).count() == 1
    assert not TelegramUpdate.objects.filter(processed_at__isnull=True).exists()
    assert TelegramUpdate.objects.exclude(error="").count() == 0
    # Whichever ran first, the deep link's source is recorded once.
    assert Lead.objects.filter(client__telegram_id=424242, source="vk_ads").count() == 1


def test_sweep_sends_messages_a_dead_worker_left_pending(fake_telegram):
    from datetime import timedelta

    from django.utils import timezone

    client = ClientFactory()
    old = OutboundMessage.objects.create(
        chat_id=client.telegram_id,
        client=client,
        text="застряло",
        created_at=timezone.now() - timedelta(minutes=5),
    )
    OutboundMessage.objects.create(chat_id=777, text="только что")  # too fresh to touch

    assert services.outbox_sweep() == 1

    old.refresh_from_db()
    assert old.status == Status.SENT
    assert [c.params["text"] for c in fake_telegram.sent("sendMessage")] == ["застряло"]
