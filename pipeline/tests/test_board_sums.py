"""Column sums of what clients paid and kept: `Client.paid_total`, which the payments app keeps with
every payment's status change and refund (pipeline finds it through crm.extensions.board_money)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from crm.tests.factories import ClientFactory, TrainerFactory, stage
from payments.tests.factories import PaymentFactory, TariffFactory
from pipeline import selectors

pytestmark = pytest.mark.django_db


@pytest.fixture
def pay():
    """pay(client, amount, status, refunded=0) records a payment as the services leave it."""
    tariff = TariffFactory()

    def record(client, amount, status, refunded="0"):
        return PaymentFactory(
            client=client,
            tariff=tariff,
            amount=Decimal(amount),
            status=status,
            refunded_amount=Decimal(refunded),
        )

    return record


def test_columns_sum_what_visible_clients_paid_and_kept(client, pay, django_assert_num_queries):
    from pipeline.services import stages_ensure_defaults

    stages_ensure_defaults()
    trainer = TrainerFactory()
    active = ClientFactory(trainer=trainer, stage=stage("active"))
    also_active = ClientFactory(trainer=trainer, stage=stage("active"))
    deciding = ClientFactory(trainer=trainer, stage=stage("deciding"))
    hidden = ClientFactory(trainer=TrainerFactory(), stage=stage("active"))
    pay(active, "4900.00", "succeeded")
    pay(also_active, "3000.50", "succeeded", refunded="500.00")  # partly refunded
    pay(also_active, "4900.00", "refunded", refunded="4900.00")
    pay(deciding, "4900.00", "pending")
    pay(hidden, "9999.00", "succeeded")

    board = selectors.board_get(user=trainer, filters={})
    totals = {c.stage.code: c.total for c in board.columns}

    assert board.sums_available
    assert totals["active"] == Decimal("7400.50")
    assert totals["deciding"] == Decimal("0")
    client.force_login(trainer)
    # session, user, stages, counts with their sums, the cards' ids, the cards
    with django_assert_num_queries(6):
        page = client.get(reverse("pipeline:board"))
    assert "400,50\u00a0₽" in page.content.decode()  # one money format, no wrap before ₽
