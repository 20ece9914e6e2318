"""Front desk benchmark: XLSX export of many clients in bounded memory and time linear in rows, the
import of 10,000 rows with its speed, and the reports over a year of payments in a fixed number of
queries.

    DEBUG=1 .venv/bin/python bench/desk.py [--clients 100000] [--import-rows 10000]

Uses its own SQLite file (var/bench-desk.sqlite3, recreated each run). Each export and the import run
in a fresh process (`--export N`, `--import N`) so the memory they report is their own; the issue's
bound is 200 MB peak RSS at 100,000 clients.

Peak RSS is the process's own high-water mark (VmHWM in /proc/self/status), not getrusage's
ru_maxrss: Linux carries ru_maxrss over from the parent through fork and exec, so a child started by
a parent that had just seeded 100,000 clients reported the parent's peak (the 260 MB once measured
here was the seeding process, not the export). "base" is the mark right after django.setup() — the
whole project imported, before the export starts — so "peak − base" is what the export itself adds.

Measured 2026-11-30 (SQLite, 2 cores shared with ~8 other processes, so times are slow but
comparable): export of 10,000 / 50,000 / 100,000 clients — peak 153 MB each (base 144 MB, the
export adds 9 MB), 1.66 / 1.54 / 1.55 ms per row (linear); reports 12 queries for 1, 7 and 365 days;
import of 10,000 rows — check 24.6 s (406 rows/s, 1 query), write 909 s (11 rows/s, about 26
queries per row through crm.services.client_create), peak 173 MB.
Since the write is in bulk (crm.services.clients_bulk_create), idle machine, 1,000 clients: import
of 20,000 rows — check 10.9 s (1,828 rows/s, 1 query), write 40.1 s (499 rows/s, 1,570 queries:
0.08 per row, SQLite's 999 values per insert), peak 349 MB.
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


def peak_mb() -> float:
    """This process's own peak resident memory (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux: an upper bound


def export(rows: int) -> None:
    """Child: export the first `rows` clients to a temporary XLSX; print seconds, MB, MB, bytes."""
    import django

    django.setup()
    base_mb = peak_mb()
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
    print(f"{seconds:.2f} {base_mb:.0f} {peak_mb():.0f} {size}")


def import_rows(rows: int) -> None:
    """Child: build an XLSX of `rows` new clients (the export's own columns), then check it (the
    preview) and write it (one transaction), as the import page does; print the seconds and queries
    of each phase and the peak memory."""
    import django

    django.setup()
    from contextlib import contextmanager

    from django.db import connection

    from crm.models import User
    from desk.exports import CLIENT_COLUMNS
    from desk.imports import import_apply, import_plan
    from desk.xlsx import XlsxWriter

    @contextmanager
    def counting():
        """Count queries (CaptureQueriesContext keeps only the last 9,000)."""
        counted = [0]

        def count(execute, sql, params, many, context):
            counted[0] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            yield counted

    base_mb = peak_mb()
    book = XlsxWriter()
    sheet = book.sheet("Клиенты", [str(label) for _, label in CLIENT_COLUMNS[:8]])
    for n in range(rows):
        sheet.append(
            [
                ["Анна", "Иван", '=HYPERLINK("x")', "+1"][n % 4],
                f"Импорт {n}",
                f"+7955{n:07d}",
                None,
                f"import_{n}",
                f"import{n}@example.ru",
                "manual",
                "из файла",
            ]
        )
    content = b"".join(book.response("import.xlsx").streaming_content)
    actor = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser(
        "bench-import", password=None
    )
    started = time.perf_counter()
    with counting() as preview_queries:
        plan = import_plan(name="import.xlsx", content=content, on_duplicate="skip")
    preview = time.perf_counter() - started
    assert not plan.errors, plan.errors[:3]
    started = time.perf_counter()
    with counting() as apply_queries:
        counts = import_apply(plan=plan, actor=actor)
    applied = time.perf_counter() - started
    assert counts["create"] == rows, counts
    print(
        f"{preview:.2f} {preview_queries[0]} {applied:.2f} {apply_queries[0]} "
        f"{base_mb:.0f} {peak_mb():.0f} {len(content)}"
    )


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
    parser.add_argument("--import-rows", type=int, default=10_000)
    parser.add_argument("--export", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--import", dest="import_", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export:
        export(args.export)
        return
    if args.import_:
        import_rows(args.import_)
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
    print(
        f"{'rows':>8} {'seconds':>8} {'µs/row':>7} {'base, MB':>9} {'peak RSS, MB':>13} "
        f"{'export adds, MB':>16} {'file, MB':>9}"
    )
    for rows in sorted({args.clients // 10, args.clients // 2, args.clients}):
        out = subprocess.run(
            [sys.executable, __file__, "--export", str(rows)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        seconds, base, peak, size = float(out[0]), float(out[1]), float(out[2]), int(out[3])
        print(
            f"{rows:>8} {seconds:>8.2f} {seconds / rows * 1e6:>7.1f} {base:>9.0f} {peak:>13.0f} "
            f"{peak - base:>16.0f} {size / 1e6:>9.1f}"
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

    if args.import_rows:
        out = subprocess.run(
            [sys.executable, __file__, "--import", str(args.import_rows)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        preview, preview_q, applied, apply_q = (
            float(out[0]),
            int(out[1]),
            float(out[2]),
            int(out[3]),
        )
        base, peak, size = float(out[4]), float(out[5]), int(out[6])
        rows = args.import_rows
        print(f"Import of {rows} new clients from XLSX ({size / 1e6:.1f} MB), in a fresh process:")
        print(
            f"  check (preview): {preview:.1f} s, {rows / preview:.0f} rows/s, {preview_q} queries"
        )
        print(
            f"  write (all or nothing): {applied:.1f} s, {rows / applied:.0f} rows/s, "
            f"{apply_q} queries ({apply_q / rows:.1f} per row)"
        )
        print(f"  peak RSS {peak:.0f} MB (base {base:.0f} MB)")


if __name__ == "__main__":
    main()
