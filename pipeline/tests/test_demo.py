import random

import pytest
from django.core.management import call_command

from crm.demo import seed_clients
from crm.tests.factories import TrainerFactory
from pipeline import demo
from pipeline.models import StageMove

pytestmark = pytest.mark.django_db


def test_demo_gives_most_lost_clients_a_listed_reason_once():
    clients = seed_clients(count=120, trainers=[TrainerFactory()])
    lost = StageMove.objects.filter(to_stage__code="inactive")
    assert lost.exists()

    first = demo.seed(clients=clients, rng=random.Random(1))
    again = demo.seed(clients=clients, rng=random.Random(1))

    with_reason = lost.filter(lost_reason__isnull=False)
    assert first == with_reason.count() > lost.count() // 2
    assert again == 0
    assert all(m.lost_reason.name in demo.NOTE_TO_REASON.values() for m in with_reason)


def test_seed_demo_command_runs_the_pipeline_demo(capsys):
    call_command("seed_demo", clients=30)
    assert "rows created" in capsys.readouterr().out
