"""Automations benchmark: N active clients due for a message.

    DEBUG=1 .venv/bin/python bench/automations.py [--clients 10000] [--fanout 900] [--rate 30]
        [--senders 2] [--database-url postgres://…/throwaway]

1. Evaluation: the rule's set-based query over all clients (`rules_fire`) — SQL queries, time and
   peak Python memory, at N/10 and N clients (the query count must not grow).
2. Doing the due runs (`runs_do_due`: render each message, record it) and handing them to the
   bot's outbox (`automation_send`, batches of 500).
3. Fan-out: the queued messages of the first --fanout clients are sent by the bot's drain
   (`outbox_drain`, the same code a worker runs) to a local fake Bot API that enforces Telegram's
   limits itself (--rate messages/s overall, 1/s per chat; over the limit it answers 429 with
   retry_after). Reports the achieved rate against TELEGRAM_RATE_GLOBAL and how many 429s came back
   (each one is honoured and the message retried; "unhandled" counts messages not sent in the end).

Uses its own SQLite file (var/bench-automations.sqlite3, recreated each run), or the database of
--database-url (FLUSHED first: give it a throwaway one); the rate limiter uses Redis when REDIS_URL
is set, the database otherwise.
"""

import argparse
import multiprocessing
import os
import sys
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = ROOT / "var" / "bench-automations.sqlite3"


