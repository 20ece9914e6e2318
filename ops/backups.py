"""Backups, restores and the restore drill.

A backup is one directory `BACKUP_DIR/crm-<local time>/` holding the database in its native format
(PostgreSQL: `pg_dump -Fc`; SQLite: a copy made with SQLite's online backup API), the media files as
`media.tar`, and `manifest.json` with each file's SHA-256 and the row count of every table at the
moment of the dump. It is written under a `.partial` name and renamed when complete, so a directory
with the final name is always whole. A JSON dump (the old `backup`) does not scale to 100,000
clients; the native formats do, and restore in minutes.

The restore drill restores the latest backup into a scratch database (a second PostgreSQL database,
or a scratch SQLite file), checks its integrity and compares every table's row count with the
manifest — the counts the source had in the same snapshot the dump was taken from.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.utils import timezone

logger = logging.getLogger(__name__)

FORMAT = 1
MANIFEST = "manifest.json"
PG_FILE = "database.pgdump"
SQLITE_FILE = "database.sqlite3"
MEDIA_FILE = "media.tar"
NAME_RE = re.compile(r"^crm-\d{8}-\d{6}(-\d+)?$")
PARTIAL_SUFFIX = ".partial"
# pg_dump's custom format compresses; a dump is typically well under half the database's size.
PG_DUMP_SIZE_FACTOR = 0.5


class BackupError(Exception):
    """A backup, restore or drill that cannot go on; the message tells a person why."""


@dataclass
class Backup:
    path: Path
    manifest: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def created_at(self) -> datetime:
        return datetime.fromisoformat(self.manifest["created_at"])

    @property
    def size_bytes(self) -> int:
        return sum(f["size"] for f in self.manifest.get("files", {}).values())


# --- helpers -----------------------------------------------------------------------------------


def backup_dir() -> Path:
    return Path(settings.BACKUP_DIR)


def _db(alias: str = "default") -> dict:
    return connections[alias].settings_dict


def _vendor() -> str:
    return connections["default"].vendor


def _pg_env(dbname: str | None = None) -> dict:
    """libpq's environment for the default database (the password never shows up in `ps`)."""
    db = _db()
    env = {**os.environ, "PGDATABASE": dbname or db["NAME"], "PGCONNECT_TIMEOUT": "10"}
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if db.get(key):
            env[var] = str(db[key])
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return env


def _pg_connect(dbname: str | None = None, *, autocommit: bool = False):
    import psycopg

    db = _db()
    params = {
        "dbname": dbname or db["NAME"],
        "host": db.get("HOST") or None,
        "port": db.get("PORT") or None,
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        "connect_timeout": 10,
    }
    return psycopg.connect(
        **{k: v for k, v in params.items() if v is not None}, autocommit=autocommit
    )


def _pg_counts(conn) -> dict[str, int]:
    tables = [
        row[0]
        for row in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
        )
    ]
    return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def _sqlite_counts(conn: sqlite3.Connection) -> dict[str, int]:
    tables = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def _run(command: list[str], *, env: dict, what: str) -> None:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise BackupError(
            f"{command[0]} is not installed: {what} on PostgreSQL needs the PostgreSQL client "
            "tools (Debian: apt-get install postgresql-client)."
        ) from exc
    if done.returncode != 0:
        message = done.stderr.strip() or done.stdout.strip()
        if "No space left on device" in message:
            raise OSError(errno.ENOSPC, message)
        raise BackupError(f"{what} failed: {message[-2000:]}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _tree_bytes(root: Path) -> int:
    if not root.is_dir():
        return 0
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def free_bytes(path: Path) -> int:
    """Free space on the file system holding `path` (or its nearest existing parent)."""
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return shutil.disk_usage(probe).free


def _database_bytes() -> int:
    if _vendor() == "postgresql":
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database())")
            return int(cursor.fetchone()[0] * PG_DUMP_SIZE_FACTOR)
    return Path(_db()["NAME"]).stat().st_size


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def _ensure_writable(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise BackupError(
            f"The backup directory {directory} is not writable ({exc.strerror or exc}). "
            "Set BACKUP_DIR to a directory this user can write to."
        ) from exc


# --- backup ------------------------------------------------------------------------------------


def _dump_postgresql(target: Path) -> dict[str, int]:
    """pg_dump -Fc from an exported snapshot, and the row counts of that same snapshot."""
    with _pg_connect() as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        counts = _pg_counts(conn)
        _run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={target}",
            ],
            env=_pg_env(),
            what="pg_dump",
        )
        conn.rollback()
    return counts


