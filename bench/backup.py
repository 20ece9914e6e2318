"""Backup and restore benchmark: the demo business of N clients on SQLite and PostgreSQL — how long
`manage.py backup` takes and how big it is, and how long the restore drill takes (a full restore into
a scratch database plus a row-count check of every table).

    DEBUG=1 .venv/bin/python bench/backup.py [--clients 100000] [--vendors sqlite,postgresql]

SQLite uses its own file (var/bench-backup.sqlite3), PostgreSQL its own database (BENCH_PG_URL,
default postgres://postgres@127.0.0.1:5432/crm_bench_backup); both are recreated each run, as are
the backups under var/bench-backups/. Each vendor runs in a fresh process (settings are read at
start-up). Prints one line per vendor: rows, seed time, backup time and size (database dump and
media), drill time.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SQLITE = ROOT / "var" / "bench-backup.sqlite3"
BACKUPS = ROOT / "var" / "bench-backups"
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/crm_bench_backup")


def child(vendor: str, clients: int) -> None:
    """Seed, back up, drill; print a JSON line of the measurements."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from ops.backups import backup_create, restore_drill

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    call_command("seed_demo", clients=clients, stdout=open(os.devnull, "w"))  # noqa: SIM115
    seeded = time.perf_counter() - started
    connection.close()  # a backup reads a consistent snapshot; nothing else is writing

    started = time.perf_counter()
    backup = backup_create()
    backed_up = time.perf_counter() - started
    files = {name: meta["size"] for name, meta in backup.manifest["files"].items()}
    drill = restore_drill(path=backup.path)
    print(
        json.dumps(
            {
                "vendor": vendor,
                "clients": clients,
                "rows": drill.rows,
                "seed_s": round(seeded, 1),
                "backup_s": round(backed_up, 1),
                "files": files,
                "drill_s": drill.seconds,
            }
        )
    )


def _recreate_pg() -> None:
    import psycopg

    base, name = PG_URL.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'DROP DATABASE IF EXISTS "{name}_restore_drill" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def run(vendor: str, clients: int) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DEBUG": os.environ.get("DEBUG", "1"),
        "LOG_LEVEL": "ERROR",
        "BACKUP_DIR": str(BACKUPS / vendor),
        "MEDIA_ROOT": str(ROOT / "var" / f"bench-backup-media-{vendor}"),
    }
    env.pop("REDIS_URL", None)  # the embedded broker: the seed's follow-ups need no worker
    if vendor == "sqlite":
        SQLITE.unlink(missing_ok=True)
        env["DATABASE_URL"] = f"sqlite:///{SQLITE}"
    else:
        _recreate_pg()
        env["DATABASE_URL"] = PG_URL
    subprocess.run(["rm", "-rf", str(BACKUPS / vendor), env["MEDIA_ROOT"]], check=True)
    out = subprocess.run(
        [sys.executable, __file__, "--child", vendor, "--clients", str(clients)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode:
        sys.exit(f"{vendor} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--vendors", default="sqlite,postgresql")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.clients)
        return
    print(f"{'vendor':<11}{'clients':>9}{'rows':>10}{'seed s':>9}{'backup s':>10}", end="")
    print(f"{'db MB':>8}{'media MB':>10}{'drill s':>9}")
    for vendor in args.vendors.split(","):
        r = run(vendor, args.clients)
        db = sum(size for name, size in r["files"].items() if name.startswith("database"))
        media = sum(size for name, size in r["files"].items() if name.startswith("media"))
        print(
            f"{r['vendor']:<11}{r['clients']:>9}{r['rows']:>10}{r['seed_s']:>9}{r['backup_s']:>10}"
            f"{db / 1e6:>8.1f}{media / 1e6:>10.1f}{r['drill_s']:>9}",
            flush=True,
        )


if __name__ == "__main__":
    main()
