"""A task round trip through a real worker process, on the broker this run is configured with."""

import os

import pytest

from config.celery import app, healthcheck

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_round_trip_through_a_real_worker(live_worker):
    result = healthcheck.delay().get(timeout=30)
    assert result["worker"] == "ok"
    assert result["database"] in ("sqlite", "postgresql")


@pytest.mark.redis
def test_round_trip_on_redis(live_worker):
    assert app.conf.broker_url.startswith("redis://")
    assert os.environ["REDIS_URL"] in app.conf.broker_url
    assert healthcheck.delay().get(timeout=30)["worker"] == "ok"


def test_healthz_with_worker_check(client, live_worker):
    response = client.get("/healthz?worker=1")
    assert response.status_code == 200
    assert response.json()["worker"] == "ok"
