import pytest
from django.core.management import call_command

from automations.models import NpsResponse, Run

pytestmark = pytest.mark.django_db


def test_seed_demo_fills_the_send_log_and_nps_once(client):
    call_command("seed_demo", clients=60, verbosity=0)
    runs, answers = Run.objects.count(), NpsResponse.objects.count()
    assert runs > 0
    assert Run.objects.filter(outbound_message__status="sent").count() == runs
    call_command("seed_demo", clients=60, verbosity=0)
    assert (Run.objects.count(), NpsResponse.objects.count()) == (runs, answers)
