"""Durable follow-ups: a task promised in a transaction is written with it, relayed after commit,
kept when the broker is down (a real connection refused, not a mock), relayed when it is back."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from config.celery import app, enqueue_on_commit
from followups.models import FollowUp
from followups.services import followups_backlog_age, followups_relay

pytestmark = pytest.mark.django_db


@contextmanager
def broker_at(url: str):
    """Point this process's Celery at another broker (a dead port: the broker is down)."""
    saved = (app.conf.broker_url, app.conf.task_always_eager, app._pool, app.amqp._producer_pool)
    app.conf.broker_url, app.conf.task_always_eager = url, False
    app._pool = app.amqp._producer_pool = None
    app.conf.broker_connection_timeout = 1
    try:
        yield
    finally:
        app.conf.broker_url, app.conf.task_always_eager = saved[0], saved[1]
        app._pool, app.amqp._producer_pool = saved[2], saved[3]


def test_the_promise_is_written_with_the_change_and_relayed_after_commit(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        assert enqueue_on_commit("config.healthcheck")
        row = FollowUp.objects.get()
        assert row.relayed_at is None  # nothing leaves before the commit

    row.refresh_from_db()
    assert row.task == "config.healthcheck" and row.relayed_at is not None


def test_a_rolled_back_change_promises_nothing():
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_on_commit("config.healthcheck")
        raise RuntimeError
    assert not FollowUp.objects.exists()


def test_broker_down_at_commit_delays_the_task_but_never_loses_it(
    django_capture_on_commit_callbacks, caplog
):
    with broker_at("redis://127.0.0.1:1/0"):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            enqueue_on_commit("botapp.staff_notify", text="Оплата прошла", client_id=None)
        # The caller went on as if nothing happened; the promise waits in the database.
        row = FollowUp.objects.get()
        assert row.relayed_at is None and row.relay_attempts == 1
        assert "OperationalError" in row.error
        assert followups_relay(grace=timedelta(0)) == {"relayed": 0, "waiting": 1, "late": 0}
        assert followups_backlog_age() is not None

    # The broker is back: the next relay run hands it over, once.
    assert followups_relay(grace=timedelta(0))["relayed"] == 1
    assert followups_relay(grace=timedelta(0))["relayed"] == 0
    row.refresh_from_db()
    assert row.relayed_at is not None and row.error == ""
    assert followups_backlog_age() is None


def test_late_followups_are_logged_once_and_staff_told_when_they_went_out(
    fake_telegram, django_capture_on_commit_callbacks, caplog
):
    from botapp.tests.conftest import ADMIN_CHAT

    row = FollowUp.objects.create(
        task="config.healthcheck", created_at=timezone.now() - timedelta(minutes=15)
    )
    with broker_at("redis://127.0.0.1:1/0"):
        assert followups_relay()["late"] == 1
        assert followups_relay()["late"] == 0  # said once
    assert "wait for the broker" in caplog.text

    with django_capture_on_commit_callbacks(execute=True):
        assert followups_relay()["relayed"] == 1
    row.refresh_from_db()
    assert row.relayed_at is not None
    staff = fake_telegram.sent("sendMessage", chat_id=ADMIN_CHAT)
    assert len(staff) == 1 and "1" in staff[0].params["text"]


def test_relayed_followups_are_forgotten_after_a_week():
    FollowUp.objects.create(
        task="config.healthcheck", relayed_at=timezone.now() - timedelta(days=8)
    )
    FollowUp.objects.create(task="config.healthcheck", relayed_at=timezone.now())
    followups_relay()
    assert FollowUp.objects.count() == 1
