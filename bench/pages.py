#!/usr/bin/env python
"""Latency and SQL query counts of the trainer's pages with N demo clients.

    DEBUG=1 python bench/pages.py 1000 10000        # one run per size (default: 1000)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench DEBUG=1 python bench/pages.py 100000

Each size gets a throwaway database (a temporary SQLite file, or Django's `test_<name>` database on
PostgreSQL, dropped at the end), seeded with `crm.demo.seed_clients`. Every page is requested through
Django's test client as a trainer (sees own and unassigned clients) and as an admin (sees all);
the first request counts SQL queries, the next `--repeat` requests give p50/p95 latency.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
_TMP = tempfile.TemporaryDirectory(prefix="crm-bench-")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_TMP.name}/bench.sqlite3")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client as HttpClient  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

PAGES = [
    ("dashboard", "/"),
    ("board", "/pipeline/"),
    ("client list", "/clients/"),
    ("client page", "/clients/{client}/"),
    ("analytics", "/pipeline/analytics/"),
]


def measure(http: HttpClient, url: str, repeat: int) -> tuple[int, float, float, int]:
    reset_queries()  # the log holds the seeding's queries; a request resets it at its start
    with CaptureQueriesContext(connection) as queries:
        response = http.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        http.get(url)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    return len(queries), statistics.median(timings), p95, len(response.content)


def run(size: int, repeat: int) -> None:
    from crm.demo import ensure_demo_users, seed_clients
    from crm.models import Client, User
    from pipeline.services import stages_ensure_defaults

    if connection.vendor == "sqlite":
        connection.settings_dict["TEST"]["NAME"] = f"{_TMP.name}/bench-{size}.sqlite3"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        stages_ensure_defaults()
        users, _ = ensure_demo_users()
        trainers = [u for u in users if u.role == User.Role.TRAINER]
        started = time.perf_counter()
        seed_clients(count=size, trainers=trainers)
        seeded = time.perf_counter() - started
        print(
            f"\n{size} clients on {connection.vendor} "
            f"(seeded in {seeded:.1f}s; {repeat} timed requests per page)"
        )
        for user in (trainers[0], next(u for u in users if u.role == User.Role.ADMIN)):
            http = HttpClient()
            http.force_login(user)
            client = Client.objects.filter(trainer=user).first() or Client.objects.first()
            visible = (
                Client.objects.filter(trainer__in=[user, None]).count() if user.is_trainer else size
            )
            print(f"  as {user.username} ({user.role}, sees {visible} clients)")
            print(f"    {'page':<14}{'queries':>8}{'p50 ms':>9}{'p95 ms':>9}{'KB':>7}")
            for name, pattern in PAGES:
                url = pattern.format(client=client.pk)
                count, p50, p95, size_bytes = measure(http, url, repeat)
                print(f"    {name:<14}{count:>8}{p50:>9.1f}{p95:>9.1f}{size_bytes / 1024:>7.0f}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1000])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    # Not setup_test_environment(): it instruments every template render, which would double the
    # board's time. The test client only needs its host allowed.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    for size in args.sizes:
        run(size, args.repeat)


if __name__ == "__main__":
    main()
