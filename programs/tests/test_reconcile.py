"""A finished questionnaire whose free program never arrived (the worker died mid-render, the embedded
broker lost the task) is repaired by the beat job: the program is generated and sent once."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from botapp.tests.conftest import fake_telegram  # noqa: F401  (the fake Bot API)
from crm.tests.factories import ClientFactory, stage
from pipeline.models import StageMove
from programs.models import TrainingProgram
from programs.services import free_programs_missing, templates_ensure_loaded

pytestmark = pytest.mark.django_db

ANSWERS = {
    "gender": "female",
    "goal": "weight_loss",
    "experience": "beginner",
    "location": "home",
    "training_days_per_week": 3,
}


def _finished_questionnaire(**fields):
    client = ClientFactory(stage=stage("consultation"), **ANSWERS, **fields)
    StageMove.objects.create(
        client=client,
        to_stage=client.stage,
        to_stage_name=client.stage.name,
        event=StageMove.Event.QUESTIONNAIRE_COMPLETED,
        moved_at=timezone.now(),
    )
    return client


def test_beat_runs_the_check_every_ten_minutes():
    entry = settings.CELERY_BEAT_SCHEDULE["programs-free-reconcile"]
    assert entry == {"task": "programs.tasks.free_programs_reconcile_task", "schedule": 600}


def test_a_lost_free_program_is_generated_and_sent_once(
    fake_telegram,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    templates_ensure_loaded()
    lost = _finished_questionnaire()
    blocked = _finished_questionnaire(bot_blocked_at=timezone.now())
    assert free_programs_missing() == []  # fresh: the normal hand-over may still be on its way

    with time_machine.travel(timezone.now() + timedelta(minutes=20)):
        assert free_programs_missing() == [lost.pk]  # not the client who blocked the bot
        for _run in range(2):
            with django_capture_on_commit_callbacks(execute=True):
                call_command("run_scheduled", "--job", "programs-free-reconcile")
        assert free_programs_missing() == []

    program = TrainingProgram.objects.get(client=lost)
    assert (program.kind, program.trigger) == ("free", "questionnaire")
    assert program.pdf_ready and program.delivered_at is not None
    documents = fake_telegram.sent("sendDocument", chat_id=lost.telegram_id)
    assert [d.files["document"][0] for d in documents] == ["Бесплатная программа.pdf"]
    assert not TrainingProgram.objects.filter(client=blocked).exists()


def test_a_program_row_left_without_its_pdf_is_rendered_and_sent(
    fake_telegram,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    from programs.services import program_generate

    templates_ensure_loaded()
    client = _finished_questionnaire()
    program = program_generate(client=client, kind="free", trigger="questionnaire")
    TrainingProgram.objects.filter(pk=program.pk).update(pdf="")  # the render never finished

    with time_machine.travel(timezone.now() + timedelta(minutes=20)):
        with django_capture_on_commit_callbacks(execute=True):
            call_command("run_scheduled", "--job", "programs-free-reconcile")

    program.refresh_from_db()
    assert program.pdf_ready and program.delivered_at is not None
    assert TrainingProgram.objects.filter(client=client).count() == 1
    assert len(fake_telegram.sent("sendDocument", chat_id=client.telegram_id)) == 1
