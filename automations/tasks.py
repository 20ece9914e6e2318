"""The engine's beat job: thin, it calls the service and says what it did."""

from celery import shared_task
from django.db import DatabaseError

from . import services


@shared_task(
    name="automations.engine_run",
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=3,
)
def engine_run_task() -> dict:
    result = services.engine_run()
    resent = services.runs_resend_lost()
    return {
        "fired": result.fired,
        "done": result.done,
        "skipped": result.skipped,
        "failed": result.failed,
        "waiting": result.waiting,
        "resent": resent,
    }
