import pytest

from crm.tests.factories import ClientFactory, stage
from progress.models import CheckinPrompt
from progress.tasks import PROMPT_TEXT, checkin_prompt_weekly_task

pytestmark = pytest.mark.django_db


def test_weekly_prompt_goes_once_to_active_clients_with_telegram(monkeypatch, settings):
    sent = []
    monkeypatch.setattr(
        "crm.notifications.enqueue_on_commit", lambda name, **kw: sent.append((name, kw)) or True
    )
    active = ClientFactory(stage=stage("active"))
    ClientFactory(stage=stage("active"), telegram_id=None)
    ClientFactory(stage=stage("finished"))
    assert checkin_prompt_weekly_task.delay().get() == 1
    assert sent == [("botapp.client_message", {"client_id": active.pk, "text": PROMPT_TEXT})]
    assert checkin_prompt_weekly_task() == 0  # a rerun (retry, second beat) sends nothing
    assert len(sent) == 1 and CheckinPrompt.objects.count() == 1


def test_schedule_is_configurable(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["progress-checkin-prompt"]
    assert entry["task"] == "progress.checkin_prompt_weekly"
    assert entry["schedule"].hour == {settings.PROGRESS_CHECKIN_HOUR}
    assert entry["schedule"].day_of_week == {settings.PROGRESS_CHECKIN_WEEKDAY}
