"""Periodic operations jobs (see CELERY_BEAT_SCHEDULE): thin wrappers over ops.services."""

from celery import shared_task

from . import services


@shared_task(name="ops.heartbeat")
def heartbeat_task() -> str:
    return services.heartbeat_stamp().at.isoformat()


@shared_task(name="ops.backup_nightly")
def backup_nightly_task() -> str:
    return services.backup_run().name


@shared_task(name="ops.restore_drill_weekly")
def restore_drill_weekly_task() -> str:
    return services.restore_drill_run().detail


@shared_task(name="ops.database_analyze")
def database_analyze_task() -> str:
    return services.database_analyze()
