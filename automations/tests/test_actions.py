"""A rule's note and task for the trainer are the workspace's own notifications and tasks (the bell,
the trainer's Telegram, "Today"), not fields of their own; each happens once per run."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from automations.models import Rule, Run
from automations.services import engine_run, nps_record
from automations.tests.factories import ConsentingClientFactory
from botapp.tests.conftest import ADMIN_CHAT
from crm.models import Notification, Task
from crm.tests.factories import TrainerFactory

pytestmark = pytest.mark.django_db
MSK = ZoneInfo("Europe/Moscow")
NOON = datetime(2027, 2, 1, 12, 0, tzinfo=MSK)
TRAINER_TG = 555000222


@pytest.fixture
def detractor_rule():
    Rule.objects.exclude(code="nps-detractor").update(is_active=False)
    rule = Rule.objects.get(code="nps-detractor")
    rule.active_since = NOON - timedelta(days=1)
    rule.save()
    return rule


def test_a_low_score_is_a_notification_and_a_task_for_the_trainer(
    detractor_rule, fake_telegram, settings, django_capture_on_commit_callbacks
):
    trainer = TrainerFactory(telegram_chat_id=TRAINER_TG)
    vera = ConsentingClientFactory(trainer=trainer, first_name="Вера", last_name="Петрова")
    with time_machine.travel(NOON, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            nps_record(client=vera, score=3)
        with django_capture_on_commit_callbacks(execute=True):
            engine_run()  # a later pass: nothing more
    run = Run.objects.get(rule=detractor_rule, client=vera)
    assert run.status == Run.Status.DONE

    bell = Notification.objects.get(recipient=trainer)
    assert bell.kind == Notification.Kind.AUTOMATION and bell.client == vera
    assert bell.text == "⚠️ Вера Петрова оценил(а) программу на 3 из 10. Свяжитесь с клиентом."
    personal = [c.params["text"] for c in fake_telegram.sent("sendMessage", chat_id=TRAINER_TG)]
    assert personal == [f"{bell.text}\n{settings.SITE_URL}/clients/{vera.pk}/"]

    task = Task.objects.get(client=vera)
    assert task.assignee == trainer and task.kind == Task.Kind.FOLLOW_UP and task.is_open
    assert task.title == "Низкая оценка: тренеру: Связаться после низкой оценки NPS (3/10)"
    assert task.due_at == NOON + timedelta(days=1)
    vera.refresh_from_db()
    assert vera.next_contact_at == task.due_at  # the trainer's "next contact" is the task


def test_a_client_without_a_trainer_is_reported_to_the_staff_chat(
    detractor_rule, fake_telegram, django_capture_on_commit_callbacks
):
    nobody = ConsentingClientFactory(trainer=None, first_name="Глеб", last_name="Ничей")
    with time_machine.travel(NOON, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            nps_record(client=nobody, score=5)
    assert not Notification.objects.exists()
    staff = [c.params["text"] for c in fake_telegram.sent("sendMessage", chat_id=ADMIN_CHAT)]
    assert [t for t in staff if "Глеб Ничей оценил(а)" in t]
    task = Task.objects.get(client=nobody)
    assert task.assignee is None and task.is_open  # in the unassigned clients' tasks