def _dump_sqlite(target: Path) -> dict[str, int]:
    """SQLite's online backup API: a consistent copy while the app keeps writing."""
    source = sqlite3.connect(_db()["NAME"], timeout=30)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # all pages in one step: one consistent read snapshot
        counts = _sqlite_counts(copy)
    except sqlite3.OperationalError as exc:
        if "full" in str(exc):
            raise OSError(errno.ENOSPC, str(exc)) from exc
        raise
    finally:
        copy.close()
        source.close()
    return counts


def _write_media(target: Path) -> None:
    media = Path(settings.MEDIA_ROOT)
    with tarfile.open(target, "w") as archive:  # photos and PDFs are compressed already
        if media.is_dir():
            archive.add(media, arcname="media")


def _new_name(directory: Path) -> str:
    base = "crm-" + timezone.localtime().strftime("%Y%m%d-%H%M%S")
    name, n = base, 1
    while (directory / name).exists() or (directory / (name + PARTIAL_SUFFIX)).exists():
        n += 1
        name = f"{base}-{n}"
    return name


def backup_create() -> Backup:
    """Write a complete, checksummed backup into BACKUP_DIR; raise BackupError with a clear reason
    (directory not writable, not enough space, pg_dump failed) and leave nothing half-written."""
    directory = backup_dir()
    _ensure_writable(directory)
    needed = _database_bytes() + _tree_bytes(Path(settings.MEDIA_ROOT))
    free = free_bytes(directory)
    if free < needed * 1.1 + settings.BACKUP_MIN_FREE_MB * 1024 * 1024:
        raise BackupError(
            f"Not enough free disk space for a backup in {directory}: about {_mb(needed)} needed, "
            f"{_mb(free)} free (keeping {settings.BACKUP_MIN_FREE_MB} MB spare). Free some space or "
            "point BACKUP_DIR at a larger disk."
        )
    name = _new_name(directory)
    partial = directory / (name + PARTIAL_SUFFIX)
    started = time.monotonic()
    try:
        partial.mkdir()
        vendor = _vendor()
        if vendor == "postgresql":
            db_file, counts = PG_FILE, _dump_postgresql(partial / PG_FILE)
        elif vendor == "sqlite":
            db_file, counts = SQLITE_FILE, _dump_sqlite(partial / SQLITE_FILE)
        else:
            raise BackupError(f"Backups of a {vendor} database are not supported.")
        _write_media(partial / MEDIA_FILE)
        files = {
            fname: {"size": (partial / fname).stat().st_size, "sha256": _sha256(partial / fname)}
            for fname in (db_file, MEDIA_FILE)
        }
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "vendor": vendor,
            "database": str(_db()["NAME"]),
            "files": files,
            "counts": counts,
            "seconds": round(time.monotonic() - started, 2),
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
        partial.rename(directory / name)
    except OSError as exc:
        shutil.rmtree(partial, ignore_errors=True)
        if exc.errno == errno.ENOSPC:
            raise BackupError(
                f"The disk holding {directory} is full: the backup was not written "
                f"({_mb(free_bytes(directory))} free). Free some space or point BACKUP_DIR at a "
                "larger disk."
            ) from exc
        raise BackupError(f"Could not write the backup into {directory}: {exc}") from exc
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return Backup(path=directory / name, manifest=manifest)


# --- reading and checking backups --------------------------------------------------------------


