"""Column sums appear once the payments app has a Payment model (built in parallel, so a stand-in
model with the agreed fields — client, amount, status — plays its part here)."""

from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection, models
from django.urls import reverse

from crm.tests.factories import ClientFactory, TrainerFactory, stage
from pipeline import selectors

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def payment_model():
    if selectors.payment_model() is not None:
        pytest.skip("payments has its own Payment model now; its tests cover real payments")

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
    try:
        yield Payment
    finally:
        with connection.schema_editor() as editor:
            editor.delete_model(Payment)
        del apps.all_models["payments"]["payment"]
        apps.clear_cache()


def test_columns_sum_succeeded_payments_of_their_visible_clients(
    client, payment_model, django_assert_num_queries
):
    from pipeline.services import stages_ensure_defaults

    stages_ensure_defaults()
    trainer = TrainerFactory()
    active = ClientFactory(trainer=trainer, stage=stage("active"))
    also_active = ClientFactory(trainer=trainer, stage=stage("active"))
    deciding = ClientFactory(trainer=trainer, stage=stage("deciding"))
    hidden = ClientFactory(trainer=TrainerFactory(), stage=stage("active"))
    payment_model.objects.create(client=active, amount=Decimal("4900.00"), status="succeeded")
    payment_model.objects.create(client=also_active, amount=Decimal("2500.50"), status="succeeded")
    payment_model.objects.create(client=deciding, amount=Decimal("4900.00"), status="pending")
    payment_model.objects.create(client=hidden, amount=Decimal("9999.00"), status="succeeded")

    board = selectors.board_get(user=trainer, filters={})
    totals = {c.stage.code: c.total for c in board.columns}

    assert board.sums_available
    assert totals["active"] == Decimal("7400.50")
    assert totals["deciding"] == Decimal("0")
    client.force_login(trainer)
    with django_assert_num_queries(6):  # one more than without payments: the sums
        page = client.get(reverse("pipeline:board"))
    assert "400,50 ₽" in page.content.decode()
