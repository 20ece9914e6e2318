"""Front-desk endpoints: shifts by role, ledgers by client ownership, the money report by role."""

from decimal import Decimal

import pytest

from crm.tests.factories import ClientFactory
from desk import services
from desk.models import Method
from desk.tests.factories import OperatorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator():
    user = OperatorFactory(username="api-operator")
    services.shift_open(operator=user)
    return user


def test_shifts_by_role(client, operator, admin_user, trainer, bearer):
    other = OperatorFactory(username="api-operator-2")
    services.shift_open(operator=other)
    mine = client.get("/api/v1/desk/shifts", **bearer(operator)).json()["results"]
    assert [row["operator_id"] for row in mine] == [operator.pk]
    everyone = client.get("/api/v1/desk/shifts", **bearer(admin_user)).json()["results"]
    assert {row["operator_id"] for row in everyone} == {operator.pk, other.pk}
    assert client.get("/api/v1/desk/shifts", **bearer(trainer)).json()["results"] == []
    theirs = everyone[0]["id"] if everyone[0]["operator_id"] == other.pk else everyone[1]["id"]
    assert client.get(f"/api/v1/desk/shifts/{theirs}", **bearer(operator)).status_code == 404


def test_ledger_follows_client_ownership(client, operator, trainer, other_trainer, bearer):
    mine = ClientFactory(trainer=trainer)
    theirs = ClientFactory(trainer=other_trainer)
    for person in (mine, theirs):
        services.ledger_top_up(
            client=person, amount=Decimal("1500"), method=Method.CASH, actor=operator
        )
    rows = client.get("/api/v1/desk/ledger", **bearer(trainer)).json()["results"]
    assert [(row["client_id"], row["amount"], row["kind"]) for row in rows] == [
        (mine.pk, "1500.00", "top_up")
    ]
    assert len(client.get("/api/v1/desk/ledger", **bearer(operator)).json()["results"]) == 2


def test_money_report_by_role_and_period(client, operator, admin_user, trainer, bearer):
    services.ledger_top_up(
        client=ClientFactory(), amount=Decimal("2500"), method=Method.CARD, actor=operator
    )
    report = client.get("/api/v1/reports/money?period=day", **bearer(admin_user))
    assert report.status_code == 200
    assert report.json()["start"] == report.json()["end"]
    assert client.get("/api/v1/reports/money", **bearer(trainer)).status_code == 403
    bad = client.get(
        "/api/v1/reports/money?period=custom&start=2026-02-01&end=2026-01-01", **bearer(admin_user)
    )
    assert bad.status_code == 400 and "period" in bad.json()["errors"]


def test_promotions_with_their_schedule_and_whether_they_run_now(client, trainer, bearer):
    from datetime import datetime

    import time_machine
    from django.utils import timezone

    from payments.tests.factories import PromotionFactory, TariffFactory

    month = TariffFactory(name="Месяц")
    mornings = PromotionFactory(name="Утро будней", tariffs=[month])  # weekdays until 16:00
    weekend = PromotionFactory(name="Выходные", weekdays=[5, 6], time_to=None, kind="visits")
    PromotionFactory(name="Выключена", is_active=False)
    monday_noon = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.get_current_timezone())
    with time_machine.travel(monday_noon, tick=False):
        rows = client.get("/api/v1/promotions", **bearer(trainer)).json()["results"]
        running = client.get("/api/v1/promotions?in_force=true", **bearer(trainer)).json()
        idle = client.get("/api/v1/promotions?in_force=false", **bearer(trainer)).json()
        bad = client.get("/api/v1/promotions?in_force=maybe", **bearer(trainer))
    by_name = {row["name"]: row for row in rows}
    assert by_name["Утро будней"]["tariffs"] == [month.pk]
    assert by_name["Утро будней"]["weekdays"] == [0, 1, 2, 3, 4]
    assert by_name["Утро будней"]["time_to"] == "16:00:00" and by_name["Утро будней"]["in_force"]
    assert by_name["Выходные"]["tariffs"] == [] and not by_name["Выходные"]["in_force"]
    assert not by_name["Выключена"]["in_force"]
    assert [row["id"] for row in running["results"]] == [mornings.pk]
    assert weekend.pk in [row["id"] for row in idle["results"]]
    assert bad.status_code == 400 and "true или false" in bad.content.decode()
    assert client.get("/api/v1/promotions").status_code in (401, 403)
    # read-only: nothing to write through the API
    response = client.post(
        "/api/v1/promotions", {}, content_type="application/json", **bearer(trainer)
    )
    assert response.status_code == 405
