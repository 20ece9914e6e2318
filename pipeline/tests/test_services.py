import pytest

from crm.tests.factories import ClientFactory, TrainerFactory, stage
from pipeline.models import LostReason, PipelineStage, StageMove
from pipeline.services import (
    StageError,
    stage_apply_event,
    stage_create,
    stage_delete,
    stage_move,
    stage_reorder,
    stage_shift,
    stage_update,
)

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
        # A paid program assigned by hand to someone who has not paid does not make them active.
        (Event.PROGRAM_DELIVERED, "consultation"),
        (Event.PROGRAM_DELIVERED, "deciding"),
        (Event.PROGRAM_DELIVERED, "first_contact"),
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


# --- Lost reasons ---------------------------------------------------------------------------------


def test_moving_to_inactive_needs_a_reason_from_the_list_or_in_words():
    trainer = TrainerFactory()
    client = ClientFactory(stage=stage("deciding"), trainer=trainer)

    with pytest.raises(StageError):
        stage_move(client=client, stage=stage("inactive"), actor=trainer, notes="   ")
    client.refresh_from_db()
    assert client.stage.code == "deciding" and moves(client) == []

    reason = LostReason.objects.get(name="Дорого")
    move = stage_move(client=client, stage=stage("inactive"), actor=trainer, lost_reason=reason)
    assert move.lost_reason == reason

    other = ClientFactory(stage=stage("consultation"))
    move = stage_move(client=other, stage=stage("inactive"), actor=trainer, notes="Уехал на вахту")
    assert (move.lost_reason, move.notes) == (None, "Уехал на вахту")


def test_a_reason_is_not_kept_on_a_move_elsewhere():
    client = ClientFactory()
    reason = LostReason.objects.get(name="Дорого")

    move = stage_move(client=client, stage=stage("consultation"), actor=None, lost_reason=reason)

    assert move.lost_reason is None


# --- Stage settings -------------------------------------------------------------------------------


def test_create_rename_recolour_and_describe_a_stage():
    created = stage_create(name="  Пробная тренировка ", color="#ff0000", expected_days=5)
    assert created.name == "Пробная тренировка"
    assert created.order > PipelineStage.objects.exclude(pk=created.pk).order_by("-order")[0].order

    stage_update(
        stage=created,
        name="Пробное занятие",
        color="#00ff00",
        description="Бесплатно",
        expected_days=None,
    )
    created.refresh_from_db()
    assert (created.name, created.color, created.description, created.expected_days) == (
        "Пробное занятие",
        "#00ff00",
        "Бесплатно",
        None,
    )


def test_renaming_a_system_stage_keeps_its_code_for_automatic_moves():
    consultation = stage("consultation")
    stage_update(stage=consultation, name="Созвон", color=consultation.color)
    client = ClientFactory()

    stage_apply_event(client=client, event=Event.QUESTIONNAIRE_COMPLETED)

    client.refresh_from_db()
    assert client.stage.name == "Созвон" and client.stage.code == "consultation"


@pytest.mark.parametrize(
    "values", [{"name": "", "color": "#ff0000"}, {"name": "Ок", "color": "red"}]
)
def test_invalid_stage_values_are_refused(values):
    with pytest.raises(StageError):
        stage_create(**values)


def test_reorder_and_shift():
    ids = list(PipelineStage.objects.values_list("pk", flat=True))
    stage_reorder(stage_ids=list(reversed(ids)))
    assert list(PipelineStage.objects.values_list("pk", flat=True)) == list(reversed(ids))

    first = PipelineStage.objects.first()
    stage_shift(stage=first, offset=-1)  # already first: nothing happens
    stage_shift(stage=first, offset=1)
    assert list(PipelineStage.objects.values_list("pk", flat=True))[1] == first.pk

    with pytest.raises(StageError):
        stage_reorder(stage_ids=[*ids, 999999])


def test_delete_is_refused_for_system_stages_and_stages_with_clients():
    with pytest.raises(StageError, match="Консультация"):
        stage_delete(stage=stage("consultation"))
    custom = stage_create(name="Временный", color="#123456")
    client = ClientFactory(stage=custom)
    with pytest.raises(StageError, match="Временный"):
        stage_delete(stage=custom)
    assert PipelineStage.objects.filter(pk=custom.pk).exists()

    stage_move(client=client, stage=stage("consultation"), actor=None)
    stage_delete(stage=custom)
    assert not PipelineStage.objects.filter(pk=custom.pk).exists()
    # The history still names the deleted stage.
    assert StageMove.objects.get(client=client).from_stage_name == "Временный"
