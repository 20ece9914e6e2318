from celery import shared_task

from . import services


@shared_task(name="payments.tasks.payments_check_pending_task", ignore_result=False)
def payments_check_pending_task() -> dict:
    """Every 5 minutes (beat): settle open online payments whose webhook never came.

    Safe to overlap or repeat: each payment is settled under its row lock, exactly once.
    """
    result = services.payments_check_pending()
    return {"checked": result.checked, "changed": result.changed, "failed": result.failed}
