"""Celery tasks for the front desk: thin, take ids, call a service."""

from celery import shared_task

from .imports import import_run


# 20,000 rows at ~30 queries each: minutes. A task redelivered after the broker's visibility
# timeout waits for the import's row lock and then finds it done.
@shared_task(soft_time_limit=1500, time_limit=1600)
def client_import_task(import_id: int) -> str | None:
    found = import_run(import_id=import_id)
    return found.status if found is not None else None
