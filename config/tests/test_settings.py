"""Production settings pass Django's deployment checks."""

import os
import subprocess
import sys

import pytest
from django.conf import settings


def test_check_deploy_is_clean_with_production_settings():
    # The browser tests allow async-unsafe calls in this process; a deployment never does.
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DEBUG": "0",
        "SECRET_KEY": "x7#kq!2vP@9zL$4mN&8rT*1wY^6bH%3cJ(5dF)0gS_e-R+uI=oA~",
        "ALLOWED_HOSTS": "crm.example.com",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings.production", "DEBUG": "0"})
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_the_embedded_broker_and_says_why():
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("REDIS_URL", "CELERY_EMBEDDED_BROKER_ALLOWED")
    }
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DEBUG": "0",
        "SECRET_KEY": "x7#kq!2vP@9zL$4mN&8rT*1wY^6bH%3cJ(5dF)0gS_e-R+uI=oA~",
    }
    for command in (["manage.py", "check"], ["-m", "celery", "-A", "config", "inspect", "ping"]):
        result = subprocess.run(
            [sys.executable, *command],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode != 0
        assert "REDIS_URL must be set when DEBUG is off" in result.stderr


def test_worker_settings_bound_a_lost_task_and_a_leaky_process():
    from config.celery import app

    longest = max(
        [app.conf.task_time_limit]
        + [t.time_limit for t in app.tasks.values() if getattr(t, "time_limit", None)]
    )
    assert settings.CELERY_VISIBILITY_TIMEOUT >= 2 * longest
    assert settings.CELERY_VISIBILITY_TIMEOUT <= 15 * 60
    assert app.conf.worker_max_tasks_per_child > 0
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost


@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode_with_a_busy_timeout():
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite-only setting")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] == 30000


@pytest.mark.postgres
@pytest.mark.django_db
def test_runs_on_postgresql_when_configured():
    """Guards CI: the PostgreSQL run really talks to PostgreSQL, not a silent SQLite fallback."""
    from django.db import connection

    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        assert int(cursor.fetchone()[0]) >= 130000
