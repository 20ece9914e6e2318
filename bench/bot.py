"""Bot benchmark: updates per second through `POST /bot/webhook/` + a real Celery worker, and the
time from the webhook request to the bot's reply reaching a fake Bot API (python-telegram-bot's real
HTTP layer talks to it).

    DEBUG=1 .venv/bin/python bench/bot.py [--count 200] [--workers 1] [--rate 0] [--real-limits]

Each update is a `/start` from a different person (a new client: lead registration, stage move,
welcome and menu). Uses its own SQLite file (var/bench-bot.sqlite3, recreated each run) and its own
queue on the configured broker (the embedded one unless REDIS_URL is set; the embedded broker polls
about once a second, which dominates the latency). Without --real-limits the Telegram limits are
lifted to measure the bot itself; with it, 30 messages/s overall apply. The staff chat is off (it
would get one note per new lead at 1 message/s). Bounded: gives up after --timeout seconds.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = ROOT / "var" / "bench-bot.sqlite3"
SECRET = "bench-secret"
os.environ.setdefault("DEBUG", "1")
os.environ["DATABASE_URL"] = f"sqlite:///{DB}"
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
os.environ.setdefault("LOG_LEVEL", "ERROR")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=200, help="updates to send (max 2000)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (prefork)")
    parser.add_argument("--real-limits", action="store_true", help="Telegram's 30/s, 1/s per chat")
    parser.add_argument("--timeout", type=float, default=180.0)
    parser.add_argument(
        "--rate", type=float, default=0.0, help="updates/s to send (0: all at once, a backlog)"
    )
    args = parser.parse_args()
    count = min(args.count, 2000)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DB}{suffix}").unlink(missing_ok=True)

    from botapp.tests.fakes import FakeBotAPI

    fake = FakeBotAPI().start()
    queue = f"bench-bot-{uuid.uuid4().hex[:6]}"
    env = {
        "TELEGRAM_BOT_TOKEN": "123456:BENCH",
        "TELEGRAM_API_BASE_URL": fake.url,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_ADMIN_CHAT_ID": "",
        "TELEGRAM_RATE_GLOBAL": "30" if args.real_limits else "100000",
        "TELEGRAM_RATE_PER_CHAT": "1" if args.real_limits else "100000",
        "CELERY_QUEUE": queue,
        "C_FORCE_ROOT": "1",
    }
    os.environ.update(env)

    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client as HttpClient
    from django.test.utils import setup_test_environment

    setup_test_environment()
    call_command("migrate", verbosity=0)

    from botapp.tests import factories as f

    log = (ROOT / "var" / f"{queue}.log").open("w")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", f"{queue},{queue}.urgent",
         "--concurrency", str(args.workers), "--without-heartbeat", "--without-gossip",
         "--without-mingle", "-l", "warning"],
        cwd=ROOT, env={**os.environ}, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        http = HttpClient()
        # Warm up: the worker is ready and the Bot is initialized (getMe) before the clock starts.
        warm = f.message(1, "/start")
        http.post("/bot/webhook/", data=json.dumps(warm), content_type="application/json",
                  headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})  # fmt: skip
        fake.wait_for(lambda calls: any(c.chat_id == 1 for c in calls), timeout=60)

        users = list(range(10_000, 10_000 + count))
        posted: dict[int, float] = {}
        webhook_ms = []
        started = time.monotonic()
        for n, user in enumerate(users):
            if args.rate:
                time.sleep(max(0.0, started + n / args.rate - time.monotonic()))
            body = json.dumps(f.message(user, "/start"))
            t0 = time.monotonic()
            response = http.post("/bot/webhook/", data=body, content_type="application/json",
                                 headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})  # fmt: skip
            webhook_ms.append((time.monotonic() - t0) * 1000)
            assert response.status_code == 200, response.content
            posted[user] = t0
        wanted = set(users)

        def done(calls) -> bool:
            return wanted <= {c.chat_id for c in calls if c.method == "sendMessage"}

        try:
            fake.wait_for(done, timeout=args.timeout)
        except AssertionError:
            print(f"Timed out after {args.timeout:.0f} s; partial results below.")
        first_reply: dict[int, float] = {}
        for call in fake.sent("sendMessage"):
            if call.chat_id in posted and call.chat_id not in first_reply:
                first_reply[call.chat_id] = call.at
        elapsed = max(first_reply.values(), default=started) - started
        latencies = sorted((first_reply[u] - posted[u]) * 1000 for u in first_reply)
        p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]  # noqa: E731
        print(f"updates: {count}, answered: {len(first_reply)}, worker processes: {args.workers}, "
              f"broker: {'redis' if os.environ.get('REDIS_URL') else 'embedded (filesystem)'}, "
              f"limits: {'Telegram (30/s)' if args.real_limits else 'lifted'}, "
              f"sent at: {f'{args.rate:g}/s' if args.rate else 'once (backlog)'}")  # fmt: skip
        print(f"webhook request: median {statistics.median(webhook_ms):.1f} ms, "
              f"p95 {sorted(webhook_ms)[int(0.95 * len(webhook_ms))]:.1f} ms")  # fmt: skip
        if latencies:
            print(f"throughput: {len(first_reply) / elapsed:.1f} updates/s "
                  f"({len(fake.sent('sendMessage'))} messages sent)")  # fmt: skip
            print(f"webhook → first reply at the fake Bot API: median {p(0.5):.0f} ms, "
                  f"p95 {p(0.95):.0f} ms, max {latencies[-1]:.0f} ms")  # fmt: skip
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()
        fake.stop()


if __name__ == "__main__":
    main()
