import pytest
from django.conf import settings
from django.db import connection

from crm.tests.factories import ClientFactory
from ops.tasks import database_analyze_task

pytestmark = pytest.mark.django_db


def test_the_nightly_job_gives_the_planner_statistics_of_the_clients():
    ClientFactory.create_batch(3)

    assert database_analyze_task.apply().get() == connection.vendor

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'crm_client'")
            assert cursor.fetchone()[0] > 0  # a row per index of the table
        else:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'crm_client'")
            assert cursor.fetchone()[0] == 3
    assert settings.CELERY_BEAT_SCHEDULE["ops-database-analyze"]["task"] == "ops.database_analyze"
