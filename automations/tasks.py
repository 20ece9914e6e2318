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


@shared_task(
    name="automations.client_event",
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=3,
)
def client_event_task(client_id: int | None = None, client_ids: list[int] | None = None) -> int:
    """Contract for `pipeline.signals.stage_entered` (one client) and `stages_entered` (many):
    their event rules, now."""
    ids = client_ids if client_ids is not None else [client_id]
    return services.engine_on_event(client_ids=ids).fired
