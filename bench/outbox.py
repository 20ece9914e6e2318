"""Outbox benchmark: how fast the bot's messages leave against a local fake Bot API with Telegram's
limits on (30 messages/s overall, 1/s per chat with a burst of 3, 20/min to a group; over them it
answers 429 like Telegram), through a real Celery worker, and how long the follow-ups take to go out
once a broker that was down is back.

    .venv/bin/python bench/outbox.py [--chats 100] [--per-chat 10] [--workers 2] [--down 50]

1. A backlog of chats × per-chat messages (1,000 by default) is queued, then a worker starts: the time
   to drain it, messages/s overall, and messages/s in one chat.
2. The broker (a redis-server of its own on a free port) is stopped, `--down` client messages are
   promised (their follow-ups cannot reach the broker), the broker is started again: the time from
   its return to the last message at the fake, with the relay job run every second (beat runs it
   every minute, which adds up to a minute).
Uses its own SQLite file (var/bench-outbox.sqlite3, recreated each run). Needs `redis-server`.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = ROOT / "var" / "bench-outbox.sqlite3"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chats", type=int, default=100)
    parser.add_argument("--per-chat", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--down", type=int, default=50, help="messages promised while down")
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args()
    if not shutil.which("redis-server"):
        sys.exit("redis-server is needed (apt-get install redis-server)")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DB}{suffix}").unlink(missing_ok=True)
    folder = tempfile.mkdtemp(prefix="bench-outbox-")
    from conftest import RedisServer

    redis = RedisServer(folder).start()
    port = redis.port

    from botapp.tests.fakes import FakeBotAPI, Limits

    fake = FakeBotAPI(limits=Limits(rate=30, per_chat=1, burst=3, group_per_minute=20)).start()
    queue = f"bench-outbox-{port}"
    admin_chat = -1001
    os.environ.update(
        {
            "DEBUG": "1",
            "LOG_LEVEL": "ERROR",
            "DATABASE_URL": f"sqlite:///{DB}",
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "REDIS_URL": f"redis://127.0.0.1:{port}/0",
            "TELEGRAM_BOT_TOKEN": "123456:BENCH",
            "TELEGRAM_API_BASE_URL": fake.url,
            "TELEGRAM_ADMIN_CHAT_ID": str(admin_chat),
            "TELEGRAM_RATE_GLOBAL": "30",
            "TELEGRAM_RATE_PER_CHAT": "1",
            "TELEGRAM_RATE_PER_GROUP_MINUTE": "20",
            "CELERY_QUEUE": queue,
            "C_FORCE_ROOT": "1",
        }
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0)
    from botapp import services
    from botapp.models import OutboundMessage
    from crm import notifications
    from crm.models import Client
    from followups.services import followups_relay

    chats = [50_000 + n for n in range(args.chats)]
    with transaction.atomic():
        for chat in chats:
            for n in range(args.per_chat):
                services.message_queue(chat_id=chat, text=f"сообщение {n}")
    total = len(chats) * args.per_chat

    log = (ROOT / "var" / f"{queue}.log").open("w")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", f"{queue},{queue}.urgent",
         "--concurrency", str(args.workers), "--without-heartbeat", "--without-gossip",
         "--without-mingle", "-l", "warning"],
        cwd=ROOT, env={**os.environ}, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        started = time.monotonic()
        fake.wait_for(
            lambda calls: sum(c.method == "sendMessage" for c in calls) >= total,
            timeout=args.timeout,
        )
        calls = [c for c in fake.sent("sendMessage")]
        drain = calls[-1].at - calls[0].at
        first_wait = calls[0].at - started
        one = [c.at for c in calls if c.chat_id == chats[0]]
        per_chat = (len(one) - 1) / (one[-1] - one[0]) if len(one) > 1 else float("nan")
        print(f"backlog: {total} messages to {len(chats)} chats, {args.workers} worker processes, "
              f"Redis broker, limits 30/s overall, 1/s per chat (burst 3)")  # fmt: skip
        rates = []
        for chat in chats:
            times = [c.at for c in calls if c.chat_id == chat]
            if len(times) > 1:
                rates.append((len(times) - 1) / (times[-1] - times[0]))
        rates.sort()
        unsent = OutboundMessage.objects.exclude(status=OutboundMessage.Status.SENT).count()
        print(f"drained in {drain:.1f} s after the first send ({first_wait:.1f} s worker start): "
              f"{(len(calls) - 1) / drain:.1f} messages/s overall; one chat: {per_chat:.2f} "
              f"messages/s (median chat {rates[len(rates) // 2]:.2f}, slowest {rates[0]:.2f}); "
              f"429 answers of the fake: {fake.refused} (each honoured and retried), "
              f"messages not sent: {unsent}")  # fmt: skip

        # --- the broker goes away, comes back -------------------------------------------------------
        people = [
            Client.objects.create(first_name=f"Клиент {n}", telegram_id=60_000 + n)
            for n in range(args.down)
        ]
        redis.stop()
        before = len(fake.sent("sendMessage"))
        t0 = time.monotonic()
        for person in people:
            # What a payment, a reminder or a trainer's note does: a follow-up promised on commit.
            with transaction.atomic():
                notifications.client_message(client=person, text="после сбоя")
        promised = time.monotonic() - t0
        redis.start()
        back = time.monotonic()
        while len(fake.sent("sendMessage")) < before + args.down:
            followups_relay()
            services.outbox_sweep()
            time.sleep(1)
            if time.monotonic() - back > args.timeout:
                print("timed out waiting for the messages after the broker came back")
                break
        recovered = max(c.at for c in fake.sent("sendMessage")) - back
        print(f"broker down: {args.down} messages queued in {promised:.1f} s (none lost); "
              f"all delivered {recovered:.1f} s after the broker came back "
              f"(relay and sweep run every second here; beat runs them every minute)")  # fmt: skip
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()
        fake.stop()
        redis.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
