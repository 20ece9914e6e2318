"""Two clients racing for the last use of a promo code: the row lock lets only one through."""

import threading

import pytest
from django.db import connection

from crm.tests.factories import ClientFactory, stage
from payments import services
from payments.models import Payment
from pipeline.services import stages_ensure_defaults

from .factories import PromoCodeFactory, TariffFactory


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_payments_cannot_overrun_a_promo_limit(yookassa):
    stages_ensure_defaults()  # a transactional test starts from flushed tables
    PromoCodeFactory(code="LAST", max_uses=1)
    tariff = TariffFactory()
    clients = [ClientFactory(stage=stage("consultation")) for _ in range(4)]
    barrier = threading.Barrier(len(clients))
    outcomes: list[str] = []

    def attempt(client):
        try:
            barrier.wait()
            services.payment_create(client=client, tariff=tariff, promo_code="LAST")
            outcomes.append("ok")
        except services.PaymentError as exc:
            outcomes.append(str(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert outcomes.count("ok") == 1
    assert Payment.objects.filter(promo_code__code="LAST").count() == 1
    assert all("израсходован" in o for o in outcomes if o != "ok")


@pytest.mark.django_db(transaction=True)
def test_concurrent_webhook_and_poll_settle_once(yookassa, enqueued):
    """The same payment settled from several threads at once (webhook + poll + manual)."""
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the row lock race needs PostgreSQL")
    stages_ensure_defaults()
    customer = ClientFactory(stage=stage("consultation"))
    payment = services.payment_create(client=customer, tariff=TariffFactory())
    yookassa.set_status(payment.provider_payment_id, "succeeded")
    barrier = threading.Barrier(4)
    results = []

    def settle():
        try:
            barrier.wait()
            results.append(services.payment_sync(payment=Payment.objects.get(pk=payment.pk)))
        finally:
            connection.close()

    threads = [threading.Thread(target=settle) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == ["same", "same", "same", "succeeded"]
    assert customer.stage_moves.filter(event="payment_succeeded").count() == 1
