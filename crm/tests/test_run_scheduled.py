import pytest
from django.core.management import CommandError, call_command


@pytest.mark.django_db
def test_every_beat_job_runs_once_now(capsys):
    """Every job in the beat schedule is registered and runs on a fresh database."""
    from django.conf import settings

    call_command("run_scheduled")
    out = capsys.readouterr().out
    for name in settings.CELERY_BEAT_SCHEDULE:
        assert f"{name}: ok" in out


@pytest.mark.django_db
def test_one_job_by_name(capsys, settings):
    settings.CELERY_BEAT_SCHEDULE = {
        "probe": {"task": "config.healthcheck", "schedule": 60},
        "other": {"task": "config.healthcheck", "schedule": 60},
    }
    call_command("run_scheduled", "--job", "probe")
    out = capsys.readouterr().out
    assert "probe: ok" in out
    assert "other" not in out


def test_unknown_job_is_refused(settings):
    settings.CELERY_BEAT_SCHEDULE = {"probe": {"task": "config.healthcheck", "schedule": 60}}
    with pytest.raises(CommandError, match="Unknown job"):
        call_command("run_scheduled", "--job", "nope")


def test_list(capsys, settings):
    settings.CELERY_BEAT_SCHEDULE = {"probe": {"task": "config.healthcheck", "schedule": 60}}
    call_command("run_scheduled", "--list")
    assert "probe\tconfig.healthcheck\t60" in capsys.readouterr().out
