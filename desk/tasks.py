"""Celery tasks for the front desk: thin, take ids, call a service."""

from celery import shared_task

from .imports import import_run


# 20,000 rows are written in bulk (a few queries per thousand, bench/desk.py): well within the limit,
# which stays under half the broker's visibility timeout (a task still running is never handed to a
# second worker). A task redelivered after a lost worker waits for the import's row lock and then
# finds it done.
@shared_task(soft_time_limit=360, time_limit=420)
def client_import_task(import_id: int) -> str | None:
    found = import_run(import_id=import_id)
    return found.status if found is not None else None
