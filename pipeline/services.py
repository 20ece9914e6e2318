"""The only code that changes a client's stage.

`stage_move` is a person moving a card; `stage_apply_event` is the system reacting to an event of the
client journey, following the table in SPEC.md ("Sales pipeline"). Both lock the client row, update it
and write the history row in one transaction.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import Action, audit_entry, audit_record, audit_record_many
from crm.leads import lead_lose
from crm.models import Client, User

from .defaults import create_default_lost_reasons, create_default_stages
from .models import LostReason, PipelineStage, StageMove
from .signals import stage_entered, stages_entered

Code = PipelineStage.Code
Event = StageMove.Event

# The journey's forward direction. Trainers may reorder columns, so "backwards" is judged by this
# fixed order of system codes, not by the editable `order` field.
FLOW: tuple[str, ...] = (
    Code.FIRST_CONTACT,
    Code.CONSULTATION,
    Code.DECIDING,
    Code.PURCHASED,
    Code.ACTIVE,
    Code.FINISHED,
)


@dataclass(frozen=True)
class Rule:
    target: str
    # None: from any stage earlier in FLOW (and from no stage). A set: only from these codes,
    # where NO_STAGE stands for a client not on any stage yet.
    only_from: frozenset[str] | None = None
    # Stages outside the forward rule that the event may still leave (a repeat purchase).
    also_from: frozenset[str] = field(default_factory=frozenset)


NO_STAGE = "<none>"
REPEAT = frozenset({Code.FINISHED, Code.INACTIVE})

RULES: dict[str, Rule] = {
    Event.LEAD_CREATED: Rule(Code.FIRST_CONTACT, only_from=frozenset({NO_STAGE})),
    Event.QUESTIONNAIRE_COMPLETED: Rule(Code.CONSULTATION),
    Event.PAYMENT_CREATED: Rule(Code.DECIDING, also_from=REPEAT),
    Event.PAYMENT_SUCCEEDED: Rule(Code.PURCHASED, also_from=REPEAT),
    # Only a client who paid becomes active: a paid program assigned by hand to someone who has not
    # bought anything (consultation, deciding) does not make them a paying client.
    Event.PROGRAM_DELIVERED: Rule(Code.ACTIVE, only_from=frozenset({Code.PURCHASED})),
    Event.PROGRAM_FINISHED: Rule(Code.FINISHED, only_from=frozenset({Code.ACTIVE})),
}


class StageError(Exception):
    """A move that cannot be made; the message is safe to show to the user."""


def _rank(stage: PipelineStage | None, stages: list[PipelineStage]) -> float | None:
    """Position of a stage in FLOW; a custom stage ranks just after the system stage before it.

    None for a stage outside the flow (Неактивен, or a custom stage placed after it).
    """
    if stage is None:
        return -1
    if stage.code:
        return FLOW.index(stage.code) if stage.code in FLOW else None
    rank: float | None = -0.5
    for other in stages:
        if (other.order, other.pk) >= (stage.order, stage.pk):
            break
        if other.code:
            rank = FLOW.index(other.code) + 0.5 if other.code in FLOW else None
    return rank


def _may_leave(current: PipelineStage | None, rule: Rule, target: PipelineStage) -> bool:
    if current == target:
        return False
    current_code = NO_STAGE if current is None else current.code
    if rule.only_from is not None:
        return current_code in rule.only_from
    if current_code in rule.also_from:
        return True
    stages = list(PipelineStage.objects.all())
    current_rank, target_rank = _rank(current, stages), _rank(target, stages)
    return current_rank is not None and target_rank is not None and current_rank < target_rank


def _record_move(
    *,
    client: Client,
    stage: PipelineStage,
    event: str,
    actor: User | None,
    notes: str,
    lost_reason: LostReason | None = None,
) -> StageMove:
    now = timezone.now()
    previous = client.stage
    Client.objects.filter(pk=client.pk).update(stage=stage, stage_changed_at=now, updated_at=now)
    client.stage, client.stage_changed_at = stage, now
    if actor is not None:  # a staff member's move; the bot's automatic ones are in the history
        audit_record(
            actor=actor,
            action=Action.CLIENT_STAGE,
            obj=client,
            changes={"stage": [previous.name if previous else None, stage.name]},
            note=notes,
        )
    move = StageMove.objects.create(
        client=client,
        from_stage=previous,
        from_stage_name=previous.name if previous else "",
        to_stage=stage,
        to_stage_name=stage.name,
        event=event,
        actor=actor,
        notes=notes,
        lost_reason=lost_reason,
        moved_at=now,
    )
    stage_entered.send(sender=StageMove, client=client, move=move)
    return move


def _lock(client: Client) -> Client:
    # of=("self",): PostgreSQL cannot lock the nullable side of the outer join to the stage.
    return Client.objects.select_for_update(of=("self",)).select_related("stage").get(pk=client.pk)


@transaction.atomic
def stage_move(
    *,
    client: Client,
    stage: PipelineStage,
    actor: User | None,
    notes: str = "",
    lost_reason: LostReason | None = None,
) -> StageMove | None:
    """Move a client to any stage by hand. Returns the history row, or None if already there.

    A move to Неактивен needs a reason: a `lost_reason` from the list or free text in `notes`
    (analytics counts both). Raises StageError, changing nothing, if the stage no longer exists or
    the reason is missing. A move to Неактивен also marks the client's open lead lost.
    """
    if not PipelineStage.objects.filter(pk=stage.pk).exists():
        raise StageError(_("This stage no longer exists."))
    notes = notes.strip()
    if stage.code == Code.INACTIVE:
        if lost_reason is None and not notes:
            raise StageError(_("Tell why the client is lost: pick a reason or write one."))
    else:
        lost_reason = None
    locked = _lock(client)
    if locked.stage_id == stage.pk:
        return None
    move = _record_move(
        client=locked,
        stage=stage,
        event=Event.MANUAL,
        actor=actor,
        notes=notes,
        lost_reason=lost_reason,
    )
    if stage.code == Code.INACTIVE:
        lead_lose(client=locked)
    client.stage, client.stage_changed_at = locked.stage, locked.stage_changed_at
    return move


@transaction.atomic
def stage_apply_event(
    *, client: Client, event: str, actor: User | None = None, notes: str = ""
) -> StageMove | None:
    """Apply an automatic move for a journey event (see RULES).

    Never drags a client backwards: returns None and changes nothing when the client is already at
    or past the event's stage, or where the event does not apply. Raises KeyError for an unknown
    event, and PipelineStage.DoesNotExist if the target system stage was removed from the database.
    """
    rule = RULES[event]
    target = PipelineStage.objects.get(code=rule.target)
    locked = _lock(client)
    if not _may_leave(locked.stage, rule, target):
        return None
    move = _record_move(
        client=locked,
        stage=target,
        event=event,
        actor=actor,
        notes=notes or str(Event(event).label),
    )
    client.stage, client.stage_changed_at = locked.stage, locked.stage_changed_at
    return move


def stages_start(
    *, clients: list[Client], actor: User | None, notes: str = "", batch_size: int = 500
) -> list[StageMove]:
    """Put clients created in this transaction (on no stage yet) on the first stage: for each,
    what `stage_apply_event(LEAD_CREATED)` does — the stage, its history row, the staff member's
    audit entry, the entered-a-stage rules (`stages_entered`) — in a few queries per
    `batch_size` clients instead of about ten per client (the client import)."""
    if not clients:
        return []
    target = PipelineStage.objects.get(code=RULES[Event.LEAD_CREATED].target)
    notes = notes or str(Event.LEAD_CREATED.label)
    now = timezone.now()
    ids = [client.pk for client in clients]
    for start in range(0, len(ids), batch_size):
        Client.objects.filter(pk__in=ids[start : start + batch_size], stage__isnull=True).update(
            stage=target, stage_changed_at=now, updated_at=now
        )
    moves = []
    for client in clients:
        client.stage, client.stage_changed_at = target, now
        moves.append(
            StageMove(
                client=client,
                to_stage=target,
                to_stage_name=target.name,
                event=Event.LEAD_CREATED,
                actor=actor,
                notes=notes,
                moved_at=now,
            )
        )
    StageMove.objects.bulk_create(moves, batch_size=batch_size)
    if actor is not None:
        audit_record_many(
            [
                audit_entry(
                    actor=actor,
                    action=Action.CLIENT_STAGE,
                    obj=client,
                    changes={"stage": [None, target.name]},
                    note=notes,
                )
                for client in clients
            ]
        )
    stages_entered.send(sender=StageMove, clients=clients)
    return moves


def stages_ensure_defaults() -> None:
    """Recreate any missing system stage and default lost reason (the data migrations' job, again
    for flushed test tables)."""
    create_default_stages(PipelineStage)
    create_default_lost_reasons(LostReason)


# --- Stage settings -------------------------------------------------------------------------------


def _save(stage: PipelineStage) -> PipelineStage:
    try:
        stage.full_clean()
    except ValidationError as error:
        raise StageError(" ".join(error.messages)) from error
    stage.save()
    return stage


@transaction.atomic
def stage_create(
    *, name: str, color: str, description: str = "", expected_days: int | None = None
) -> PipelineStage:
    """Add a custom stage at the end of the board. Raises StageError for invalid values."""
    last = PipelineStage.objects.aggregate(last=Max("order"))["last"] or 0
    return _save(
        PipelineStage(
            name=name.strip(),
            color=color,
            description=description,
            expected_days=expected_days,
            order=last + 10,
        )
    )


@transaction.atomic
def stage_update(
    *,
    stage: PipelineStage,
    name: str,
    color: str,
    description: str = "",
    expected_days: int | None = None,
) -> PipelineStage:
    """Rename, recolour, describe a stage or set its expected days. The system code never changes,
    so automatic moves keep finding a renamed system stage. Raises StageError for invalid values."""
    locked = PipelineStage.objects.select_for_update().get(pk=stage.pk)
    locked.name, locked.color = name.strip(), color
    locked.description, locked.expected_days = description, expected_days
    return _save(locked)


@transaction.atomic
def stage_reorder(*, stage_ids: list[int]) -> None:
    """Put the stages in this order (ids missing from the list keep their place after them).

    Raises StageError when an id is unknown.
    """
    stages = {s.pk: s for s in PipelineStage.objects.select_for_update()}
    if len(set(stage_ids)) != len(stage_ids) or not set(stage_ids) <= stages.keys():
        raise StageError(_("The stage list has changed. Reload the page and try again."))
    rest = [
        pk for pk in sorted(stages, key=lambda pk: (stages[pk].order, pk)) if pk not in stage_ids
    ]
    for position, pk in enumerate([*stage_ids, *rest], 1):
        stages[pk].order = position * 10
    PipelineStage.objects.bulk_update(stages.values(), ["order"])


def stage_shift(*, stage: PipelineStage, offset: int) -> None:
    """Move a stage one place up (offset -1) or down (+1); nothing happens at either end."""
    ids = list(PipelineStage.objects.values_list("pk", flat=True))
    index = ids.index(stage.pk)
    target = index + offset
    if 0 <= target < len(ids):
        ids[index], ids[target] = ids[target], ids[index]
        stage_reorder(stage_ids=ids)


@transaction.atomic
def stage_delete(*, stage: PipelineStage) -> None:
    """Delete a custom stage without clients. Raises StageError (nothing deleted) for a system
    stage or a stage that still has clients."""
    locked = PipelineStage.objects.select_for_update().filter(pk=stage.pk).first()
    if locked is None:
        return
    if locked.is_system:
        raise StageError(
            _("“%(name)s” is a system stage: automatic moves rely on it, so it cannot be deleted.")
            % {"name": locked.name}
        )
    count = Client.objects.filter(stage=locked).count()
    if count:
        raise StageError(
            _("“%(name)s” still has %(count)d client(s). Move them to other stages first.")
            % {"name": locked.name, "count": count}
        )
    locked.delete()
