"""Celery tasks of the bot: thin, they take ids, call a service and own the retry policy.

The names are a contract: other domains enqueue them by name (`crm.notifications`, programs).
"""

from celery import shared_task
from django.db import DatabaseError

from . import dispatch, services


@shared_task(
    name="botapp.update_process",
    bind=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=5,
)
def update_process_task(self, update_id: int) -> int:
    return dispatch.update_process(update_id=update_id)


@shared_task(name="botapp.outbox_flush", bind=True)
def outbox_flush_task(self, chat_id: int) -> None:
    # The service says when to come back: at once when its batch ran out (behind the other work
    # queued meanwhile), Telegram's retry_after on 429, a backoff on network errors, a slot later.
    # A fresh task each time, so a long backlog never runs out of retries.
    services.outbox_flush_started(chat_id=chat_id)
    retry_in = services.outbox_flush(chat_id=chat_id)
    if retry_in is None or self.request.is_eager:
        # Eager (tests, inline calls): whoever holds the chat's lease sends what is queued.
        return
    services.enqueue_flush_later(chat_id=chat_id, seconds=retry_in)


@shared_task(name="botapp.staff_notify")
def staff_notify_task(text: str, client_id: int | None = None) -> int | None:
    message = services.staff_notify_send(text=text, client_id=client_id)
    return message.pk if message else None


@shared_task(name="botapp.client_message")
def client_message_task(client_id: int, text: str) -> int | None:
    message = services.client_message_send(client_id=client_id, text=text)
    return message.pk if message else None


@shared_task(
    name="botapp.program_deliver",
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=5,
)
def program_deliver_task(program_id: int) -> int | None:
    message = services.program_deliver(program_id=program_id)
    return message.pk if message else None


@shared_task(
    name="botapp.payment_start",
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=3,
)
def payment_start_task(
    client_id: int, tariff_id: int, request_key: str, promo_code: str = ""
) -> int | None:
    message = services.payment_start(
        client_id=client_id, tariff_id=tariff_id, promo_code=promo_code, request_key=request_key
    )
    return message.pk if message else None


@shared_task(name="botapp.updates_reconcile")
def updates_reconcile_task() -> int:
    return services.updates_reconcile()


@shared_task(name="botapp.outbox_sweep")
def outbox_sweep_task() -> int:
    return services.outbox_sweep()


@shared_task(
    name="botapp.send_document",
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=5,
)
def send_document_task(client_id: int, path: str, caption: str = "") -> int | None:
    """Contract for lower domains (progress reports): `path` is a default-storage name."""
    message = services.document_send(client_id=client_id, path=path, caption=caption)
    return message.pk if message else None


@shared_task(
    name="botapp.client_data_send",
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=3,
)
def client_data_send_task(client_id: int, request_key: str) -> int:
    return len(services.client_data_send(client_id=client_id, request_key=request_key))


@shared_task(
    name="botapp.automation_send",
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=5,
)
def automation_send_task(run_ids: list[int]) -> int:
    """Contract for `automations`: queue the messages of these runs (idempotent)."""
    return services.automation_send(run_ids=run_ids)


@shared_task(name="botapp.outbox_drain")
def outbox_drain_task(chat_ids: list[int]) -> int:
    return services.outbox_drain(chat_ids=chat_ids)


@shared_task(
    name="botapp.notification_send",
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=5,
)
def notification_send_task(notification_id: int) -> int | None:
    """Contract for `crm.services.notification_create`: the notification in the recipient's own
    Telegram (idempotent)."""
    message = services.notification_send(notification_id=notification_id)
    return message.pk if message else None
