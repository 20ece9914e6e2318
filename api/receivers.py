"""Outgoing webhooks observe history rows and state fields after commit.

These are optional observers in django-oscar's sense (its analytics receivers): the business flow
never depends on them, and they see every path (bot, web, admin, API, worker) without each service
having to remember to call them. Each event is keyed by its occurrence, so a second save of the
same state sends nothing.
"""

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from crm.models import Client
from payments.models import Payment, PaymentEvent
from pipeline.models import StageMove
from programs.models import TrainingProgram

from .models import WebhookEvent


def _later(event: str, key: str, build) -> None:
    def emit() -> None:
        from .webhooks import webhook_emit

        payload = build()
        if payload is not None:
            webhook_emit(event=event, key=key, payload=payload)

    transaction.on_commit(emit)


def _client_payload(pk: int):
    from .serializers import ClientSerializer

    client = Client.objects.select_related("stage", "trainer").filter(pk=pk).first()
    return ClientSerializer(client).data if client and not client.is_preview else None


@receiver(post_save, sender=Client, dispatch_uid="api.client_created")
def client_created(sender, instance: Client, created: bool, raw: bool = False, **kwargs):
    if created and not raw and not instance.is_preview:
        _later(WebhookEvent.CLIENT_CREATED, str(instance.pk), lambda: _client_payload(instance.pk))


@receiver(post_save, sender=StageMove, dispatch_uid="api.stage_changed")
def stage_changed(sender, instance: StageMove, created: bool, raw: bool = False, **kwargs):
    if not created or raw:
        return

    def build():
        from .serializers import StageMoveSerializer

        client = _client_payload(instance.client_id)
        move = StageMove.objects.select_related("actor").filter(pk=instance.pk).first()
        if client is None or move is None:
            return None
        return {"client": client, "move": StageMoveSerializer(move).data}

    _later(WebhookEvent.CLIENT_STAGE_CHANGED, str(instance.pk), build)


@receiver(post_save, sender=PaymentEvent, dispatch_uid="api.payment_status")
def payment_status(sender, instance: PaymentEvent, created: bool, raw: bool = False, **kwargs):
    """A payment's history row (payments.services.payment_transition writes one per change)."""
    events = {
        Payment.Status.SUCCEEDED: WebhookEvent.PAYMENT_SUCCEEDED,
        Payment.Status.REFUNDED: WebhookEvent.PAYMENT_REFUNDED,
    }
    event = events.get(instance.to_status)
    if raw or not created or event is None:
        return

    def build():
        from .serializers import PaymentSerializer

        payment = (
            Payment.objects.select_related("tariff", "client")
            .filter(pk=instance.payment_id)
            .first()
        )
        if payment is None or payment.client.is_preview:
            return None
        return {**PaymentSerializer(payment).data, "source": instance.source}

    _later(event, str(instance.payment_id), build)


@receiver(post_save, sender=TrainingProgram, dispatch_uid="api.program_delivered")
def program_delivered(sender, instance: TrainingProgram, raw: bool = False, **kwargs):
    if raw or instance.delivered_at is None:
        return

    def build():
        from .serializers import ProgramSerializer

        program = TrainingProgram.objects.defer("content", "formatting").filter(pk=instance.pk)
        program = program.select_related("client").first()
        if program is None or program.client.is_preview:
            return None
        return ProgramSerializer(program).data

    _later(WebhookEvent.PROGRAM_DELIVERED, str(instance.pk), build)
