"""Periodic jobs of the core (see CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from . import summaries, tally


@shared_task(name="crm.summaries_refresh")
def summaries_refresh_task() -> dict[str, int]:
    return summaries.summaries_refresh()


@shared_task(name="crm.tally_rebuild")
def tally_rebuild_task() -> int:
    """The nightly check of the client tally: recounts, mends and logs any difference."""
    return tally.tally_rebuild()
