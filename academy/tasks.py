from celery import shared_task

from . import services


@shared_task(name="academy.tasks.sessions_generate_task")
def sessions_generate_task() -> int:
    """Nightly (beat): dated sessions for the coming weeks. Idempotent."""
    return services.sessions_generate()
