"""Demo consents for `manage.py seed_demo`: demo clients from the bot agreed to the processing of
their data when they started; those with progress entries also agreed to the health-data text.
Idempotent: a client with any consent row is left alone."""

import random
from datetime import timedelta

from django.apps import apps

from crm.models import Client

from .models import Channel, Consent, ConsentKind, PolicyVersion

BATCH = 2000


def seed(*, clients: list[Client], rng: random.Random) -> int:
    policies = {
        p.kind: p for p in PolicyVersion.objects.filter(version=1)
    }  # published by the migration
    if set(policies) != set(ConsentKind.values):
        return 0
    done = set(
        Consent.objects.filter(client__in=clients).values_list("client_id", flat=True).distinct()
    )
    with_progress: set[int] = set()
    if apps.is_installed("progress"):
        Journal = apps.get_model("progress", "ProgressJournal")
        with_progress = set(
            Journal.objects.filter(client__in=clients).values_list("client_id", flat=True)
        )
    rows = []
    for client in clients:
        if client.pk in done:
            continue
        channel = Channel.TELEGRAM if client.telegram_id else Channel.WEBSITE
        at = client.created_at + timedelta(minutes=1)
        rows.append(
            Consent(
                client=client,
                kind=ConsentKind.PERSONAL,
                decision=Consent.Decision.GRANTED,
                policy=policies[ConsentKind.PERSONAL],
                channel=channel,
                at=at,
            )
        )
        if client.pk in with_progress:
            rows.append(
                Consent(
                    client=client,
                    kind=ConsentKind.HEALTH,
                    decision=Consent.Decision.GRANTED,
                    policy=policies[ConsentKind.HEALTH],
                    channel=channel,
                    at=at + timedelta(days=1),
                )
            )
    Consent.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)
