from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from crm.tests.factories import ClientFactory, stage
from payments import services
from payments.models import Payment
from payments.tasks import payments_check_pending_task
from pipeline.models import StageMove

from .factories import TariffFactory


def test_beat_runs_the_poll_every_five_minutes():
    entry = settings.CELERY_BEAT_SCHEDULE["payments-check-pending"]
    assert entry == {"task": payments_check_pending_task.name, "schedule": 300}


@pytest.mark.django_db(transaction=True)
def test_poll_task_on_a_real_worker_settles_a_lost_webhook(yookassa, live_worker):
    customer = ClientFactory(stage=stage("consultation"))
    payment = services.payment_create(client=customer, tariff=TariffFactory())
    Payment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - timedelta(minutes=7))
    yookassa.set_status(payment.provider_payment_id, "succeeded")

    result = payments_check_pending_task.delay().get(timeout=60)

    assert result == {"checked": 1, "changed": 1, "failed": 0}
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    assert StageMove.objects.filter(client=customer, event="payment_succeeded").count() == 1
    # The worker asked the fake YooKassa itself: the SDK was pointed there in that process too.
    assert yookassa.requests.count(("GET", f"/v3/payments/{payment.provider_payment_id}")) == 1
