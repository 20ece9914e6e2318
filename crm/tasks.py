"""Periodic jobs of the core (see CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from . import summaries


@shared_task(name="crm.summaries_refresh")
def summaries_refresh_task() -> dict[str, int]:
    return summaries.summaries_refresh()
