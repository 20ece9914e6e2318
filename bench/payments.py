"""Webhook benchmark: how fast `POST /payments/yookassa/webhook/` settles payments, with the real
YooKassa SDK re-reading each payment from a local fake API, and how many SQL queries one
notification costs (first delivery and a duplicate).

    DEBUG=1 .venv/bin/python bench/payments.py [--count 300]

Uses its own SQLite file (var/bench-payments.sqlite3, recreated each run). Messages to the bot
are not sent (their enqueueing is replaced by a no-op): this measures the webhook, not Telegram.
"""

import argparse
import json
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = ROOT / "var" / "bench-payments.sqlite3"
os.environ.setdefault("DEBUG", "1")
os.environ["DATABASE_URL"] = f"sqlite:///{DB}"
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
os.environ.setdefault("LOG_LEVEL", "ERROR")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=300, help="payments to settle (max 2000)")
    count = min(parser.parse_args().count, 2000)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DB}{suffix}").unlink(missing_ok=True)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client as HttpClient
    from django.test.utils import setup_test_environment

    setup_test_environment()
    call_command("migrate", verbosity=0)

    import crm.notifications
    import payments.services
    from crm.models import Client
    from payments.models import Payment, Tariff
    from payments.tests.fake_yookassa import FakeYooKassa, notification
    from pipeline.models import PipelineStage

    def no_op(*args, **kwargs) -> bool:
        return True

    payments.services.enqueue_on_commit = no_op
    crm.notifications.enqueue_on_commit = no_op

    fake = FakeYooKassa().start()
    settings.YOOKASSA_SHOP_ID, settings.YOOKASSA_SECRET_KEY = "1", "bench"
    settings.YOOKASSA_API_URL = fake.url
    try:
        deciding = PipelineStage.objects.get(code="deciding")
        tariff = Tariff.objects.create(name="Программа на 12 недель", price=Decimal("4990.00"))
        clients = Client.objects.bulk_create(
            Client(first_name=f"Клиент {i}", phone=f"+7999{i:07d}", stage=deciding)
            for i in range(count)
        )
        created = time.perf_counter()
        rows = []
        for client in clients:
            rows.append(payments.services.payment_create(client=client, tariff=tariff))
        create_seconds = time.perf_counter() - created
        for payment in rows:
            fake.set_status(payment.provider_payment_id, "succeeded")

        http = HttpClient()
        url = "/payments/yookassa/webhook/"

        def post(payment: Payment):
            body = json.dumps(notification("payment.succeeded", payment.provider_payment_id))
            return http.post(url, body, content_type="application/json")

        # Django resets its query log when a request starts, so count with an execute wrapper.
        first, duplicate = [], []
        with connection.execute_wrapper(lambda run, sql, *a: first.append(sql) or run(sql, *a)):
            assert post(rows[0]).json() == {"result": "succeeded"}
        with connection.execute_wrapper(lambda run, sql, *a: duplicate.append(sql) or run(sql, *a)):
            assert post(rows[0]).json() == {"result": "same"}

        timings = []
        started = time.perf_counter()
        for payment in rows[1:]:
            t0 = time.perf_counter()
            response = post(payment)
            timings.append(time.perf_counter() - t0)
            assert response.status_code == 200
        total = time.perf_counter() - started
        dup_timings = []
        for payment in rows[1 : min(len(rows), 101)]:
            t0 = time.perf_counter()
            post(payment)
            dup_timings.append(time.perf_counter() - t0)
        settled = Payment.objects.filter(status="succeeded").count()
    finally:
        fake.stop()

    def p95(values: list[float]) -> float:
        return statistics.quantiles(values, n=20)[-1] * 1000 if len(values) > 1 else 0.0

    print(f"payments created through the SDK: {count} in {create_seconds:.2f}s")
    print(
        f"first delivery: {len(timings)} notifications in {total:.2f}s = {len(timings) / total:.0f}/s"
    )
    print(f"  p50 {statistics.median(timings) * 1000:.1f} ms, p95 {p95(timings):.1f} ms")
    print(
        f"duplicates: p50 {statistics.median(dup_timings) * 1000:.1f} ms, p95 {p95(dup_timings):.1f} ms"
    )
    print(f"SQL queries per notification: first {len(first)}, duplicate {len(duplicate)}")
    print(f"settled exactly once: {settled} of {count}")
    assert settled == count


if __name__ == "__main__":
    main()