def backup_open(path: Path | str) -> Backup:
    """A backup directory with its manifest, every file checked against its SHA-256."""
    path = Path(path)
    if path.is_file() and path.name.endswith(".tar.gz"):
        raise BackupError(
            f"{path} is a backup of the old JSON format; restore it with an older release."
        )
    manifest_path = path / MANIFEST
    if not manifest_path.is_file():
        raise BackupError(f"{path} is not a backup: it holds no {MANIFEST}.")
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"The manifest of {path} is not readable: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path} has backup format {manifest.get('format')}, expected {FORMAT}.")
    broken = []
    for fname, expected in manifest.get("files", {}).items():
        file = path / fname
        if not file.is_file():
            broken.append(f"{fname} is missing")
        elif file.stat().st_size != expected["size"] or _sha256(file) != expected["sha256"]:
            broken.append(f"{fname} does not match its checksum")
    if broken:
        raise BackupError(f"The backup {path.name} is damaged: {'; '.join(broken)}.")
    return Backup(path=path, manifest=manifest)


def backups_list() -> list[Backup]:
    """Complete backups in BACKUP_DIR, oldest first (checksums not verified: see backup_open)."""
    directory = backup_dir()
    if not directory.is_dir():
        return []
    found = []
    for path in sorted(directory.iterdir()):
        if NAME_RE.match(path.name) and (path / MANIFEST).is_file():
            try:
                found.append(Backup(path=path, manifest=json.loads((path / MANIFEST).read_text())))
            except (OSError, ValueError):
                logger.warning("backup %s has an unreadable manifest", path)
    return sorted(found, key=lambda b: b.created_at)


def backups_prune(*, now: datetime | None = None) -> list[str]:
    """Delete backups past retention; return their names.

    Kept: everything from the last BACKUP_RETENTION_DAYS days; the newest backup of each ISO week
    for BACKUP_WEEKLY_RETENTION_WEEKS weeks; always the newest backup. Leftover `.partial`
    directories older than a day (a crashed run) go too.
    """
    now = now or timezone.now()
    daily_cutoff = now - timedelta(days=settings.BACKUP_RETENTION_DAYS)
    weekly_cutoff = now - timedelta(weeks=settings.BACKUP_WEEKLY_RETENTION_WEEKS)
    backups = backups_list()
    newest_of_week: dict[tuple[int, int], Backup] = {}
    for backup in backups:
        newest_of_week[timezone.localtime(backup.created_at).isocalendar()[:2]] = backup
    weeklies = {b.name for b in newest_of_week.values()}
    deleted = []
    for backup in backups[:-1]:
        keep = backup.created_at >= daily_cutoff or (
            backup.name in weeklies and backup.created_at >= weekly_cutoff
        )
        if not keep:
            shutil.rmtree(backup.path)
            deleted.append(backup.name)
    for leftover in backup_dir().glob(f"crm-*{PARTIAL_SUFFIX}"):
        if leftover.stat().st_mtime < (now - timedelta(days=1)).timestamp():
            shutil.rmtree(leftover, ignore_errors=True)
    return deleted


# --- restore -----------------------------------------------------------------------------------


def _check_vendor(backup: Backup) -> str:
    vendor = _vendor()
    if backup.manifest["vendor"] != vendor:
        raise BackupError(
            f"The backup {backup.name} is of a {backup.manifest['vendor']} database; this site "
            f"runs on {vendor}. Restore it into a {backup.manifest['vendor']} database."
        )
    return vendor


def _pg_restore(backup: Backup, dbname: str, *, clean: bool) -> None:
    command = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error"]
    if clean:
        command += ["--clean", "--if-exists", "--single-transaction"]
    _run(
        [*command, f"--dbname={dbname}", str(backup.path / PG_FILE)],
        env=_pg_env(dbname),
        what="pg_restore",
    )


