"""A task round trip through a real worker process, on the broker this run is configured with."""

import os

import pytest

from config.celery import app, healthcheck


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_round_trip_through_a_real_worker(live_worker):
    result = healthcheck.delay().get(timeout=30)
    assert result["worker"] == "ok"
    assert result["database"] in ("sqlite", "postgresql")


@pytest.mark.redis
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_round_trip_on_redis(live_worker):
    assert app.conf.broker_url.startswith("redis://")
    assert os.environ["REDIS_URL"] in app.conf.broker_url
    assert healthcheck.delay().get(timeout=30)["worker"] == "ok"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_healthz_with_worker_check(client, live_worker):
    from ops.services import heartbeat_stamp

    heartbeat_stamp()  # beat does not run in tests; an install without a heartbeat is unhealthy
    response = client.get("/healthz?worker=1")
    assert response.status_code == 200, response.content.decode()
    assert response.json()["worker"] == "ok"


@pytest.mark.django_db
def test_enqueue_by_name_finds_lazily_discovered_tasks_and_refuses_unknown_ones(
    django_capture_on_commit_callbacks,
):
    from config.celery import enqueue_on_commit

    with django_capture_on_commit_callbacks() as callbacks:
        assert enqueue_on_commit("programs.tasks.program_render_pdf_task", 0) is True
        assert enqueue_on_commit("nowhere.no_such_task") is False
    assert len(callbacks) == 1  # queued for after commit, not run inside the transaction
