from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from automations.models import Rule, Run
from automations.selectors import rule_candidates
from automations.services import engine_run, rule_save
from automations.tests.factories import ConsentingClientFactory, RuleFactory
from botapp.models import OutboundMessage
from crm.quiet import quiet_until, quiet_window
from crm.tests.factories import TrainerFactory
from pipeline.models import PipelineStage
from pipeline.services import stage_apply_event

pytestmark = pytest.mark.django_db
MSK = ZoneInfo("Europe/Moscow")
NOON = datetime(2027, 2, 1, 12, 0, tzinfo=MSK)


def stage(code: str) -> PipelineStage:
    return PipelineStage.objects.get(code=code)


@pytest.fixture
def rule():
    Rule.objects.update(is_active=False)  # only the rule under test
    return RuleFactory(
        trigger=Rule.Trigger.STAGE_STUCK,
        stage=stage("first_contact"),
        delay_value=1,
        delay_unit="days",
        active_since=NOON - timedelta(days=30),
    )


def stuck_clients(n: int, **extra) -> list:
    clients = []
    for i in range(n):
        person = ConsentingClientFactory(
            telegram_id=5_000_000 + i + Client_offset(), stage=None, **extra
        )
        stage_apply_event(client=person, event="lead_created")
        clients.append(person)
    return clients


_offset = [0]


def Client_offset() -> int:
    _offset[0] += 1000
    return _offset[0]


