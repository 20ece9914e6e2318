import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# What a client waits for in the chat (the answer to their message, a payment link, a reply queued
# to their chat) goes to the urgent queue; staff notes, reports and PDF rendering to the default one.
# A worker consumes both (CELERY_TASK_QUEUES) and takes from them in turn, so a pile of staff
# notifications never stands between a client and the bot's answer.
URGENT_TASKS = {"botapp.update_process", "botapp.payment_start"}


def urgent_queue() -> str:
    return f"{app.conf.task_default_queue}.urgent"


def route_task(name, args, kwargs, options, task=None, **extra):
    from django.conf import settings

    if name in URGENT_TASKS:
        return {"queue": urgent_queue()}
    if name == "botapp.outbox_flush":
        chat_id = (kwargs or {}).get("chat_id", args[0] if args else None)
        if str(chat_id) != str(settings.TELEGRAM_ADMIN_CHAT_ID):
            return {"queue": urgent_queue()}
    return None


@app.task(name="config.healthcheck", ignore_result=False)
def healthcheck() -> dict:
    """Round trip used by `/healthz?worker=1`: proves a worker runs and reaches the database."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"worker": "ok", "database": connection.vendor}


def import_task_modules() -> None:
    """Import every installed app's `tasks` module, as a worker does at start (no signals fired)."""
    from importlib import import_module
    from importlib.util import find_spec

    from django.apps import apps

    for config in apps.get_app_configs():
        name = f"{config.name}.tasks"
        if find_spec(name) is not None:
            import_module(name)


def enqueue_on_commit(task_name: str, *args, **kwargs) -> bool:
    """Enqueue a task by its registered name once the current transaction commits — durably: the
    promise is a `followups.FollowUp` row written in this transaction, so a broker that is down at
    commit delays the task but never loses it (see `followups.services`).

    This is how a lower domain triggers work in a higher one without importing it (for example
    `payments` asking `botapp` to send a message). Returns False, with a log line, when no such task
    is registered, so a feature whose app is not installed degrades visibly instead of failing.
    Arguments must be JSON.
    """
    import logging

    from followups.services import followup_schedule

    task = app.tasks.get(task_name)
    if task is None:
        # Task modules are discovered lazily: a web process has not imported them yet.
        import_task_modules()
        task = app.tasks.get(task_name)
    if task is None:
        logging.getLogger(__name__).warning("Task %s is not registered; skipped.", task_name)
        return False
    followup_schedule(task_name, *args, **kwargs)
    return True
