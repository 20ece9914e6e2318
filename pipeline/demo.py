"""Demo data for the pipeline: the demo's lost clients get a reason from the list (seed_demo calls
`seed` with the clients it has just created)."""

import random

from crm.models import Client

from .models import LostReason, PipelineStage, StageMove

# crm.demo writes these notes on moves to Неактивен; each maps to a reason of the default list.
NOTE_TO_REASON = {
    "Дорого": "Дорого",
    "Не отвечает две недели": "Не отвечает",
    "Выбрал другой зал": "Выбрал другого тренера или зал",
    "Переехал в другой город": "Переехал",
}


def seed(*, clients: list[Client], rng: random.Random) -> int:
    """Give the lost clients' moves a reason; idempotent (moves with a reason, and moves left
    with the trainer's own words, stay as they are). `rng` is unused: the choice is by client."""
    reasons = {r.name: r for r in LostReason.objects.filter(name__in=NOTE_TO_REASON.values())}
    moves = list(
        StageMove.objects.filter(
            client__in=[c.pk for c in clients],
            to_stage__code=PipelineStage.Code.INACTIVE,
            lost_reason__isnull=True,
        )
    )
    changed = []
    for move in moves:
        reason = reasons.get(NOTE_TO_REASON.get(move.notes, ""))
        # One in five keeps only the trainer's own words, as in real life (decided by the client,
        # not by chance, so that a re-run changes nothing).
        if reason is not None and move.client_id % 5:
            move.lost_reason = reason
            changed.append(move)
    StageMove.objects.bulk_update(changed, ["lost_reason"], batch_size=1000)
    return len(changed)
