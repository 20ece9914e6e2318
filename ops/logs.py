"""Structured logs and alerts.

- `JsonFormatter`: one JSON object per line (time, level, logger, message, request id, extras,
  exception), for stdout and the rotating file under `var/log/`.
- A request id follows the work: `RequestIdMiddleware` takes the caller's `X-Request-ID` (or makes
  one) and answers with it; every Celery task published while handling it carries it in its headers
  and runs with it (so web → task → bot update share one id); a task started by beat gets a new one.
- `StaffChatAlertHandler`: errors (and failed Celery jobs, which Celery logs as errors) reach the
  staff chat, grouped by where they come from and rate-limited: the first of a kind goes at once, the
  repeats within ALERT_WINDOW_SECONDS are counted and reported with the next one after the window.

Written here rather than taken from python-json-logger: the formatter is twenty lines, and the
request-id plumbing (contextvar, Celery headers) is ours either way.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import logging
import re
import threading
import traceback
import uuid
from datetime import UTC, datetime

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
HEADER = "request_id"
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

# Attributes every LogRecord has; anything else was passed in `extra=` and is logged as a field.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}


def new_request_id() -> str:
    return uuid.uuid4().hex[:16]


def request_id_get() -> str:
    return request_id_var.get()


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", "") or request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = (
                    value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
                )
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class RequestIdMiddleware:
    """Gives each request an id (the caller's X-Request-ID if sane) and returns it as a header."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        request_id = given if _VALID_ID.match(given) else new_request_id()
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


# --- Celery: carry the id from the publisher into the task ----------------------------------------


def _before_publish(headers=None, **kwargs) -> None:
    if headers is not None and HEADER not in headers:
        headers[HEADER] = request_id_var.get() or new_request_id()


def _prerun(task=None, **kwargs) -> None:
    request_id = getattr(task.request, HEADER, None) or (task.request.headers or {}).get(HEADER)
    task.request._ops_token = request_id_var.set(request_id or new_request_id())


def _postrun(task=None, **kwargs) -> None:
    token = getattr(task.request, "_ops_token", None)
    if token is not None:
        try:
            request_id_var.reset(token)
        except ValueError:  # set in another context (eager task in a thread)
            request_id_var.set("")


def _failure(sender=None, task_id=None, exception=None, einfo=None, **kwargs) -> None:
    logging.getLogger("ops.jobs").error(
        "job %s failed: %s",
        getattr(sender, "name", sender),
        exception,
        exc_info=(type(exception), exception, exception.__traceback__) if exception else None,
        extra={"task_id": task_id},
    )


def connect_celery_signals() -> None:
    from celery import signals

    signals.task_failure.connect(_failure, weak=False, dispatch_uid="ops-job-failure")
    signals.before_task_publish.connect(_before_publish, weak=False, dispatch_uid="ops-rid-pub")
    signals.task_prerun.connect(_prerun, weak=False, dispatch_uid="ops-rid-pre")
    signals.task_postrun.connect(_postrun, weak=False, dispatch_uid="ops-rid-post")


# --- alerts to the staff chat -----------------------------------------------------------------------

_sending = threading.local()


def alert_fingerprint(record: logging.LogRecord) -> str:
    """Same logger, same message template, same exception type → one group."""
    parts = [record.name, str(record.msg)[:200]]
    if record.exc_info and record.exc_info[0] is not None:
        parts.append(record.exc_info[0].__name__)
        frames = traceback.extract_tb(record.exc_info[2])
        if frames:
            parts.append(f"{frames[-1].filename}:{frames[-1].lineno}")
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:16]


def _alert_text(record: logging.LogRecord, repeats: int) -> str:
    lines = [f"🚨 {record.levelname} {record.name}: {record.getMessage()[:500]}"]
    if record.exc_info and record.exc_info[1] is not None:
        exc = record.exc_info[1]
        lines.append(f"{type(exc).__name__}: {str(exc)[:500]}")
    request_id = getattr(record, "request_id", "") or request_id_var.get()
    if request_id:
        lines.append(f"request_id={request_id}")
    if repeats:
        lines.append(f"(+{repeats} more like this since the last alert)")
    return "\n".join(lines)


def alert_admit(fingerprint: str, window: int) -> int | None:
    """None when an alert of this group went out within the window (the repeat is counted);
    otherwise the number of repeats suppressed since the previous alert, and the window restarts."""
    from django.core.cache import cache

    count_key = f"alert:count:{fingerprint}"
    if not cache.add(f"alert:gate:{fingerprint}", 1, window):
        try:
            cache.incr(count_key)
        except ValueError:
            cache.set(count_key, 1, window * 10)
        return None
    repeats = cache.get(count_key) or 0
    cache.delete(count_key)
    return repeats


class StaffChatAlertHandler(logging.Handler):
    """Sends ERROR records to the staff chat through the bot's outbox (the `botapp.staff_notify`
    task), grouped and rate-limited. Never raises and never recurses into itself."""

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(_sending, "active", False):
            return  # an error while alerting is not alerted again
        if record.name == "celery.app.trace":
            return  # failed jobs are reported once, by the task_failure signal (ops.jobs)
        _sending.active = True
        try:
            from django.conf import settings

            if not settings.TELEGRAM_ADMIN_CHAT_ID:
                return
            repeats = alert_admit(alert_fingerprint(record), settings.ALERT_WINDOW_SECONDS)
            if repeats is None:
                return
            from config.celery import app

            task = app.tasks.get("botapp.staff_notify")
            if task is None:
                from config.celery import import_task_modules

                import_task_modules()
                task = app.tasks.get("botapp.staff_notify")
            if task is not None:
                # Not on commit: the failing transaction may well roll back.
                task.apply_async(kwargs={"text": _alert_text(record, repeats)}, ignore_result=True)
        except Exception:  # noqa: BLE001 - an alert must never break the code that logged
            pass
        finally:
            _sending.active = False
