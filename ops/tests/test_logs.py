"""Structured logs with a request id through web → task → bot update; alerts grouped and limited."""

import json
import logging
import time
from pathlib import Path

import pytest

from botapp.tests import factories as f
from botapp.tests.conftest import ADMIN_CHAT, SECRET
from ops import logs

ROOT = Path(__file__).resolve().parents[2]


def _record(msg="boom %s", args=("x",), name="crm.services", exc=None) -> logging.LogRecord:
    exc_info = None
    if exc is not None:
        try:
            raise exc
        except Exception as raised:  # noqa: BLE001
            exc_info = (type(raised), raised, raised.__traceback__)
    return logging.LogRecord(name, logging.ERROR, __file__, 1, msg, args, exc_info)


def test_json_lines_carry_the_request_id_extras_and_the_exception():
    token = logs.request_id_var.set("rid-1")
    try:
        record = _record(exc=ValueError("bad"))
        record.client_id = 7
        line = json.loads(logs.JsonFormatter().format(record))
    finally:
        logs.request_id_var.reset(token)
    assert line["level"] == "ERROR" and line["logger"] == "crm.services"
    assert line["message"] == "boom x" and line["request_id"] == "rid-1"
    assert line["client_id"] == 7 and "ValueError: bad" in line["exception"]
    assert line["time"].endswith("+00:00")


@pytest.mark.django_db
def test_every_response_has_a_request_id_and_keeps_a_sane_given_one(client):
    made = client.get("/healthz")["X-Request-ID"]
    assert len(made) == 16
    assert client.get("/healthz", headers={"X-Request-ID": "lb-42.a"})["X-Request-ID"] == "lb-42.a"
    forged = client.get("/healthz", headers={"X-Request-ID": "x\n" + "y" * 100})["X-Request-ID"]
    assert forged != "x\n" + "y" * 100 and len(forged) == 16


def test_a_task_published_during_a_request_carries_its_id():
    headers: dict = {}
    token = logs.request_id_var.set("rid-web")
    try:
        logs._before_publish(headers=headers)
    finally:
        logs.request_id_var.reset(token)
    assert headers["request_id"] == "rid-web"
    beat_headers: dict = {}
    logs._before_publish(headers=beat_headers)  # beat: no request → a fresh id
    assert len(beat_headers["request_id"]) == 16


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_request_id_goes_from_the_webhook_into_the_worker_handling_the_update(
    live_worker, client, settings
):
    from config.celery import app

    settings.TELEGRAM_WEBHOOK_SECRET = SECRET
    log = ROOT / "var" / f"{app.conf.task_default_queue}.log"
    rid = f"it-{time.monotonic_ns()}"
    response = client.post(
        "/bot/webhook/",
        data=f.message(991234, "/start"),
        content_type="application/json",
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET, "X-Request-ID": rid},
    )
    assert response.status_code == 200 and response["X-Request-ID"] == rid

    def worker_lines() -> list[dict]:
        lines = []
        for raw in log.read_text().splitlines():
            try:
                lines.append(json.loads(raw))
            except ValueError:
                continue  # Celery's banner
        return lines

    deadline = time.monotonic() + 60
    while not any(line.get("update_id") for line in worker_lines()):
        assert time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.3)
    [handled] = [line for line in worker_lines() if line.get("update_id")]
    assert handled["request_id"] == rid and handled["message"].startswith("bot update")


@pytest.mark.django_db
def test_alerts_reach_the_staff_chat_grouped_and_rate_limited(
    fake_telegram, settings, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    cache.clear()
    settings.ALERT_WINDOW_SECONDS = 600
    handler = logs.StaffChatAlertHandler()
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            handler.handle(_record(exc=RuntimeError("db down")))
        handler.handle(_record(msg="other failure %s", exc=KeyError("k")))

    def alerts():
        return [c.params["text"] for c in fake_telegram.sent("sendMessage", chat_id=ADMIN_CHAT)]

    assert len(alerts()) == 2  # one per group, not five
    assert "RuntimeError: db down" in alerts()[0] and "KeyError" in alerts()[1]
    # The window passes: the next one goes out and says how many were held back.
    cache.delete(f"alert:gate:{logs.alert_fingerprint(_record(exc=RuntimeError('x')))}")
    with django_capture_on_commit_callbacks(execute=True):
        handler.handle(_record(exc=RuntimeError("db down")))
    assert len(alerts()) == 3 and "+4 more like this" in alerts()[2]


@pytest.mark.django_db
def test_an_alert_that_cannot_be_sent_never_breaks_the_caller(settings, monkeypatch):
    settings.TELEGRAM_ADMIN_CHAT_ID = "-100"
    from config.celery import app

    monkeypatch.setattr(app.tasks["botapp.staff_notify"], "apply_async", lambda **k: 1 / 0)
    logs.StaffChatAlertHandler().handle(_record(name="x.unique", exc=OSError("disk")))


@pytest.mark.django_db
def test_a_failed_job_reaches_the_staff_chat(
    fake_telegram, settings, django_capture_on_commit_callbacks
):
    """A Celery task that raises becomes one alert (task_failure), whatever the worker logs."""
    from django.core.cache import cache

    from config.celery import app

    cache.clear()

    @app.task(name="ops.tests.explode")
    def explode():
        raise RuntimeError("nightly job exploded")

    with django_capture_on_commit_callbacks(execute=True):
        explode.apply(throw=False)  # as run_scheduled runs jobs
    texts = [c.params["text"] for c in fake_telegram.sent("sendMessage", chat_id=ADMIN_CHAT)]
    assert any("nightly job exploded" in t for t in texts), texts
