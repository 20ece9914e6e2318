from celery import shared_task

from . import services


@shared_task(name="followups.relay")
def followups_relay_task() -> dict:
    return services.followups_relay()
