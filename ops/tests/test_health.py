"""/healthz: every part healthy gives 200; each part failing in turn gives 503 naming it."""

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from ops.models import BackupRun, Heartbeat
from ops.services import heartbeat_stamp

pytestmark = pytest.mark.django_db

PARTS = {
    "database",
    "broker",
    "telegram",
    "disk",
    "backup",
    "restore_drill",
    "beat",
    "outbox",
    "tasks",
}


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def installed_long_ago():
    """An install older than every schedule: a missing backup or heartbeat is now overdue."""
    MigrationRecorder.Migration.objects.update(applied=timezone.now() - timedelta(days=60))


@pytest.fixture
def all_well(installed_long_ago):
    now = timezone.now()
    for kind in ("backup", "drill"):
        BackupRun.objects.create(
            kind=kind, status="ok", name="crm-20261130-020000", started_at=now, finished_at=now
        )
    heartbeat_stamp()


def _failing(response) -> set[str]:
    body = response.json()
    return {name for name, value in body.items() if name != "status" and value.startswith("error")}


def test_fresh_install_is_healthy_and_says_what_it_checked(client):
    MigrationRecorder.Migration.objects.update(applied=timezone.now() - timedelta(seconds=30))
    response = client.get("/healthz")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body) == PARTS | {"status"} and body["status"] == "ok"
    assert body["backup"].startswith("ok (none yet; installed")
    assert body["telegram"] == "ok (bot not configured)"
    assert "no-cache" in response["Cache-Control"]


def test_everything_working_is_200(client, all_well, fake_telegram):
    response = client.get("/healthz")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["telegram"].startswith("ok (@")
    assert body["backup"].startswith("ok (crm-20261130-020000")
    assert body["beat"].startswith("ok (")
    assert "MB free" in body["disk"]


def test_telegram_unreachable_is_named_and_cached(client, all_well, fake_telegram, settings):
    fake_telegram.stop()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert _failing(response) == {"telegram"}
    assert "NetworkError" in response.json()["telegram"]


def test_telegram_getme_is_cached(client, all_well, fake_telegram):
    def getmes() -> int:
        return len([c for c in fake_telegram.calls if c.method == "getMe"])

    client.get("/healthz")
    first = getmes()
    for _ in range(3):
        client.get("/healthz")
    assert first >= 1 and getmes() == first


def test_telegram_refusing_the_token_is_named(client, all_well, fake_telegram):
    fake_telegram.fail_next("getMe", 401, "Unauthorized")
    response = client.get("/healthz")
    assert response.status_code == 503 and _failing(response) == {"telegram"}


def test_low_disk_is_named(client, all_well, settings):
    settings.HEALTH_DISK_MIN_FREE_MB = 10**9  # more than any disk has
    response = client.get("/healthz")
    assert response.status_code == 503 and _failing(response) == {"disk"}
    assert "below" in response.json()["disk"]


def test_no_backup_on_an_old_install_is_named(client, installed_long_ago):
    heartbeat_stamp()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert _failing(response) == {"backup", "restore_drill"}
    assert response.json()["backup"] == "error: no backup yet"


def test_an_old_backup_is_overdue(client, all_well):
    BackupRun.objects.filter(kind="backup").update(finished_at=timezone.now() - timedelta(days=2))
    response = client.get("/healthz")
    assert response.status_code == 503 and _failing(response) == {"backup"}
    assert "overdue" in response.json()["backup"]


def test_a_failed_backup_is_named_with_its_reason(client, all_well):
    BackupRun.objects.create(
        kind="backup",
        status="failed",
        finished_at=timezone.now() + timedelta(seconds=1),
        detail="The backup directory /backups is not writable (Permission denied).",
    )
    response = client.get("/healthz")
    assert response.status_code == 503 and _failing(response) == {"backup"}
    assert "not writable" in response.json()["backup"]


def test_a_failed_restore_drill_is_named(client, all_well):
    BackupRun.objects.create(
        kind="drill",
        status="failed",
        finished_at=timezone.now() + timedelta(seconds=1),
        detail="crm_client: 5 in the source, 2 restored",
    )
    response = client.get("/healthz")
    assert response.status_code == 503 and _failing(response) == {"restore_drill"}


def test_a_silent_scheduler_is_named(client, all_well):
    Heartbeat.objects.update(at=timezone.now() - timedelta(minutes=30))
    response = client.get("/healthz")
    assert response.status_code == 503 and _failing(response) == {"beat"}
    assert "is celery beat running" in response.json()["beat"]


