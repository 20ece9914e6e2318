"""Column sums of what clients paid, from the payments app's Payment (looked up lazily: pipeline never
imports payments). Before that app had its model a stand-in with the agreed fields played its part."""

from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection, models
from django.urls import reverse

from crm.tests.factories import ClientFactory, TrainerFactory, stage
from pipeline import selectors

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def pay():
    """pay(client, amount, status, refunded=0) records a payment in whatever Payment exists."""
    if selectors.money_source() is not None:
        from payments.tests.factories import PaymentFactory, TariffFactory

        tariff = TariffFactory()

        def real(client, amount, status, refunded="0"):
            return PaymentFactory(
                client=client,
                tariff=tariff,
                amount=Decimal(amount),
                status=status,
                refunded_amount=Decimal(refunded),
            )

        yield real
        return

    class Payment(models.Model):
        client = models.ForeignKey("crm.Client", on_delete=models.CASCADE, related_name="+")
        amount = models.DecimalField(max_digits=10, decimal_places=2)
        status = models.CharField(max_length=16)

        class Meta:
            app_label = "payments"
            db_table = "test_board_sums_payment"

        def __str__(self) -> str:
            return f"{self.amount} {self.status}"

    with connection.schema_editor() as editor:
        editor.create_model(Payment)

    def stand_in(client, amount, status, refunded="0"):
        return Payment.objects.create(
            client=client, amount=Decimal(amount) - Decimal(refunded), status=status
        )

    try:
        yield stand_in
    finally:
        with connection.schema_editor() as editor:
            editor.delete_model(Payment)
        del apps.all_models["payments"]["payment"]
        apps.clear_cache()


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
    with django_assert_num_queries(7):  # one more than without payments: the sums
        page = client.get(reverse("pipeline:board"))
    assert "400,50\u00a0₽" in page.content.decode()  # one money format, no wrap before ₽
