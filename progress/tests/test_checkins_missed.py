"""A week without a check-in reaches the client's trainer under the bell, once per week."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from crm.models import Notification
from crm.tests.factories import ClientFactory, TrainerFactory
from progress.services import checkins_missed_notify

from .factories import ProgressJournalFactory

pytestmark = pytest.mark.django_db
START = date(2026, 10, 1)  # the "before" measurements; week 1 = 2–8 Oct, week 2 = 9–15 Oct, …


def at(day: date):
    return time_machine.travel(
        datetime(day.year, day.month, day.day, 10, 5, tzinfo=ZoneInfo("Europe/Moscow")), tick=False
    )


@pytest.fixture
def trainer():
    return TrainerFactory()


@pytest.fixture
def person(trainer):
    client = ClientFactory(trainer=trainer, first_name="Ирина", last_name="Петрова")
    ProgressJournalFactory(client=client, period="before", measured_on=START)
    ProgressJournalFactory(client=client, period="week_1", measured_on=START + timedelta(days=6))
    return client


def test_a_missed_week_notifies_the_trainer_once(client, trainer, person):
    with at(START + timedelta(days=14)):  # week 2 still running: nothing yet
        assert checkins_missed_notify() == 0
    with at(START + timedelta(days=15)):  # week 2 ended without measurements
        assert checkins_missed_notify() == 1
        assert checkins_missed_notify() == 0  # a rerun (or a retried task) adds nothing
    [note] = Notification.objects.filter(recipient=trainer)
    assert note.kind == Notification.Kind.CHECKIN_MISSED and note.client == person
    assert note.text == "Ирина Петрова не прислал(а) замеры за неделю 2."
    assert note.url == reverse("progress:client-progress", args=[person.pk])

    with at(START + timedelta(days=22)):  # week 3 missed too: one more, week 2 not again
        assert checkins_missed_notify() == 1
    assert sorted(Notification.objects.values_list("dedup_key", flat=True)) == [
        f"checkin_missed:{person.pk}:0:week_2",
        f"checkin_missed:{person.pk}:0:week_3",
    ]

    client.force_login(trainer)  # in the bell: the unread count and the list
    with at(START + timedelta(days=22)):
        badges = client.get(reverse("crm:badges")).content.decode()
        assert badges.split('id="bell-count"')[1].split("</span>")[0].endswith(">2")
        page = client.get(reverse("crm:notifications")).content.decode()
    assert "не прислал(а) замеры за неделю 3" in page


def test_a_week_with_measurements_or_without_a_trainer_notifies_nobody(trainer, person):
    ProgressJournalFactory(client=person, period="week_2", measured_on=START + timedelta(days=12))
    lead = ClientFactory(trainer=None)
    ProgressJournalFactory(client=lead, period="before", measured_on=START)
    preview = ClientFactory(trainer=trainer, is_preview=True)
    ProgressJournalFactory(client=preview, period="before", measured_on=START)
    with at(START + timedelta(days=15)):
        assert checkins_missed_notify() == 0
    assert not Notification.objects.exists()


def test_old_misses_are_not_news_and_the_twelve_weeks_end(trainer, person):
    with at(START + timedelta(days=7 * 6 + 1)):  # weeks 2–6 missed: the last two are told
        assert checkins_missed_notify() == 2
    with at(START + timedelta(days=7 * 20)):  # long after week 12: nothing
        assert checkins_missed_notify() == 0
    assert Notification.objects.count() == 2


def test_run_scheduled_runs_the_job(trainer, person):
    with at(START + timedelta(days=15)):
        call_command("run_scheduled", "--job", "progress-checkins-missed")
    assert Notification.objects.filter(kind="checkin_missed").count() == 1