def _drain(chat_ids: list[int]) -> None:
    from django.db import connection

    from botapp.services import outbox_drain

    connection.close()  # the parent's connection is not ours to use
    outbox_drain(chat_ids=chat_ids)
    connection.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--fanout", type=int, default=900, help="messages to send (0: none)")
    parser.add_argument("--rate", type=float, default=30.0, help="TELEGRAM_RATE_GLOBAL")
    parser.add_argument("--senders", type=int, default=2, help="worker processes sending")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{DB}{suffix}").unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{DB}"
    os.environ.setdefault("DEBUG", "1")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    os.environ["QUIET_HOURS"] = ""
    os.environ["TELEGRAM_RATE_GLOBAL"] = str(args.rate)
    os.environ["TELEGRAM_RATE_PER_CHAT"] = "1"

    from botapp.tests.fakes import FakeBotAPI, Limits

    # The fake enforces Telegram's limits itself: over --rate/s overall or 1/s per chat → 429.
    fake = FakeBotAPI(limits=Limits(rate=args.rate, per_chat=1.0)).start()
    os.environ["TELEGRAM_BOT_TOKEN"] = "123456:BENCH"
    os.environ["TELEGRAM_API_BASE_URL"] = fake.url
    os.environ["TELEGRAM_ADMIN_CHAT_ID"] = ""

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, reset_queries, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    if args.database_url:  # a throwaway database: start empty, with the stages
        from pipeline.services import stages_ensure_defaults

        call_command("flush", interactive=False, verbosity=0)
        stages_ensure_defaults()
    from automations.models import Rule, Run
    from automations.services import rules_fire, runs_do_due
    from botapp.models import OutboundMessage
    from botapp.services import automation_send, outbox_drain
    from crm.models import Client
    from pipeline.models import PipelineStage
    from privacy.models import Consent, ConsentKind
    from privacy.selectors import policy_current
    from privacy.services import policy_publish

    active = PipelineStage.objects.get(code="active")
    now = timezone.now()
    Rule.objects.update(is_active=False)
    rule = Rule.objects.create(
        name="Бенчмарк",
        trigger=Rule.Trigger.STAGE_STUCK,
        stage=active,
        delay_value=1,
        delay_unit="days",
        is_active=True,
        active_since=now - timedelta(days=30),
        message="{name}, как проходят тренировки? Тренер {trainer} на связи.",
        buttons=["trainer"],
    )

    # The migration's consent text (a flushed database: published again).
    personal = policy_current(kind=ConsentKind.PERSONAL) or policy_publish(
        kind=ConsentKind.PERSONAL, text="Согласие на обработку персональных данных"
    )

    def seed(count: int, start: int) -> None:
        clients = Client.objects.bulk_create(
            [
                Client(
                    first_name=f"Клиент{n}",
                    telegram_id=9_000_000 + n,
                    stage=active,
                    stage_changed_at=now - timedelta(days=3),
                    source="telegram",
                )
                for n in range(start, start + count)
            ],
            batch_size=2000,
        )
        # They agreed to the processing of their data in the bot (automations write only to them).
        Consent.objects.bulk_create(
            [
                Consent(
                    client=client,
                    kind=ConsentKind.PERSONAL,
                    decision=Consent.Decision.GRANTED,
                    policy=personal,
                    channel="telegram",
                )
                for client in clients
            ],
            batch_size=2000,
        )

    def evaluate() -> tuple[int, float, float, int]:
        Run.objects.all().delete()
        tracemalloc.start()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            fired = rules_fire(now=timezone.now(), rules=[rule])
            elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return len(queries.captured_queries), elapsed, peak, fired

    small = max(1, args.clients // 10)
    seed(small, 0)
    q_small, t_small, m_small, fired_small = evaluate()
    seed(args.clients - small, small)
    q_large, t_large, m_large, fired_large = evaluate()
    print(f"evaluation, {fired_small} clients due: {q_small} queries, {t_small * 1000:.0f} ms, "
          f"peak {m_small / 1e6:.1f} MB")  # fmt: skip
    print(f"evaluation, {fired_large} clients due: {q_large} queries, {t_large * 1000:.0f} ms, "
          f"peak {m_large / 1e6:.1f} MB")  # fmt: skip

    tracemalloc.start()
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        runs_do_due(now=timezone.now())
    done_at = time.perf_counter()
    ids = list(Run.objects.filter(status="done").values_list("pk", flat=True))
    with transaction.atomic():  # the bot's task, in batches as the engine hands them over
        for offset in range(0, len(ids), 500):
            automation_send(run_ids=ids[offset : offset + 500])
    queued_at = time.perf_counter()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"doing {len(ids)} runs: {(done_at - started):.2f} s ({len(queries.captured_queries)} "
          f"queries); queuing them in the outbox: {queued_at - done_at:.2f} s; "
          f"peak {peak / 1e6:.1f} MB")  # fmt: skip

    if args.fanout:
        chats = list(
            OutboundMessage.objects.filter(dedupe_key__startswith="auto:")
            .order_by("id")
            .values_list("chat_id", flat=True)[: args.fanout]
        )
        settings_rate = args.rate
        reset_queries()
        # --senders processes, as that many worker processes (threads would share one GIL).
        connection.close()
        senders = [
            multiprocessing.get_context("fork").Process(
                target=_drain, args=(chats[index :: args.senders],)
            )
            for index in range(args.senders)
        ]
        started = time.monotonic()
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join()
        # Chats refused with 429 are retried by their own flush tasks (`enqueue_flush_later`);
        # here the drain is simply run again for what is left, as those tasks would.
        while True:
            left = list(
                OutboundMessage.objects.filter(chat_id__in=chats, status="pending")
                .values_list("chat_id", flat=True)
                .distinct()
            )
            if not left or time.monotonic() - started > len(chats) / settings_rate * 3 + 30:
                break
            time.sleep(1)
            outbox_drain(chat_ids=left)
        sends = sorted(c.at for c in fake.sent("sendMessage") if c.result is not None)
        elapsed = sends[-1] - sends[0] if len(sends) > 1 else 0.0
        achieved = (len(sends) - 1) / elapsed if elapsed else 0.0
        unsent = OutboundMessage.objects.filter(chat_id__in=chats).exclude(status="sent").count()
        print(f"fan-out of {len(chats)} messages: {achieved:.1f} messages/s = "
              f"{100 * achieved / settings_rate:.0f} % of TELEGRAM_RATE_GLOBAL={settings_rate:g}; "
              f"429 answers: {fake.refused} (honoured and retried), unhandled: {unsent}")  # fmt: skip
    fake.stop()


if __name__ == "__main__":
    main()