def test_the_heartbeat_job_is_on_beat_every_minute(client, all_well, settings):
    from django.core.management import call_command

    assert settings.CELERY_BEAT_SCHEDULE["ops-heartbeat"]["schedule"] == 60
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        assert _failing(client.get("/healthz")) >= {"beat"}
        call_command("run_scheduled", "--job", "ops-heartbeat")
        assert "beat" not in _failing(client.get("/healthz"))


def test_an_outbox_backlog_is_named(client, all_well):
    from botapp.models import OutboundMessage

    OutboundMessage.objects.create(chat_id=1, text="hi")
    assert client.get("/healthz").status_code == 200
    OutboundMessage.objects.update(created_at=timezone.now() - timedelta(hours=1))
    response = client.get("/healthz")
    assert response.status_code == 503 and _failing(response) == {"outbox"}


def test_a_wedged_worker_or_a_dead_broker_is_named(client, all_well):
    from botapp.models import TelegramUpdate
    from followups.models import FollowUp
    from payments.models import ProviderNotification

    long_ago = timezone.now() - timedelta(minutes=10)
    update = TelegramUpdate.objects.create(update_id=1, payload={})
    notification = ProviderNotification.objects.create(
        event="payment.succeeded", object_id="x", body={}
    )
    followup = FollowUp.objects.create(task="ops.heartbeat", args=[], kwargs={})
    assert client.get("/healthz").status_code == 200  # all fresh: a worker is on it

    for row in (update, notification):  # stored long ago, never touched by a worker
        type(row).objects.filter(pk=row.pk).update(received_at=long_ago)
        response = client.get("/healthz")
        assert response.status_code == 503 and _failing(response) == {"tasks"}
        assert "is a worker running?" in response.json()["tasks"]
        type(row).objects.filter(pk=row.pk).update(processed_at=timezone.now())
    # Tried and waiting for YooKassa's API is not the worker's fault.
    ProviderNotification.objects.filter(pk=notification.pk).update(processed_at=None, attempts=1)
    assert client.get("/healthz").status_code == 200

    FollowUp.objects.filter(pk=followup.pk).update(created_at=long_ago)  # the broker is down
    response = client.get("/healthz")
    assert _failing(response) == {"tasks"} and "follow-ups wait" in response.json()["tasks"]


def test_healthz_names_a_broker_that_does_not_answer(client, all_well, monkeypatch):
    from config.celery import app

    # A port nothing listens on: the real kombu connection fails as it would in production.
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:1/0")
    response = client.get("/healthz")
    assert response.status_code == 503 and _failing(response) == {"broker"}


def test_healthz_names_a_database_that_does_not_answer(client, monkeypatch):
    from django.db import connection

    def broken_cursor(*args, **kwargs):
        from django.db import OperationalError

        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "error: OperationalError"


def test_anonymous_worker_checks_share_one_cached_round_trip(client, monkeypatch):
    from config import views

    calls = []
    monkeypatch.setattr(views, "_check_worker", lambda: calls.append(1) or "ok")
    for _ in range(5):
        assert client.get("/healthz?worker=1").json()["worker"] == "ok"
    assert len(calls) == 1


def test_a_worker_check_already_running_is_not_joined(client, monkeypatch):
    from config import views

    monkeypatch.setattr(views, "_check_worker", lambda: pytest.fail("must not run"))
    cache.add(f"{views.WORKER_CACHE_KEY}:lock", 1, 30)
    body = client.get("/healthz?worker=1").json()
    assert body["worker"].startswith("ok (being checked")


def test_monitor_with_the_token_and_staff_get_a_live_worker_check(
    client, monkeypatch, settings, admin_user
):
    from config import views

    calls = []
    monkeypatch.setattr(views, "_check_worker", lambda: calls.append(1) or "ok")
    settings.HEALTHZ_TOKEN = "s3cret-monitor"
    client.get("/healthz?worker=1")  # anonymous: runs once and is shared
    for _ in range(2):
        client.get("/healthz?worker=1", headers={"X-Healthz-Token": "s3cret-monitor"})
    client.get("/healthz?worker=1", headers={"X-Healthz-Token": "wrong"})
    assert len(calls) == 3  # the wrong token got the shared answer
    client.force_login(admin_user)
    client.get("/healthz?worker=1")
    assert len(calls) == 4


def test_healthz_is_get_only(client):
    assert client.post("/healthz").status_code == 405
