import pytest

from crm.tests.factories import ClientFactory, TrainerFactory, stage
from pipeline.models import PipelineStage, StageMove
from pipeline.services import StageError, stage_apply_event, stage_move

pytestmark = pytest.mark.django_db
Event = StageMove.Event


def moves(client):
    return list(
        StageMove.objects.filter(client=client)
        .order_by("moved_at", "id")
        .values_list("from_stage__code", "to_stage__code", "event")
    )


@pytest.mark.parametrize(
    ("event", "start", "expected"),
    [
        (Event.LEAD_CREATED, None, "first_contact"),
        (Event.QUESTIONNAIRE_COMPLETED, "first_contact", "consultation"),
        (Event.PAYMENT_CREATED, "consultation", "deciding"),
        (Event.PAYMENT_CREATED, "finished", "deciding"),
        (Event.PAYMENT_CREATED, "inactive", "deciding"),
        (Event.PAYMENT_SUCCEEDED, "deciding", "purchased"),
        (Event.PAYMENT_SUCCEEDED, "first_contact", "purchased"),
        (Event.PAYMENT_SUCCEEDED, "consultation", "purchased"),
        (Event.PROGRAM_DELIVERED, "purchased", "active"),
        (Event.PROGRAM_FINISHED, "active", "finished"),
    ],
)
def test_every_row_of_the_automatic_table(event, start, expected):
    client = ClientFactory(stage=stage(start) if start else None)

    move = stage_apply_event(client=client, event=event)

    client.refresh_from_db()
    assert client.stage.code == expected
    assert move.event == event and move.actor is None
    assert moves(client) == [(start, expected, event)]
    assert move.to_stage_name == client.stage.name


@pytest.mark.parametrize(
    ("event", "start"),
    [
        (Event.QUESTIONNAIRE_COMPLETED, "active"),  # a late questionnaire
        (Event.QUESTIONNAIRE_COMPLETED, "consultation"),  # already there
        (Event.PAYMENT_CREATED, "purchased"),
        (Event.PAYMENT_SUCCEEDED, "active"),
        (Event.PROGRAM_DELIVERED, "finished"),
        (Event.PROGRAM_FINISHED, "purchased"),  # only an active client finishes
        (Event.LEAD_CREATED, "consultation"),  # a returning client is not a new lead
        (Event.QUESTIONNAIRE_COMPLETED, "inactive"),
    ],
)
def test_automatic_moves_never_drag_backwards(event, start):
    client = ClientFactory(stage=stage(start))

    assert stage_apply_event(client=client, event=event) is None

    client.refresh_from_db()
    assert client.stage.code == start
    assert moves(client) == []


def test_order_is_judged_by_the_journey_not_by_renamed_or_reordered_columns():
    stage("consultation").__class__.objects.filter(code="active").update(order=1, name="Работаем")
    client = ClientFactory(stage=stage("active"))

    assert stage_apply_event(client=client, event=Event.QUESTIONNAIRE_COMPLETED) is None


def test_custom_stage_ranks_after_the_system_stage_before_it():
    custom = PipelineStage.objects.create(
        name="Пробная тренировка", order=stage("consultation").order + 1
    )
    client = ClientFactory(stage=custom)

    assert stage_apply_event(client=client, event=Event.QUESTIONNAIRE_COMPLETED) is None
    assert stage_apply_event(client=client, event=Event.PAYMENT_CREATED).to_stage.code == "deciding"


def test_repeat_purchase_runs_the_cycle_again():
    client = ClientFactory(stage=stage("finished"))

    for event in (Event.PAYMENT_CREATED, Event.PAYMENT_SUCCEEDED, Event.PROGRAM_DELIVERED):
        stage_apply_event(client=client, event=event)

    client.refresh_from_db()
    assert client.stage.code == "active"
    assert moves(client) == [
        ("finished", "deciding", Event.PAYMENT_CREATED),
        ("deciding", "purchased", Event.PAYMENT_SUCCEEDED),
        ("purchased", "active", Event.PROGRAM_DELIVERED),
    ]


def test_applying_the_same_event_twice_records_one_move():
    client = ClientFactory(stage=stage("deciding"))

    stage_apply_event(client=client, event=Event.PAYMENT_SUCCEEDED)
    stage_apply_event(client=client, event=Event.PAYMENT_SUCCEEDED)

    assert len(moves(client)) == 1


def test_manual_move_goes_anywhere_and_records_the_actor_and_notes():
    trainer = TrainerFactory()
    client = ClientFactory(stage=stage("active"), trainer=trainer)

    move = stage_move(client=client, stage=stage("consultation"), actor=trainer, notes="Передумал")

    client.refresh_from_db()
    assert client.stage.code == "consultation"
    assert (move.actor, move.notes, move.event) == (trainer, "Передумал", Event.MANUAL)
    assert move.from_stage_name == "Активный клиент"


def test_manual_move_to_the_same_stage_records_nothing():
    client = ClientFactory(stage=stage("consultation"))

    assert stage_move(client=client, stage=stage("consultation"), actor=None) is None
    assert moves(client) == []


def test_manual_move_to_a_deleted_stage_is_refused():
    custom = PipelineStage.objects.create(name="Временный", order=999)
    client = ClientFactory()
    PipelineStage.objects.filter(pk=custom.pk).delete()

    with pytest.raises(StageError):
        stage_move(client=client, stage=custom, actor=None)
    client.refresh_from_db()
    assert client.stage.code == "first_contact"


def test_history_survives_renaming_a_stage():
    client = ClientFactory(stage=stage("consultation"))
    stage_apply_event(client=client, event=Event.PAYMENT_CREATED)

    PipelineStage.objects.filter(code="deciding").update(name="Думают")

    move = StageMove.objects.get(client=client)
    assert move.to_stage_name == "Принимают решение"
    assert move.to_stage.name == "Думают"


def test_unknown_event_is_a_programming_error():
    with pytest.raises(KeyError):
        stage_apply_event(client=ClientFactory(), event="nonsense")
