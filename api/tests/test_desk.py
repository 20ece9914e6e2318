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
