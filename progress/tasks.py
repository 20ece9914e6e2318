"""Progress's periodic work (beat; `manage.py run_scheduled --job progress-checkins-missed`)."""

from celery import shared_task

from . import services


@shared_task(name="progress.checkins_missed_notify")
def checkins_missed_notify_task() -> int:
    """Daily: the trainer hears about each week a client ended without a check-in, once."""
    return services.checkins_missed_notify()
