#!/usr/bin/env python
"""Latency and SQL query counts of the main pages at N demo clients, paired across sizes and databases.

    DEBUG=1 python bench/pages.py 1000 10000                      # SQLite only
    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm python bench/pages.py 1000 100000
    DEBUG=1 DATABASE_URL=... python bench/pages.py 1000 10000 --keep --wrk 10000

Every (database, size) pair gets its own database seeded with the whole demo business
(`crm.demo.seed_business`: clients and every app's data): a SQLite file, and with a PostgreSQL
`DATABASE_URL` also `<name>_bench_<size>` on that server. `--keep` keeps them (under `var/bench/` and
on the server) and reuses them next time, so 100 000 clients are seeded once. All databases are open in
this one process and the timed requests alternate between them request by request (a 1k request, then
a 100k one, then the PostgreSQL ones…), so machine noise hits every size alike and the ratios hold.

Each page is requested through Django's test client as a trainer (sees own and unassigned clients) and
as an admin (sees all); the first request counts SQL queries, the next `--repeat` rounds give p50.
The client pages show the same demo client (index 0 of the trainer's active clients) in every database.

`--wrk SIZE` then serves that size's databases with gunicorn and runs `wrk` (Debian's package) against
the client list and the board, next to `/healthz`, as the admin.
"""

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
PG_URL = os.environ.get("DATABASE_URL", "")
if not PG_URL.startswith("postgres"):
    PG_URL = ""
_TMP = tempfile.TemporaryDirectory(prefix="crm-bench-")
os.environ["DATABASE_URL"] = f"sqlite:///{_TMP.name}/unused.sqlite3"

import django  # noqa: E402

django.setup()

import environ  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402
from django.db.utils import load_backend  # noqa: E402
from django.test import Client as HttpClient  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from conftest import free_port  # noqa: E402

PAGES = [
    ("dashboard", "/"),
    ("board", "/pipeline/"),
    ("client list", "/clients/"),
    ("client page", "/clients/{client}/"),
    ("progress", "/clients/{client}/progress/"),
    ("programs", "/programs/"),
    ("payments", "/payments/"),
    ("pipe analytics", "/pipeline/analytics/"),
    ("prog analytics", "/progress/analytics/"),
]
ROLES = ("trainer", "admin")
KEEP_DIR = ROOT / "var" / "bench"


@dataclass
class Database:
    vendor: str
    size: int
    settings: dict
    wrapper: object = None
    clients: dict = field(default_factory=dict)  # role -> logged-in test client
    client_pk: int = 0
    queries: dict = field(default_factory=dict)  # (role, page) -> count
    timings: dict = field(default_factory=dict)  # (role, page) -> [ms]

    @property
    def label(self) -> str:
        return f"{self.vendor[:2]}{self.size // 1000}k"


def use(db: Database) -> None:
    """Make `db` the process's default connection (kept open between requests)."""
    connections["default"] = db.wrapper


def sqlite_settings(size: int, keep: bool) -> dict:
    folder = KEEP_DIR if keep else Path(_TMP.name)
    folder.mkdir(parents=True, exist_ok=True)
    config = environ.Env.db_url_config(f"sqlite:///{folder}/pages-{size}.sqlite3")
    config["OPTIONS"] = dict(settings.DATABASES["default"].get("OPTIONS", {}))
    return config


def pg_settings(size: int) -> dict:
    parts = urlsplit(PG_URL)
    name = f"{parts.path.lstrip('/')}_bench_{size}"
    config = environ.Env.db_url_config(urlunsplit(parts._replace(path=f"/{name}")))
    admin = environ.Env.db_url_config(urlunsplit(parts._replace(path="/postgres")))
    import psycopg

    with psycopg.connect(
        dbname=admin["NAME"],
        user=admin["USER"],
        host=admin["HOST"],
        port=admin["PORT"] or 5432,
        password=admin["PASSWORD"] or None,
        autocommit=True,
    ) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    return config


