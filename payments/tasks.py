from celery import shared_task

from . import services


@shared_task(name="payments.tasks.payments_check_pending_task", ignore_result=False)
def payments_check_pending_task() -> dict:
    """Every 5 minutes (beat): settle open online payments whose webhook never came.

    Safe to overlap or repeat: each payment is settled under its row lock, exactly once.
    """
    result = services.payments_check_pending()
    return {"checked": result.checked, "changed": result.changed, "failed": result.failed}


@shared_task(name="payments.notification_process")
def notification_process_task(notification_id: int) -> str | None:
    """A stored YooKassa notification, acted on (the API down: left for the sweep below)."""
    return services.notification_process(notification_id=notification_id)


@shared_task(name="payments.notifications_reprocess")
def notifications_reprocess_task() -> dict:
    """Every minute (beat): stored notifications left unprocessed, tried again with a backoff."""
    return services.notifications_reprocess()


@shared_task(name="payments.paid_programs_reconcile")
def paid_programs_reconcile_task() -> dict:
    """Every 10 minutes (beat): paid programs that never reached their payer, asked for again."""
    return services.paid_programs_reconcile()


@shared_task(name="payments.compare_daily")
def payments_compare_daily_task() -> dict:
    """Daily (beat): open and recent payments compared with the provider's API."""
    result = services.payments_compare_daily()
    return {"checked": result.checked, "changed": result.changed, "failed": result.failed}
