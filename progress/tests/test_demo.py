import random

import pytest

from crm import demo as crm_demo
from crm.models import User
from pipeline.services import stages_ensure_defaults
from progress import demo
from progress.models import PERIOD_ORDER, ProgressJournal

pytestmark = pytest.mark.django_db


def test_active_and_finished_clients_get_plausible_series_once():
    stages_ensure_defaults()
    users, _ = crm_demo.ensure_demo_users()
    trainers = [u for u in users if u.role == User.Role.TRAINER]
    clients = crm_demo.seed_clients(count=80, trainers=trainers)
    from programs import demo as programs_demo

    programs_demo.seed(clients=clients, rng=random.Random(2))
    rows = demo.seed(clients=clients, rng=random.Random(1))
    assert rows > 0
    with_entries = set(ProgressJournal.objects.values_list("client__stage__code", flat=True))
    assert with_entries <= {"active", "finished"} and with_entries
    for client in {e.client for e in ProgressJournal.objects.select_related("client")}:
        entries = sorted(client.progress_entries.all(), key=lambda e: PERIOD_ORDER[e.period])
        assert 1 <= len(entries) <= 12 and entries[0].period == "before"
        for entry in entries:
            entry.full_clean()  # every value is within the sane ranges
        assert sum(e.weight is not None for e in entries) == len(entries)
        paid = client.programs.filter(kind="paid").order_by("-assigned_at").first()
        assert {e.program_id for e in entries} == {paid.pk if paid else None}
    assert demo.seed(clients=clients, rng=random.Random(1)) == 0  # idempotent
