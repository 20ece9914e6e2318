"""The checks behind `/healthz`. Each returns a short "ok …" text or raises `Unhealthy` naming what
is wrong; the view runs them all and answers 200 or 503.

Things that happen on a schedule (backup, drill, beat) count as failing once they are overdue — but a
fresh install is given one period to do them the first time (its age is the first migration's).
"""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from .models import BackupRun, Heartbeat
from .services import BEAT


class Unhealthy(Exception):
    pass


def _ago(moment: datetime) -> str:
    seconds = int((timezone.now() - moment).total_seconds())
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min ago"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} d ago"


def _installed_at() -> datetime | None:
    first = MigrationRecorder.Migration.objects.order_by("applied").values_list("applied").first()
    return first[0] if first else None


def _overdue_or_new(what: str, window: timedelta) -> str:
    """No run yet: fine on an install younger than one period, a failure after that."""
    installed = _installed_at()
    if installed and timezone.now() - installed < window:
        return f"ok (none yet; installed {_ago(installed)})"
    raise Unhealthy(f"no {what} yet")


def check_telegram() -> str:
    """getMe against the Bot API, cached so a busy health endpoint does not hammer Telegram."""
    if not settings.TELEGRAM_BOT_TOKEN:
        return "ok (bot not configured)"
    key = f"healthz:telegram:{settings.TELEGRAM_API_BASE_URL}"
    cached = cache.get(key)
    if cached is None:
        from botapp import client  # the only module that talks to the Bot API

        try:
            me = client.get_me(wait=settings.HEALTH_TELEGRAM_TIMEOUT)
            cached = ("ok", f"ok (@{me.get('username', '?')})")
            cache.set(key, cached, settings.HEALTH_TELEGRAM_CACHE_SECONDS)
        except Exception as exc:  # noqa: BLE001 - any failure is "unreachable", and named
            cached = ("error", f"{type(exc).__name__}: {str(exc)[:200]}")
            # A failure is re-checked sooner, so recovery shows up quickly.
            cache.set(key, cached, max(5, settings.HEALTH_TELEGRAM_CACHE_SECONDS // 4))
    state, text = cached
    if state != "ok":
        raise Unhealthy(text)
    return text


def _disk_paths() -> dict[str, Path]:
    paths = {"data": Path(settings.VAR_DIR), "media": Path(settings.MEDIA_ROOT)}
    paths["backups"] = Path(settings.BACKUP_DIR)
    if connection.vendor == "sqlite":
        paths["database"] = Path(connection.settings_dict["NAME"]).parent
    return paths


def check_disk() -> str:
    """Free space where we write (data, media, backups) above HEALTH_DISK_MIN_FREE_MB."""
    threshold = settings.HEALTH_DISK_MIN_FREE_MB * 1024 * 1024
    lowest, seen = None, {}
    for label, path in _disk_paths().items():
        probe = path
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        device = probe.stat().st_dev
        if device in seen:
            continue
        free = shutil.disk_usage(probe).free
        seen[device] = (label, free)
        if lowest is None or free < lowest[1]:
            lowest = (label, free)
    label, free = lowest
    text = f"{free // (1024 * 1024)} MB free ({label})"
    if free < threshold:
        raise Unhealthy(f"{text}, below {settings.HEALTH_DISK_MIN_FREE_MB} MB")
    return f"ok ({text})"


def _last(kind: str) -> tuple[BackupRun | None, BackupRun | None]:
    finished = BackupRun.objects.filter(kind=kind).exclude(status=BackupRun.Status.RUNNING)
    return (
        finished.filter(status=BackupRun.Status.OK).order_by("-finished_at").first(),
        finished.order_by("-finished_at").first(),
    )


def _check_runs(kind: str, what: str, max_age: timedelta) -> str:
    good, latest = _last(kind)
    if latest is not None and latest.status == BackupRun.Status.FAILED:
        raise Unhealthy(f"last {what} failed {_ago(latest.finished_at)}: {latest.detail[:300]}")
    if good is None:
        return _overdue_or_new(what, max_age)
    if timezone.now() - good.finished_at > max_age:
        raise Unhealthy(f"last {what} {_ago(good.finished_at)} ({good.name}), overdue")
    return f"ok ({good.name}, {_ago(good.finished_at)})"


def check_backup() -> str:
    return _check_runs(
        BackupRun.Kind.BACKUP, "backup", timedelta(hours=settings.HEALTH_BACKUP_MAX_AGE_HOURS)
    )


def check_restore_drill() -> str:
    return _check_runs(
        BackupRun.Kind.DRILL,
        "restore drill",
        timedelta(days=settings.HEALTH_DRILL_MAX_AGE_DAYS),
    )


def check_beat() -> str:
    """The scheduler's heartbeat job ran recently (beat, the broker and a worker all work)."""
    max_age = timedelta(seconds=settings.HEALTH_BEAT_MAX_AGE_SECONDS)
    beat = Heartbeat.objects.filter(name=BEAT).first()
    if beat is None:
        return _overdue_or_new("scheduler heartbeat", max_age)
    if timezone.now() - beat.at > max_age:
        raise Unhealthy(f"last heartbeat {_ago(beat.at)}: is celery beat running?")
    return f"ok ({_ago(beat.at)})"


def check_outbox() -> str:
    """The oldest bot message still waiting to be sent is young enough."""
    OutboundMessage = apps.get_model("botapp", "OutboundMessage")
    oldest = (
        OutboundMessage.objects.filter(status__in=["pending", "sending"])
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if oldest is None:
        return "ok (empty)"
    age = timezone.now() - oldest
    if age > timedelta(seconds=settings.HEALTH_OUTBOX_MAX_AGE_SECONDS):
        raise Unhealthy(f"oldest unsent message queued {_ago(oldest)}")
    return f"ok (oldest {_ago(oldest)})"


def check_tasks() -> str:
    """Work handed to the broker is being done: no follow-up waits for the broker, and no stored
    Telegram update or YooKassa notification waits untouched for a worker, beyond
    HEALTH_TASKS_MAX_AGE_SECONDS. A dead broker or a wedged worker shows here within minutes,
    whatever beat does."""
    from followups.services import followups_backlog_age

    limit = timedelta(seconds=settings.HEALTH_TASKS_MAX_AGE_SECONDS)
    age = followups_backlog_age()
    if age is not None and age > limit.total_seconds():
        raise Unhealthy(f"follow-ups wait for the broker for {int(age)} s")
    stale = timezone.now() - limit
    waiting = {
        "Telegram update": ("botapp", "TelegramUpdate", {}),
        "YooKassa notification": ("payments", "ProviderNotification", {"attempts": 0}),
    }
    for what, (app, model, extra) in waiting.items():
        oldest = (
            apps.get_model(app, model)
            .objects.filter(processed_at__isnull=True, received_at__lt=stale, **extra)
            .order_by("received_at")
            .values_list("received_at", flat=True)
            .first()
        )
        if oldest is not None:
            raise Unhealthy(f"a {what} stored {_ago(oldest)} is not handled: is a worker running?")
    return "ok" if age is None else f"ok (a follow-up waits {int(age)} s)"


CHECKS = {
    "telegram": check_telegram,
    "disk": check_disk,
    "backup": check_backup,
    "restore_drill": check_restore_drill,
    "beat": check_beat,
    "outbox": check_outbox,
    "tasks": check_tasks,
}
