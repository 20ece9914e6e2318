"""Backups on the database the run uses (SQLite, or PostgreSQL with DATABASE_URL): pg_dump / SQLite
backup API, checksums, restore, the drill, retention and the faults a person must understand."""

import errno
import json
import os
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from crm.models import Client, User
from crm.tests.factories import ClientFactory, TrainerFactory
from ops import backups
from ops.models import BackupRun
from ops.services import restore_drill_run
from pipeline.models import StageMove
from pipeline.services import stage_apply_event, stages_ensure_defaults

# Real transactions: pg_dump and SQLite's backup read what is committed, as in production.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _dirs(settings, tmp_path):
    settings.BACKUP_DIR = tmp_path / "backups"
    settings.MEDIA_ROOT = tmp_path / "media"
    (settings.MEDIA_ROOT / "programs").mkdir(parents=True)
    (settings.MEDIA_ROOT / "programs" / "p1.pdf").write_bytes(b"%PDF-1.7 demo")
    stages_ensure_defaults()


def _vendor_file() -> str:
    return backups.PG_FILE if connection.vendor == "postgresql" else backups.SQLITE_FILE


def test_backup_then_restore_brings_everything_back(settings):
    trainer = TrainerFactory()
    client = ClientFactory(trainer=trainer, stage=None, first_name="Анна")
    stage_apply_event(client=client, event="lead_created")

    call_command("backup", stdout=StringIO())
    [backup] = backups.backups_list()
    assert backup.manifest["vendor"] == connection.vendor
    assert set(backup.manifest["files"]) == {_vendor_file(), backups.MEDIA_FILE}
    assert backup.manifest["counts"]["crm_client"] == 1
    run = BackupRun.objects.get(kind="backup")
    assert run.status == "ok" and run.name == backup.name and run.size_bytes > 0

    Client.objects.all().delete()
    User.objects.all().delete()
    (settings.MEDIA_ROOT / "programs" / "p1.pdf").unlink()
    call_command("restore", "latest", stdout=StringIO())

    restored = Client.objects.get()
    assert restored.first_name == "Анна" and restored.trainer.username == trainer.username
    assert StageMove.objects.get(client=restored).event == "lead_created"
    assert (settings.MEDIA_ROOT / "programs" / "p1.pdf").read_bytes() == b"%PDF-1.7 demo"


def test_restore_refuses_to_mix_with_existing_data():
    ClientFactory()
    call_command("backup", stdout=StringIO())
    with pytest.raises(CommandError, match="already holds data"):
        call_command("restore", "latest", stdout=StringIO())


def test_restore_with_replace_swaps_the_data():
    ClientFactory(first_name="Старый")
    call_command("backup", stdout=StringIO())
    Client.objects.update(first_name="Изменённый")
    ClientFactory(first_name="Новый")

    call_command("restore", "latest", replace=True, stdout=StringIO())

    assert list(Client.objects.values_list("first_name", flat=True)) == ["Старый"]


def test_a_damaged_backup_is_refused_before_anything_changes():
    ClientFactory(first_name="Живой")
    call_command("backup", stdout=StringIO())
    [backup] = backups.backups_list()
    with (backup.path / _vendor_file()).open("r+b") as handle:
        handle.seek(200)
        handle.write(b"\x00garbage\x00")

    with pytest.raises(CommandError, match=r"damaged: .* does not match its checksum"):
        call_command("restore", str(backup.path), replace=True, stdout=StringIO())
    assert Client.objects.get().first_name == "Живой"
    with pytest.raises(backups.BackupError, match="damaged"):
        restore_drill_run()
    assert BackupRun.objects.get(kind="drill").status == "failed"


def test_restore_of_something_else_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="is not a backup"):
        call_command("restore", str(tmp_path), stdout=StringIO())
    old = tmp_path / "crm-old.tar.gz"
    old.write_bytes(b"x")
    with pytest.raises(CommandError, match="old JSON format"):
        call_command("restore", str(old), stdout=StringIO())


def test_a_backup_of_the_other_database_kind_is_refused():
    call_command("backup", stdout=StringIO())
    [backup] = backups.backups_list()
    manifest = json.loads((backup.path / "manifest.json").read_text())
    manifest["vendor"] = "sqlite" if connection.vendor == "postgresql" else "postgresql"
    (backup.path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CommandError, match="Restore it into a"):
        call_command("restore", "latest", replace=True, stdout=StringIO())


def test_restore_drill_restores_into_a_scratch_database_and_compares_counts(fake_staff_chat):
    ClientFactory.create_batch(3)
    call_command("backup", stdout=StringIO())
    ClientFactory()  # the source moves on; the drill compares with the snapshot the dump took

    out = StringIO()
    call_command("restore_drill", stdout=out)

    assert "Restore drill passed" in out.getvalue()
    drill = BackupRun.objects.get(kind="drill")
    assert drill.status == "ok" and drill.name == backups.backups_list()[-1].name
    assert Client.objects.count() == 4  # the site's own database is untouched
    assert not (Path(backups.backup_dir()) / ".drill").exists()
    assert any(text.startswith("✅") and drill.name in text for text in fake_staff_chat())


