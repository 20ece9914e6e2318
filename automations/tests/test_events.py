"""Events fire at once, time at each pass: a client who enters a stage outside the engine (a
trainer's move, a payment, the bot) gets the "entered a stage" rules right after the commit — no
scheduler pass needed — and the next pass sends nothing new. Stage moves the engine makes itself
are followed within its pass, without an event task per client."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from automations.models import Rule, Run
from automations.services import EVENT_TASK, engine_run
from automations.tests.factories import ConsentingClientFactory, RuleFactory
from botapp.models import OutboundMessage
from followups.models import FollowUp
from pipeline.models import PipelineStage
from pipeline.services import stage_move
from programs.models import TrainingProgram

pytestmark = pytest.mark.django_db
MSK = ZoneInfo("Europe/Moscow")
NOON = datetime(2027, 2, 1, 12, 0, tzinfo=MSK)


def stage(code: str) -> PipelineStage:
    return PipelineStage.objects.get(code=code)


def auto_texts(client) -> list[str]:
    return list(
        OutboundMessage.objects.filter(client=client, dedupe_key__startswith="auto:")
        .order_by("pk")
        .values_list("text", flat=True)
    )


def test_entering_a_stage_fires_its_rules_at_once(settings, django_capture_on_commit_callbacks):
    settings.QUIET_HOURS = "21-9"
    Rule.objects.update(is_active=False)
    RuleFactory(
        trigger=Rule.Trigger.STAGE_ENTERED,
        stage=stage("consultation"),
        message="{name}, вот тарифы:",
        active_since=NOON - timedelta(days=1),
    )
    with time_machine.travel(NOON - timedelta(hours=1), tick=False):
        vera = ConsentingClientFactory(first_name="Вера")
    with time_machine.travel(NOON, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            stage_move(client=vera, stage=stage("consultation"), actor=None)
        assert auto_texts(vera) == ["Вера, вот тарифы:"]  # no pass has run
        with django_capture_on_commit_callbacks(execute=True):
            assert engine_run().fired == 0  # the pass finds it done
    assert auto_texts(vera) == ["Вера, вот тарифы:"]

    # At night the event is recorded at once and the message waits for the morning.
    night = NOON.replace(hour=23)
    with time_machine.travel(night, tick=False):
        stage_move(client=vera, stage=stage("first_contact"), actor=None)
        with django_capture_on_commit_callbacks(execute=True):
            stage_move(client=vera, stage=stage("consultation"), actor=None)
    latest = Run.objects.filter(client=vera).latest("pk")
    assert latest.status == Run.Status.PENDING
    assert latest.due_at == datetime(2027, 2, 2, 9, 0, tzinfo=MSK)
    with time_machine.travel(datetime(2027, 2, 2, 9, 1, tzinfo=MSK), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            engine_run()
    assert auto_texts(vera) == ["Вера, вот тарифы:"] * 2


def test_one_pass_completes_the_chain_without_event_tasks(django_capture_on_commit_callbacks):
    """Program end → Завершен (a stage event of a rule) → the thanks + NPS question, in one pass;
    the pass follows its own move and queues no event task for it; a second pass sends nothing."""
    Rule.objects.exclude(code__in=["program-end", "finished-nps"]).update(is_active=False)
    Rule.objects.update(active_since=NOON - timedelta(weeks=13))
    with time_machine.travel(NOON - timedelta(weeks=12, days=1), tick=False):
        anna = ConsentingClientFactory(first_name="Анна", stage=stage("active"))
        TrainingProgram.objects.create(
            client=anna, kind=TrainingProgram.Kind.PAID, weeks=12, delivered_at=NOON
        )
        TrainingProgram.objects.filter(client=anna).update(
            delivered_at=NOON - timedelta(weeks=12, hours=1)
        )
    FollowUp.objects.filter(task=EVENT_TASK).delete()
    with time_machine.travel(NOON, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            result = engine_run()
        anna.refresh_from_db()
        assert anna.stage.code == "finished"
        assert result.fired == 2
        [text] = auto_texts(anna)
        assert text.startswith("Анна, программа завершена")
        assert not FollowUp.objects.filter(task=EVENT_TASK).exists()
        with django_capture_on_commit_callbacks(execute=True):
            assert engine_run().fired == 0
    assert len(auto_texts(anna)) == 1
