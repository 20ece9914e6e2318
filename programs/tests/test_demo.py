import io
import time

import pytest
from django.core.management import call_command

from crm.models import Client
from programs.models import TrainingProgram

pytestmark = pytest.mark.django_db


def test_seed_demo_gives_programs_by_stage_and_is_idempotent():
    started = time.monotonic()
    call_command("seed_demo", "--clients", "120", stdout=io.StringIO())
    elapsed = time.monotonic() - started

    programs = TrainingProgram.objects.select_related("client__stage")
    assert programs.exists()
    for program in programs:
        code = program.client.stage.code
        if program.kind == "paid":
            assert code in {"purchased", "active", "finished"}
            assert program.weeks == 12 and program.is_paid
            assert (program.delivered_at is None) == (code == "purchased")
        else:
            assert program.weeks == 1 and program.client.goal
        assert not program.pdf  # rendered on first download, never at seed time
        assert program.formatted_text and program.selection["template"] == program.template_code
    buyers = Client.objects.filter(stage__code__in=["purchased", "active", "finished"]).exclude(
        goal=""
    )
    assert programs.filter(kind="paid").count() == buyers.count() > 0
    qualified = Client.objects.filter(
        stage__code__in=["consultation", "deciding", "purchased", "active", "finished"]
    ).exclude(goal="")
    assert programs.filter(kind="free").count() == qualified.count()
    assert elapsed < 30

    out = io.StringIO()
    call_command("seed_demo", "--clients", "120", stdout=out)
    assert (
        "Training programs: 0 rows created" in out.getvalue()
        or "программы тренировок: 0" in out.getvalue().lower()
    )
