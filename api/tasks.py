from celery import shared_task

from . import collect, webhooks


@shared_task(name="api.tasks.webhook_deliver_task", acks_late=True)
def webhook_deliver_task(*, delivery_id: int) -> str:
    return webhooks.webhook_deliver(delivery_id=delivery_id)


@shared_task(name="api.tasks.webhooks_send_due_task")
def webhooks_send_due_task() -> int:
    """Every minute: new history rows become deliveries; due deliveries (new, retries) are sent."""
    collect.webhooks_collect()
    return webhooks.deliveries_send_due()
