from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.tests.factories import ClientFactory, TrainerFactory, stage
from progress import services
from progress.models import ProgressJournal
from progress.selectors import analytics_get

pytestmark = pytest.mark.django_db


def series(client, *weights, waist=None, source="web"):
    start = date.today() - timedelta(days=7 * len(weights))
    for week, weight in enumerate(weights):
        values = {"weight": Decimal(weight)}
        if waist is not None:
            values["waist"] = Decimal(waist[week])
        services.measurement_save(
            client=client,
            period="before" if week == 0 else f"week_{week}",
            values=values,
            measured_on=start + timedelta(days=7 * week),
            source=source,
        )


def test_average_change_of_finished_clients_and_weekly_checkin_share(django_assert_num_queries):
    trainer = TrainerFactory()
    finished = stage("finished")
    series(ClientFactory(trainer=trainer, stage=finished), 90, 88, 86, waist=[100, 98, 95])
    series(ClientFactory(trainer=trainer, stage=finished), 70, 69)  # weight only
    series(ClientFactory(trainer=trainer, stage=finished), 80)  # one entry: no change to count
    series(ClientFactory(trainer=TrainerFactory(), stage=finished), 100, 50 + 40)  # not visible
    active = [ClientFactory(trainer=trainer, stage=stage("active")) for _ in range(4)]
    services.measurement_save(
        client=active[0], period="week_1", values={"weight": Decimal(80)}, source="bot"
    )
    services.measurement_save(
        client=active[1], period="week_1", values={"weight": Decimal(80)}, source="web"
    )
    ProgressJournal.objects.create(  # last week's check-in does not count
        client=active[2],
        period="week_2",
        weight=Decimal(80),
        source="bot",
        measured_on=timezone.localdate() - timedelta(days=8),
    )

    # A client who finished before the period does not count.
    long_ago = ClientFactory(
        trainer=trainer, stage=finished, stage_changed_at=timezone.now() - timedelta(days=200)
    )
    series(long_ago, 120, 100)

    # per-series sums, finished count, active and checked-in
    with django_assert_num_queries(3):
        result = analytics_get(user=trainer)
    by_metric = {a.metric.field: a for a in result.averages}
    assert (by_metric["weight"].average, by_metric["weight"].clients) == (Decimal("-2.5"), 2)
    assert by_metric["weight"].tone == "good"
    assert (by_metric["waist"].average, by_metric["waist"].clients) == (Decimal(-5), 1)
    assert "chest" not in by_metric
    assert result.finished_clients == 3
    assert (result.active_clients, result.checked_in_this_week, result.checkin_share) == (4, 1, 25)


def test_a_chosen_period_counts_the_clients_who_finished_in_it():
    trainer = TrainerFactory()
    finished = stage("finished")
    old = ClientFactory(
        trainer=trainer, stage=finished, stage_changed_at=timezone.now() - timedelta(days=200)
    )
    series(old, "120", "100.4", waist=["110", "104.5"])
    series(ClientFactory(trainer=trainer, stage=finished), 90, 91)

    today = timezone.localdate()
    result = analytics_get(user=trainer, start=today - timedelta(days=365), end=today)
    earlier = analytics_get(
        user=trainer, start=today - timedelta(days=365), end=today - timedelta(days=100)
    )

    assert result.finished_clients == 2 and earlier.finished_clients == 1
    assert {a.metric.field: a.average for a in result.averages}["weight"] == Decimal("-9.3")
    assert {a.metric.field: (a.average, a.clients) for a in earlier.averages} == {
        "weight": (Decimal("-19.6"), 1),
        "waist": (Decimal("-5.5"), 1),
    }
