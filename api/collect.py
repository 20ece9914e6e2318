"""Turn new rows of the domain's history tables into webhook deliveries.

The history tables (new clients, stage moves, payment events, NPS answers, delivered programs) already record
every change, whoever made it (bot, web, admin, API, worker), in the same transaction as the change.
So they are our outbox: a beat job reads what is new since its cursor and records a delivery per
subscription. Nothing runs on the request path (no query, no callback), a crash between commit and
send loses nothing, and a re-read is harmless because a delivery is unique per occurrence.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from automations.models import NpsResponse
from crm.models import Client
from payments.models import Payment, PaymentEvent
from pipeline.models import StageMove
from programs.models import TrainingProgram

from .models import WebhookCursor, WebhookEvent, WebhookSubscription
from .serializers import ClientSerializer, PaymentSerializer, ProgramSerializer, StageMoveSerializer
from .webhooks import webhook_emit

BATCH = 500
# Ids are handed out at insert but become visible at commit, so a row may appear behind one already
# read. Rows younger than this are left for the next pass (no transaction of ours lasts that long).
SETTLE = timedelta(seconds=60)
# Programs are read by delivery time, which is not monotonic across workers: re-read a margin
# (a delivery already recorded is skipped by its unique key).
TIME_OVERLAP = timedelta(minutes=10)


@dataclass(frozen=True)
class Source:
    name: str
    stamp: str  # the row's creation time
    rows: Callable[[], QuerySet]
    emit: Callable[[object], Iterable[tuple[str, str, dict]]]  # → (event, key, payload)


def _client_events(client: Client):
    yield WebhookEvent.CLIENT_CREATED, str(client.pk), ClientSerializer(client).data


def _move_events(move: StageMove):
    payload = {"client": ClientSerializer(move.client).data, "move": StageMoveSerializer(move).data}
    yield WebhookEvent.CLIENT_STAGE_CHANGED, str(move.pk), payload


PAYMENT_EVENTS = {
    Payment.Status.SUCCEEDED: WebhookEvent.PAYMENT_SUCCEEDED,
    Payment.Status.REFUNDED: WebhookEvent.PAYMENT_REFUNDED,
}


def _payment_events(event: PaymentEvent):
    payload = {**PaymentSerializer(event.payment).data, "source": event.source}
    yield PAYMENT_EVENTS[event.to_status], str(event.payment_id), payload


def _nps_events(answer: NpsResponse):
    payload = {
        "id": answer.pk,
        "client_id": answer.client_id,
        "program_id": answer.program_id,
        "trainer_id": answer.trainer_id,
        "score": answer.score,
        "group": answer.group,
        "created_at": answer.created_at,
    }
    yield WebhookEvent.NPS_RECEIVED, str(answer.pk), payload


def _program_events(program: TrainingProgram):
    yield WebhookEvent.PROGRAM_DELIVERED, str(program.pk), ProgramSerializer(program).data


SOURCES = [
    Source(
        "client",
        "created_at",
        lambda: Client.objects.filter(is_preview=False).select_related("stage", "trainer"),
        _client_events,
    ),
    Source(
        "stage_move",
        "moved_at",
        lambda: StageMove.objects.filter(client__is_preview=False).select_related(
            "actor", "client__stage", "client__trainer"
        ),
        _move_events,
    ),
    Source(
        "payment_event",
        "created_at",
        lambda: PaymentEvent.objects.filter(
            to_status__in=list(PAYMENT_EVENTS), payment__client__is_preview=False
        ).select_related("payment__tariff"),
        _payment_events,
    ),
    Source(
        "nps",
        "created_at",
        lambda: NpsResponse.objects.filter(client__is_preview=False),
        _nps_events,
    ),
]


def _cursor(name: str, model) -> WebhookCursor:
    # A new cursor starts at the newest row: subscribers get what happens from now on, not history.
    cursor, created = WebhookCursor.objects.select_for_update().get_or_create(source=name)
    if created:
        cursor.last_id = model.objects.aggregate(n=Max("pk"))["n"] or 0
        cursor.last_at = timezone.now()
        cursor.save()
    return cursor


@transaction.atomic
def webhooks_collect() -> int:
    """One pass over every source (at most BATCH rows each); returns deliveries recorded. With no
    subscription it only moves the cursors on."""
    subscribed = WebhookSubscription.objects.filter(is_active=True, paused_at__isnull=True).exists()
    recorded = 0
    for source in SOURCES:
        queryset = source.rows()
        cursor = _cursor(source.name, queryset.model)
        settled_before = timezone.now() - SETTLE
        rows = []
        for row in queryset.filter(pk__gt=cursor.last_id).order_by("pk")[:BATCH]:
            if getattr(row, source.stamp) > settled_before:
                break
            rows.append(row)
        if not rows:
            continue
        if subscribed:
            for row in rows:
                for event, key, payload in source.emit(row):
                    recorded += len(webhook_emit(event=event, key=key, payload=payload))
        cursor.last_id = rows[-1].pk
        cursor.save(update_fields=["last_id"])
    recorded += _programs(subscribed)
    return recorded


def _programs(subscribed: bool) -> int:
    cursor = _cursor("program_delivered", TrainingProgram)
    since = (cursor.last_at or timezone.now()) - TIME_OVERLAP
    programs = list(
        TrainingProgram.objects.filter(
            delivered_at__gte=since,
            delivered_at__lte=timezone.now() - SETTLE,
            client__is_preview=False,
        )
        .defer("content", "formatting", "formatted_text")
        .order_by("delivered_at", "pk")[:BATCH]
    )
    recorded = 0
    if subscribed:
        for program in programs:
            for event, key, payload in _program_events(program):
                recorded += len(webhook_emit(event=event, key=key, payload=payload))
    if programs:
        cursor.last_at = max(cursor.last_at or programs[-1].delivered_at, programs[-1].delivered_at)
        cursor.save(update_fields=["last_at"])
    return recorded