def test_restore_drill_names_the_tables_whose_counts_differ(fake_staff_chat):
    ClientFactory.create_batch(2)
    call_command("backup", stdout=StringIO())
    [backup] = backups.backups_list()
    manifest = json.loads((backup.path / "manifest.json").read_text())
    manifest["counts"]["crm_client"] = 5  # as if rows had been lost in the dump
    (backup.path / "manifest.json").write_text(json.dumps(manifest))

    with pytest.raises(CommandError, match="crm_client: 5 in the source, 2 restored"):
        call_command("restore_drill", stdout=StringIO())
    assert any(text.startswith("⚠️") and "crm_client" in text for text in fake_staff_chat())


def test_restore_drill_without_a_backup_says_so():
    with pytest.raises(CommandError, match="There is no backup"):
        call_command("restore_drill", stdout=StringIO())


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere: see the next test")
def test_a_read_only_backup_dir_is_a_clear_error(settings, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    settings.BACKUP_DIR = locked / "backups"
    with pytest.raises(CommandError, match="is not writable"):
        call_command("backup", stdout=StringIO())


def test_a_backup_dir_that_cannot_be_created_is_a_clear_error(settings, tmp_path):
    (tmp_path / "a-file").write_text("not a directory")
    settings.BACKUP_DIR = tmp_path / "a-file" / "backups"

    with pytest.raises(CommandError, match=r"is not writable .*Set BACKUP_DIR"):
        call_command("backup", stdout=StringIO())
    run = BackupRun.objects.get()
    assert run.status == "failed" and "not writable" in run.detail


def test_too_little_free_space_is_refused_before_writing(settings, monkeypatch):
    monkeypatch.setattr(backups, "free_bytes", lambda path: 10 * 1024 * 1024)
    settings.BACKUP_MIN_FREE_MB = 200
    with pytest.raises(CommandError, match="Not enough free disk space"):
        call_command("backup", stdout=StringIO())
    assert list(Path(settings.BACKUP_DIR).iterdir()) == []


def test_a_disk_that_fills_up_mid_backup_leaves_nothing_half_written(settings, monkeypatch):
    def full(target):
        target.write_bytes(b"partial media")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(backups, "_write_media", full)
    with pytest.raises(CommandError, match=r"disk holding .* is full"):
        call_command("backup", stdout=StringIO())
    assert list(Path(settings.BACKUP_DIR).iterdir()) == []
    assert BackupRun.objects.get().status == "failed"


def _fake_backup(directory: Path, when) -> Path:
    path = directory / ("crm-" + timezone.localtime(when).strftime("%Y%m%d-%H%M%S"))
    path.mkdir(parents=True)
    manifest = {"format": 1, "created_at": when.isoformat(), "vendor": "x", "files": {}}
    (path / "manifest.json").write_text(json.dumps(manifest))
    return path


def test_retention_keeps_30_days_and_the_newest_of_each_week_longer(settings):
    settings.BACKUP_RETENTION_DAYS = 30
    settings.BACKUP_WEEKLY_RETENTION_WEEKS = 12
    directory = Path(settings.BACKUP_DIR)
    now = timezone.now()
    daily = [_fake_backup(directory, now - timedelta(days=d, hours=1)) for d in range(0, 100)]

    deleted = backups.backups_prune(now=now)

    kept = {b.name for b in backups.backups_list()}
    assert {p.name for p in daily[:30]} <= kept  # everything of the last 30 days
    older = [b for b in backups.backups_list() if b.created_at < now - timedelta(days=30)]
    weeks = [timezone.localtime(b.created_at).isocalendar()[:2] for b in older]
    assert len(weeks) == len(set(weeks)) > 0  # one per week beyond 30 days…
    assert all(b.created_at > now - timedelta(weeks=12) for b in older)  # …for 12 weeks
    assert daily[99].name in deleted and len(deleted) + len(kept) == 100


def test_retention_never_deletes_the_only_backup(settings):
    old = _fake_backup(Path(settings.BACKUP_DIR), timezone.now() - timedelta(days=400))
    assert backups.backups_prune() == []
    assert old.exists()


def test_nightly_job_backs_up_at_two_and_the_weekly_drill_checks_it(settings, fake_staff_chat):
    from celery.schedules import crontab

    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["ops-backup-nightly"]["schedule"] == crontab(hour=2, minute=0)
    assert schedule["ops-restore-drill-weekly"]["schedule"] == crontab(
        hour=3, minute=30, day_of_week=0
    )
    ClientFactory()
    with time_machine.travel(timezone.now().replace(hour=2, minute=0), tick=True):
        call_command("run_scheduled", "--job", "ops-backup-nightly", stdout=StringIO())
    call_command("run_scheduled", "--job", "ops-restore-drill-weekly", stdout=StringIO())
    assert BackupRun.objects.filter(status="ok").count() == 2
