"""A task named by a string must exist: a typo fails `manage.py check` instead of switching a
feature off with a log line at run time."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from followups.checks import named_tasks, task_names_check, unknown_task_errors


def test_our_code_names_only_registered_tasks():
    assert task_names_check() == []


def test_a_misspelt_up_call_is_reported_with_the_likely_name(tmp_path):
    source = tmp_path / "notify.py"
    source.write_text(
        "from config.celery import enqueue_on_commit\n\n"
        'STAFF_TASK = "botapp.staf_notify"\n\n\n'
        "def go():\n"
        '    enqueue_on_commit("botapp.program_delivr", program_id=1)\n'
        '    enqueue_on_commit("botapp.program_deliver", program_id=1)\n'
        '    enqueue_on_commit("marketingx.some_task")  # an app that is not installed\n',
        encoding="utf-8",
    )
    found = list(named_tasks([source]))
    assert [name for name, _where in found] == [
        "botapp.staf_notify",
        "botapp.program_delivr",
        "botapp.program_deliver",
        "marketingx.some_task",
    ]

    errors = unknown_task_errors(found)

    assert [e.id for e in errors] == ["followups.E001", "followups.E001"]
    assert "'botapp.staf_notify'" in errors[0].msg and "notify.py:3" in errors[0].msg
    assert errors[0].hint == "Did you mean 'botapp.staff_notify'?"
    assert errors[1].hint == "Did you mean 'botapp.program_deliver'?"


def test_manage_py_check_fails_on_a_misspelt_beat_job(settings):
    settings.CELERY_BEAT_SCHEDULE = {
        **settings.CELERY_BEAT_SCHEDULE,
        "typo": {"task": "payments.tasks.payments_check_pendin_task", "schedule": 60},
    }
    with pytest.raises(SystemCheckError, match="payments_check_pendin_task"):
        call_command("check", tags=["celery"])
