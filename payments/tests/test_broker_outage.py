"""Broker down during a payment: the paid client still gets the program, exactly once.

A redis-server of the test's own (never the machine's) is the broker for this process and for a real
worker. It is stopped, YooKassa's `payment.succeeded` arrives, the webhook answers 200 with the
notification stored and its processing promised in the database (a `followups.FollowUp` row); the
broker comes back, the relay hands the promise over, the worker settles the payment, generates the
12-week PDF and sends it over HTTP to the fake Bot API — once, however often the relay runs again.
"""

import json
import shutil
import subprocess
import threading
import time
import uuid
from datetime import timedelta

import pytest

from botapp.tests.test_worker import bot_env  # noqa: F401  (the fake Bot API for both processes)
from conftest import RedisServer, start_celery_worker
from crm.tests.factories import ClientFactory, stage
from followups.models import FollowUp
from followups.services import followups_relay
from payments import services
from payments.models import Payment, ProviderNotification
from payments.tests.fake_yookassa import notification
from pipeline.services import stages_ensure_defaults
from programs.models import TrainingProgram
from programs.services import templates_ensure_loaded

from .factories import TariffFactory

pytestmark = [
    pytest.mark.worker,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not shutil.which("redis-server"), reason="redis-server is not installed"),
]


def _use_broker(app, url: str) -> None:
    """Point this process's Celery at another broker: drop the pooled connections and producers
    and the result backend, as after a fork."""
    app.conf.broker_url = url
    app.conf.result_backend = url
    app._after_fork()
    app._backend_cache = None
    app._local = threading.local()


@pytest.fixture
def own_redis(settings, monkeypatch):
    from config.celery import app

    redis = RedisServer().start()
    saved = (app.conf.broker_url, app.conf.result_backend, app.conf.task_default_queue)
    saved_eager = app.conf.task_always_eager
    monkeypatch.setenv("REDIS_URL", redis.url)  # the worker inherits it
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    _use_broker(app, redis.url)
    yield redis
    redis.stop()
    app.conf.task_default_queue = saved[2]
    app.conf.task_always_eager = saved_eager
    _use_broker(app, saved[0])
    app.conf.result_backend = saved[1]


@pytest.fixture
def worker(own_redis):
    from config.celery import app, healthcheck

    queue = f"test-{uuid.uuid4().hex[:8]}"
    app.conf.task_default_queue = queue
    process = start_celery_worker(queue, log_name=f"{queue}-outage")
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, "the worker exited"
            try:
                healthcheck.apply_async(queue=queue, ignore_result=False).get(timeout=5)
                break
            except Exception:  # noqa: BLE001 (any failed probe means: not yet)
                assert time.monotonic() < deadline, "the worker did not answer"
                time.sleep(0.5)
        yield queue
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def test_broker_down_during_the_webhook_delays_the_paid_program_but_never_loses_it(
    bot_env,  # noqa: F811
    yookassa,
    own_redis,
    worker,
    client,
):
    from config.celery import healthcheck

    fake_telegram = bot_env
    stages_ensure_defaults()  # a transactional test starts from flushed tables
    templates_ensure_loaded()
    payer = ClientFactory(
        stage=stage("deciding"),
        gender="female",
        goal="weight_loss",
        experience="beginner",
        location="home",
        training_days_per_week=3,
    )
    payment = services.payment_create(
        client=payer, tariff=TariffFactory(price="4990.00", grants_paid_program=True)
    )
    yookassa.set_status(payment.provider_payment_id, "succeeded")

    own_redis.stop()
    response = client.post(
        "/payments/yookassa/webhook/",
        data=json.dumps(notification("payment.succeeded", payment.provider_payment_id)),
        content_type="application/json",
    )
    assert response.status_code == 200  # stored: YooKassa has nothing to retry
    assert ProviderNotification.objects.filter(object_id=payment.provider_payment_id).exists()
    assert FollowUp.objects.filter(relayed_at__isnull=True).exists()  # the promise, in the DB
    assert not fake_telegram.sent("sendDocument", chat_id=payer.telegram_id)

    own_redis.start()
    back = time.monotonic()
    followups_relay(grace=timedelta(0))
    fake_telegram.wait_for(
        lambda _calls: fake_telegram.sent("sendDocument", chat_id=payer.telegram_id), timeout=120
    )
    recovered = time.monotonic() - back

    # The relay again (as beat would, every minute) and a round trip through the worker after it:
    # nothing more is generated or sent.
    followups_relay(grace=timedelta(0))
    healthcheck.apply_async(queue=worker, ignore_result=False).get(timeout=30)
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    assert TrainingProgram.objects.filter(client=payer, kind="paid").count() == 1
    documents = fake_telegram.sent("sendDocument", chat_id=payer.telegram_id)
    assert [d.files["document"][0] for d in documents] == ["Программа на 12 недель.pdf"]
    assert recovered < 120