def _sqlite_copy(source: Path, target: Path | str) -> None:
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def media_restore(backup: Backup, media_root: Path) -> int:
    """Unpack the backup's media into media_root (files already there are overwritten)."""
    count = 0
    with tarfile.open(backup.path / MEDIA_FILE) as archive:
        for member in archive.getmembers():
            if not member.name.startswith("media/") or not member.isfile():
                continue
            member.name = member.name.removeprefix("media/")
            archive.extract(member, media_root, filter="data")
            count += 1
    return count


def backup_restore(*, path: Path | str) -> Backup:
    """Replace this site's database and media with the backup's (checksums verified first)."""
    backup = backup_open(path)
    vendor = _check_vendor(backup)
    connections.close_all()
    if vendor == "postgresql":
        _pg_restore(backup, _db()["NAME"], clean=True)
    else:
        _sqlite_copy(backup.path / SQLITE_FILE, _db()["NAME"])
    connections.close_all()  # the next query sees the restored schema
    media_restore(backup, Path(settings.MEDIA_ROOT))
    return backup


# --- the restore drill -------------------------------------------------------------------------


@dataclass
class DrillResult:
    backup: Backup
    counts: dict[str, int]
    seconds: float

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


def _drill_postgresql(backup: Backup) -> dict[str, int]:
    scratch = settings.BACKUP_DRILL_DATABASE or f"{_db()['NAME']}_restore_drill"
    if not re.fullmatch(r"[A-Za-z0-9_]+", scratch):
        raise BackupError(f"BACKUP_DRILL_DATABASE must be a plain name, not {scratch!r}.")
    if scratch == _db()["NAME"]:
        raise BackupError("BACKUP_DRILL_DATABASE must not be the site's own database.")
    with _pg_connect(autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{scratch}"')
    try:
        _pg_restore(backup, scratch, clean=False)
        with _pg_connect(scratch) as conn:
            counts = _pg_counts(conn)
            conn.rollback()
    finally:
        with _pg_connect(autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
    return counts


def _drill_sqlite(backup: Backup) -> dict[str, int]:
    scratch_dir = backup_dir() / ".drill"
    scratch_dir.mkdir(parents=True, exist_ok=True)
    scratch = scratch_dir / "scratch.sqlite3"
    scratch.unlink(missing_ok=True)
    try:
        _sqlite_copy(backup.path / SQLITE_FILE, scratch)
        conn = sqlite3.connect(scratch)
        try:
            verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
            if verdict != "ok":
                raise BackupError(f"The restored database fails its integrity check: {verdict}")
            return _sqlite_counts(conn)
        finally:
            conn.close()
    finally:
        shutil.rmtree(scratch_dir, ignore_errors=True)


def _media_check(backup: Backup) -> None:
    try:
        with tarfile.open(backup.path / MEDIA_FILE) as archive:
            for member in archive:
                if member.isfile():
                    archive.extractfile(member).read()  # reads through every file's bytes
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"The media archive of {backup.name} does not read back: {exc}") from exc


def restore_drill(*, path: Path | str | None = None) -> DrillResult:
    """Restore a backup (default: the latest) into a scratch database and compare every table's
    row count with the counts the source had when it was dumped. Raises BackupError on any
    difference, naming the tables."""
    started = time.monotonic()
    if path is None:
        backups = backups_list()
        if not backups:
            raise BackupError(f"There is no backup in {backup_dir()} to restore.")
        path = backups[-1].path
    backup = backup_open(path)
    vendor = _check_vendor(backup)
    counts = _drill_postgresql(backup) if vendor == "postgresql" else _drill_sqlite(backup)
    expected = backup.manifest["counts"]
    differences = [
        f"{table}: {expected.get(table, 'missing')} in the source, {counts.get(table, 'missing')} "
        "restored"
        for table in sorted(set(expected) | set(counts))
        if expected.get(table) != counts.get(table)
    ]
    if differences:
        raise BackupError(
            f"The restore of {backup.name} differs from its source: " + "; ".join(differences[:10])
        )
    _media_check(backup)
    return DrillResult(backup=backup, counts=counts, seconds=round(time.monotonic() - started, 2))