def test_fires_once_per_client_and_occurrence(rule, django_capture_on_commit_callbacks):
    with time_machine.travel(NOON - timedelta(days=2), tick=False):
        anna, boris = stuck_clients(2)
    with time_machine.travel(NOON, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            first = engine_run()
            second = engine_run()
    assert first.fired == 2 and first.done == 2 and second.fired == 0
    runs = Run.objects.filter(rule=rule)
    assert runs.count() == 2 and {r.status for r in runs} == {Run.Status.DONE}
    messages = OutboundMessage.objects.filter(dedupe_key__startswith="auto:")
    assert messages.count() == 2
    assert sorted(m.text.split(",")[0] for m in messages) == sorted(
        [anna.first_name, boris.first_name]
    )
    # The database refuses a second firing even if a worker tried (no check-then-insert).
    with pytest.raises(IntegrityError), transaction.atomic():
        Run.objects.create(rule=rule, client=anna, occurrence=runs.get(client=anna).occurrence)


def test_reentering_the_stage_is_a_new_occurrence(rule, django_capture_on_commit_callbacks):
    with time_machine.travel(NOON - timedelta(days=5), tick=False):
        (anna,) = stuck_clients(1)
    with time_machine.travel(NOON - timedelta(days=3), tick=False):
        engine_run()
    from pipeline.services import stage_move

    with time_machine.travel(NOON - timedelta(days=2), tick=False):
        stage_move(client=anna, stage=stage("consultation"), actor=None)
        stage_move(client=anna, stage=stage("first_contact"), actor=None)
    with time_machine.travel(NOON, tick=False):
        assert engine_run().fired == 1
    assert Run.objects.filter(rule=rule, client=anna).count() == 2


def test_evaluation_queries_do_not_grow_with_clients(rule):
    def queries(n: int) -> int:
        with time_machine.travel(NOON - timedelta(days=2), tick=False):
            stuck_clients(n)
        with time_machine.travel(NOON, tick=False), CaptureQueriesContext(connection) as ctx:
            engine_run()
        return len(ctx.captured_queries)

    small = queries(3)
    large = queries(30)
    assert large == small, (small, large)


def test_quiet_hours_postpone_never_drop(rule, settings, django_capture_on_commit_callbacks):
    settings.QUIET_HOURS = "21-9"
    late = datetime(2027, 2, 1, 22, 30, tzinfo=MSK)
    with time_machine.travel(late - timedelta(days=2), tick=False):
        stuck_clients(1)
    with time_machine.travel(late, tick=False):
        result = engine_run()
    assert result.fired == 1 and result.done == 0 and result.waiting == 1
    run = Run.objects.get(rule=rule)
    assert run.status == Run.Status.PENDING
    assert run.due_at == datetime(2027, 2, 2, 9, 0, tzinfo=MSK)
    with time_machine.travel(datetime(2027, 2, 2, 8, 59, tzinfo=MSK), tick=False):
        assert engine_run().done == 0
    with time_machine.travel(datetime(2027, 2, 2, 9, 0, 30, tzinfo=MSK), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert engine_run().done == 1
    assert OutboundMessage.objects.filter(dedupe_key=f"auto:{run.pk}").exists()


@pytest.mark.parametrize(
    ("value", "at", "expected"),
    [
        ("21-9", (2027, 2, 1, 20, 59), (2027, 2, 1, 20, 59)),
        ("21-9", (2027, 2, 1, 21, 0), (2027, 2, 2, 9, 0)),
        ("21-9", (2027, 2, 2, 3, 0), (2027, 2, 2, 9, 0)),
        ("21-9", (2027, 2, 2, 9, 0), (2027, 2, 2, 9, 0)),
        ("13-15", (2027, 2, 2, 14, 0), (2027, 2, 2, 15, 0)),
        ("", (2027, 2, 2, 3, 0), (2027, 2, 2, 3, 0)),
    ],
)
def test_quiet_until(settings, value, at, expected):
    settings.QUIET_HOURS = value
    assert quiet_until(datetime(*at, tzinfo=MSK)) == datetime(*expected, tzinfo=MSK)


def test_bad_quiet_hours_are_a_configuration_error():
    from django.core.exceptions import ImproperlyConfigured

    for value in ("9", "25-3", "abc", "9-9"):
        with pytest.raises(ImproperlyConfigured):
            quiet_window(value)


def test_blocked_and_preview_clients_are_skipped(rule, django_capture_on_commit_callbacks):
    with time_machine.travel(NOON - timedelta(days=2), tick=False):
        (blocked,) = stuck_clients(1, bot_blocked_at=NOON - timedelta(days=3))
        (preview,) = stuck_clients(1, is_preview=True)
        (no_chat,) = stuck_clients(1)
        no_chat.telegram_id = None
        no_chat.save()
    with time_machine.travel(NOON, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            engine_run()
    assert not Run.objects.filter(client=preview).exists()  # never even considered
    skipped = Run.objects.get(client=blocked)
    assert skipped.status == Run.Status.SKIPPED and "заблокировал" in skipped.reason
    assert Run.objects.get(client=no_chat).status == Run.Status.SKIPPED
    assert not OutboundMessage.objects.filter(dedupe_key__startswith="auto:").exists()


def test_clients_who_withdrew_consent_or_are_forgotten_are_skipped(
    rule, django_capture_on_commit_callbacks
):
    """Privacy decides who we may write to (`privacy.selectors`); a forgotten client is gone from
    automations altogether, not even a log row."""
    from privacy.models import Channel, Consent, ConsentKind
    from privacy.services import client_forget, consent_record

    rule.trainer_note = "{full_name} застрял(а) на первом контакте"
    rule.save()
    with time_machine.travel(NOON - timedelta(days=2), tick=False):
        agreed, withdrew, forgotten = stuck_clients(3)
        (never_asked,) = stuck_clients(1, consent=False)
        consent_record(
            client=withdrew,
            kind=ConsentKind.PERSONAL,
            decision=Consent.Decision.WITHDRAWN,
            channel=Channel.TELEGRAM,
        )
        client_forget(client=forgotten, channel=Channel.TELEGRAM)
    with time_machine.travel(NOON, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            result = engine_run()
    assert result.fired == 3
    assert not Run.objects.filter(client_id=forgotten.pk).exists()
    sent = OutboundMessage.objects.filter(dedupe_key__startswith="auto:")
    assert list(sent.values_list("client_id", flat=True)) == [agreed.pk]
    for person in (withdrew, never_asked):
        run = Run.objects.get(client=person)
        # The trainer's note still went (it is about the client, not to them); the message did not.
        assert run.status == Run.Status.DONE and run.text == ""
        assert (
            run.reason == "сообщение не отправлено: нет согласия на обработку персональных данных"
        )


def test_a_failing_client_does_not_stop_the_others(rule, monkeypatch):
    from automations import services

    with time_machine.travel(NOON - timedelta(days=2), tick=False):
        anna, boris = stuck_clients(2)
    real = services.template_render

    def render(text, values):
        if values["full_name"] == anna.full_name:
            raise RuntimeError("boom")
        return real(text, values)

    monkeypatch.setattr(services, "template_render", render)
    with time_machine.travel(NOON, tick=False):
        result = engine_run()
    assert result.failed == 1 and result.done == 1
    failed = Run.objects.get(client=anna)
    assert failed.status == Run.Status.FAILED and "boom" in failed.reason
    assert Run.objects.get(client=boris).status == Run.Status.DONE


def test_switching_a_rule_on_ignores_the_past(rule):
    with time_machine.travel(NOON - timedelta(days=10), tick=False):
        stuck_clients(1)
    rule.is_active = False
    rule.save()
    with time_machine.travel(NOON, tick=False):
        rule.is_active = True
        rule_save(rule=rule)
        assert rule.active_since == NOON
        assert engine_run().fired == 0  # stuck since long before the rule was on


def test_unknown_template_variable_is_a_form_error(rule):
    rule.message = "Привет, {имя}! Неделя {week}"
    with pytest.raises(ValidationError) as error:
        rule_save(rule=rule)
    assert "{имя}" in str(error.value.message_dict["message"])
    rule.message = "Незакрытая {скобка"
    with pytest.raises(ValidationError):
        rule_save(rule=rule)


def test_conditions_filter_in_the_same_query(rule):
    trainer = TrainerFactory()
    rule.if_trainer = trainer
    rule.if_source = "vk_ads"
    rule.save()
    with time_machine.travel(NOON - timedelta(days=2), tick=False):
        (mine,) = stuck_clients(1, trainer=trainer, source="vk_ads")
        stuck_clients(1, trainer=trainer, source="website")
        stuck_clients(1, source="vk_ads")
    with time_machine.travel(NOON, tick=False):
        assert [cid for cid, _ in rule_candidates(rule)] == [mine.pk]


def test_a_lost_hand_over_is_resent_and_nothing_goes_twice(
    rule, settings, django_capture_on_commit_callbacks
):
    """A worker killed between recording the runs and the bot queuing them: the next pass hands
    them over again; a redelivered batch queues nothing twice (the bot's dedupe key per run)."""
    from automations.services import runs_resend_lost
    from botapp.services import automation_send

    with time_machine.travel(NOON - timedelta(days=2), tick=False):
        stuck_clients(2)
    with time_machine.travel(NOON, tick=False):
        engine_run()  # on-commit hand-over not executed: as if the worker died right after commit
    assert not OutboundMessage.objects.filter(dedupe_key__startswith="auto:").exists()
    with time_machine.travel(NOON + timedelta(minutes=5), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert runs_resend_lost() == 2
        assert runs_resend_lost() == 0  # handed over: the runs now point at their messages
    ids = list(Run.objects.values_list("pk", flat=True))
    automation_send(run_ids=ids)  # a redelivered batch
    assert OutboundMessage.objects.filter(dedupe_key__startswith="auto:").count() == 2