def drop(db: Database) -> None:
    db.wrapper.close()
    if db.vendor == "sqlite":
        return  # the temporary directory goes at exit
    import psycopg

    parts = urlsplit(PG_URL)
    admin = environ.Env.db_url_config(urlunsplit(parts._replace(path="/postgres")))
    with psycopg.connect(
        dbname="postgres",
        user=admin["USER"],
        host=admin["HOST"],
        port=admin["PORT"] or 5432,
        password=admin["PASSWORD"] or None,
        autocommit=True,
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db.settings["NAME"]}"')


def open_database(vendor: str, size: int, keep: bool) -> Database:
    raw = sqlite_settings(size, keep) if vendor == "sqlite" else pg_settings(size)
    raw["CONN_MAX_AGE"] = None  # stays open while the other databases take their turn
    config = connections.configure_settings({"default": raw})["default"]
    db = Database(vendor, size, config)
    db.wrapper = load_backend(config["ENGINE"]).DatabaseWrapper(config, "default")
    use(db)
    call_command("migrate", verbosity=0)
    from crm.demo import DEMO_PHONE_PREFIX, seed_business
    from crm.models import Client, User

    have = Client.objects.filter(phone__startswith=DEMO_PHONE_PREFIX).count()
    if have < size:
        started = time.perf_counter()
        seed_business(count=size, log=lambda line: print(f"  {vendor} {size}: {line}", flush=True))
        print(f"seeded {size} clients on {vendor} in {time.perf_counter() - started:.0f}s")
    from crm.summaries import summaries_refresh
    from ops.services import database_analyze

    # What the periodic jobs keep fresh: the planner's statistics and the pages' summaries; on
    # PostgreSQL also what autovacuum does to freshly loaded tables (the visibility map, without
    # which no scan reads an index alone).
    if vendor == "postgresql":
        with db.wrapper.cursor() as cursor:
            cursor.execute("VACUUM")
    database_analyze()
    took = summaries_refresh()
    spent = ", ".join(f"{name.split('.')[0]} {ms} ms" for name, ms in took.items())
    print(f"  {vendor} {size}: summaries {spent}", flush=True)
    trainer = User.objects.get(username="demo-trainer")
    admin = User.objects.get(username="demo-admin")
    db.client_pk = (
        Client.objects.filter(trainer=trainer, stage__code="active", programs__kind="paid")
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    for role, user in (("trainer", trainer), ("admin", admin)):
        http = HttpClient()
        http.force_login(user)
        db.clients[role] = http
    return db


def request(db: Database, role: str, page: str, url: str, count: bool = False) -> float:
    use(db)
    http = db.clients[role]
    url = url.format(client=db.client_pk)
    if count:
        with CaptureQueriesContext(db.wrapper) as queries:
            response = http.get(url)
        db.queries[(role, page)] = len(queries)
    started = time.perf_counter()
    response = http.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{db.label} {role} {url} answered {response.status_code}")
    return elapsed


def run(dbs: list[Database], repeat: int, pages: list[tuple[str, str]]) -> None:
    for role in ROLES:
        for page, url in pages:
            for db in dbs:
                request(db, role, page, url, count=True)  # counts queries, warms caches
            for round_ in range(repeat):
                # Rotate who goes first, so no database always follows the same one.
                order = dbs[round_ % len(dbs) :] + dbs[: round_ % len(dbs)]
                for db in order:
                    db.timings.setdefault((role, page), []).append(request(db, role, page, url))
    report(dbs, pages)


def report(dbs: list[Database], pages: list[tuple[str, str]]) -> None:
    vendors = sorted({db.vendor for db in dbs}, reverse=True)
    for role in ROLES:
        print(f"\nas {role}: queries | p50 ms | ratio of the largest size to the smallest")
        header = f"{'page':<15}"
        for vendor in vendors:
            mine = [db for db in dbs if db.vendor == vendor]
            header += "".join(f"{'q' + db.label:>8}" for db in mine)
            header += "".join(f"{db.label:>9}" for db in mine) + f"{'ratio':>7}  "
        print(header)
        for page, _ in pages:
            line = f"{page:<15}"
            for vendor in vendors:
                mine = sorted((db for db in dbs if db.vendor == vendor), key=lambda d: d.size)
                p50 = [statistics.median(db.timings[(role, page)]) for db in mine]
                line += "".join(f"{db.queries[(role, page)]:>8}" for db in mine)
                line += "".join(f"{v:>9.1f}" for v in p50) + f"{p50[-1] / p50[0]:>7.2f}  "
            print(line)


def wrk(db: Database, duration: int, workers: int) -> None:
    """Serve `db` with gunicorn and run wrk against the client list, the board and /healthz."""
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    use(db)
    session = db.clients["admin"].cookies[settings.SESSION_COOKIE_NAME].value
    if db.vendor == "sqlite":
        url = f"sqlite:///{db.settings['NAME']}"
    else:
        url = urlunsplit(urlsplit(PG_URL)._replace(path=f"/{db.settings['NAME']}"))
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DEBUG": "0",
        "SECRET_KEY": settings.SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    if not os.environ.get("REDIS_URL"):
        env.pop("REDIS_URL", None)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            f"--workers={workers}",
            f"--bind=127.0.0.1:{port}",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        # The socket opens before the workers have imported Django: wait for real answers.
        for _ in range(120):
            try:
                for path in ("/healthz", "/clients/", "/pipeline/"):
                    urllib.request.urlopen(
                        urllib.request.Request(
                            f"http://127.0.0.1:{port}{path}",
                            headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"},
                        ),
                        timeout=30,
                    ).read()
                break
            except urllib.error.HTTPError:
                break  # it answers (a 503 from /healthz is counted by wrk below)
            except OSError:
                time.sleep(0.5)
        print(f"\nwrk on {db.label} ({workers} gunicorn workers, {duration}s each, 4 connections)")
        results = {}
        for name, path in (
            ("healthz", "/healthz"),
            ("client list", "/clients/"),
            ("board", "/pipeline/"),
        ):
            out = subprocess.run(
                [
                    "wrk",
                    "-t2",
                    "-c4",
                    f"-d{duration}s",
                    "-H",
                    f"Cookie: {settings.SESSION_COOKIE_NAME}={session}",
                    f"http://127.0.0.1:{port}{path}",
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            rps = float(
                next(line for line in out.splitlines() if "Requests/sec" in line).split()[1]
            )
            errors = [
                line.strip()
                for line in out.splitlines()
                if "Non-2xx" in line or "Socket errors" in line
            ]
            results[name] = rps
            share = (
                f"{rps / results['healthz']:.0%} of /healthz"
                if name != "healthz" and results["healthz"]
                else ""
            )
            print(f"  {name:<12}{rps:>9.1f} req/s  {share:<16}{'; '.join(errors) or '0 errors'}")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:  # workers still busy with wrk's last requests
            server.kill()
            server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1000])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--keep", action="store_true", help="keep and reuse the seeded databases")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--pg-only", action="store_true")
    parser.add_argument("--page", action="append", help="only these pages (names as printed)")
    parser.add_argument("--wrk", type=int, metavar="SIZE", help="also run wrk at this size")
    parser.add_argument("--wrk-seconds", type=int, default=10)
    parser.add_argument("--wrk-workers", type=int, default=3)
    parser.add_argument("--seed-only", action="store_true", help="seed (and keep) the databases")
    args = parser.parse_args()
    # Not setup_test_environment(): it instruments every template render, which would double the
    # board's time. The test client only needs its host allowed.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    vendors = [] if args.pg_only else ["sqlite"]
    if PG_URL and not args.sqlite_only:
        vendors.append("postgresql")
    dbs = [
        open_database(v, size, args.keep or args.seed_only) for v in vendors for size in args.sizes
    ]
    if args.seed_only:
        return
    pages = [p for p in PAGES if not args.page or p[0] in args.page]
    try:
        run(dbs, args.repeat, pages)
        if args.wrk:
            for db in dbs:
                if db.size == args.wrk:
                    wrk(db, args.wrk_seconds, args.wrk_workers)
    finally:
        if not args.keep:
            for db in dbs:
                drop(db)


if __name__ == "__main__":
    main()
