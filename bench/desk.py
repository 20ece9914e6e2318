"""Front desk benchmark: XLSX export of many clients in bounded memory and time linear in rows, and
the reports over a year of payments in a fixed number of queries.

    DEBUG=1 .venv/bin/python bench/desk.py [--clients 100000]

Uses its own SQLite file (var/bench-desk.sqlite3, recreated each run). Each export runs in a fresh
process (`--export N`) so its peak RSS is its own; the issue's bound is 200 MB at 100,000 clients.
"""

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = ROOT / "var" / "bench-desk.sqlite3"
os.environ.setdefault("DEBUG", "1")
os.environ["DATABASE_URL"] = f"sqlite:///{DB}"
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
os.environ.setdefault("LOG_LEVEL", "ERROR")


def export(rows: int) -> None:
    """Child: export the first `rows` clients to a temporary XLSX; print seconds, MB, bytes."""
    import django

    django.setup()
    from crm.models import Client
    from desk import exports
    from desk.xlsx import XlsxWriter

    started = time.perf_counter()
    book = XlsxWriter()
    pks = Client.objects.order_by("id").values_list("id", flat=True)[rows - 1 : rows]
    exports.clients_write(book, Client.objects.filter(id__lte=pks[0]).order_by("id"))
    response = book.response("bench.xlsx")
    size = sum(len(chunk) for chunk in response.streaming_content)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{seconds:.2f} {peak_mb:.0f} {size}")


def seed(count: int) -> None:
    import random
    from datetime import timedelta
    from decimal import Decimal

    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from crm.models import Client
    from payments.models import Payment, Tariff
    from pipeline.services import stages_ensure_defaults

    stages_ensure_defaults()
    rng = random.Random(4)
    tariff = Tariff.objects.create(name="Месяц", price=Decimal("3000"))
    now = timezone.now()
    batch = 5000
    for start in range(0, count, batch):
        clients = [
            Client(
                first_name=rng.choice(["Анна", "Иван", '=HYPERLINK("x")', "+1"]),
                last_name=f"Клиент {n}",
                phone=f"+7900{n:07d}",
                notes="заметка " * 5,
                created_at=now - timedelta(days=rng.randint(0, 364)),
            )
            for n in range(start, min(start + batch, count))
        ]
        created = Client.objects.bulk_create(clients)
        Payment.objects.bulk_create(
            [
                Payment(
                    client=client,
                    tariff=tariff,
                    amount=tariff.price,
                    provider=rng.choice(["cash", "card", "yookassa", "transfer"]),
                    status="succeeded",
                    paid_at=client.created_at,
                    created_at=client.created_at,
                    idempotence_key=f"bench-{client.pk}",
                )
                for client in created
            ]
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--export", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export:
        export(args.export)
        return
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DB}{suffix}").unlink(missing_ok=True)
    import django

    django.setup()
    started = time.perf_counter()
    seed(args.clients)
    print(
        f"Seeded {args.clients} clients and a year of payments in {time.perf_counter() - started:.0f}s"
    )

    print("Export of clients to XLSX (each in a fresh process):")
    print(f"{'rows':>8} {'seconds':>8} {'µs/row':>7} {'peak RSS, MB':>13} {'file, MB':>9}")
    for rows in sorted({args.clients // 10, args.clients // 2, args.clients}):
        out = subprocess.run(
            [sys.executable, __file__, "--export", str(rows)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        seconds, peak, size = float(out[0]), float(out[1]), int(out[2])
        print(
            f"{rows:>8} {seconds:>8.2f} {seconds / rows * 1e6:>7.1f} {peak:>13.0f} {size / 1e6:>9.1f}"
        )

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from desk.reports import period_for, report_build

    print("Reports (queries and time):")
    from datetime import timedelta

    from django.utils import timezone

    today = timezone.localdate()
    for kind, start in (("day", None), ("week", None), ("custom", today - timedelta(days=364))):
        period = period_for(kind=kind, start=start, end=today if start else None)
        with CaptureQueriesContext(connection) as captured:
            t0 = time.perf_counter()
            report_build(period=period)
            seconds = time.perf_counter() - t0
        days = (period.end - period.start).days + 1
        print(f"  {days:>4} days: {len(captured)} queries, {seconds * 1000:.0f} ms")


if __name__ == "__main__":
    main()
