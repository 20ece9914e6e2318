"""Reconciliation jobs (beat): paid programs that never reached their payer, and the daily
comparison of open and recent payments with YooKassa's API (the local fake)."""

from datetime import timedelta

import pytest
import time_machine
from django.test import TestCase
from django.utils import timezone

from crm.tests.factories import ClientFactory
from payments import services
from payments.models import Payment, PaymentEvent
from programs.models import TrainingProgram
from programs.tests.factories import TrainingProgramFactory

from .factories import TariffFactory

pytestmark = pytest.mark.django_db
PROGRAM_TASK = "programs.tasks.program_generate_task"


@pytest.fixture
def paid(yookassa, enqueued):
    payment = services.payment_create(client=ClientFactory(), tariff=TariffFactory())
    yookassa.set_status(payment.provider_payment_id, "succeeded")
    services.payment_sync(payment=payment)
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    enqueued.clear()
    return payment


def run(job, enqueued):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return job()


def asked(enqueued):
    return [args for name, args, _kw in enqueued if name == PROGRAM_TASK]


def alerts(enqueued, words):
    return [kw["text"] for _n, _a, kw in enqueued if words in kw.get("text", "")]


def test_a_paid_program_never_delivered_is_asked_for_again_and_reported_once(paid, enqueued):
    later = paid.paid_at + timedelta(minutes=20)
    with time_machine.travel(later, tick=False):
        assert run(services.paid_programs_reconcile, enqueued) == {"asked": 1, "reported": 0}
    assert asked(enqueued) == [(paid.client_id, "paid", f"payment:{paid.pk}")]

    with time_machine.travel(later + timedelta(hours=1), tick=False):
        run(services.paid_programs_reconcile, enqueued)
        run(services.paid_programs_reconcile, enqueued)
    assert len(alerts(enqueued, "has not received the paid program")) == 1

    TrainingProgramFactory(
        client=paid.client, kind="paid", trigger=f"payment:{paid.pk}", delivered_at=later
    )
    enqueued.clear()
    with time_machine.travel(later + timedelta(hours=2), tick=False):
        assert run(services.paid_programs_reconcile, enqueued) == {"asked": 0, "reported": 0}
    assert TrainingProgram.objects.count() == 1


def test_a_payer_the_bot_cannot_reach_is_reported_not_retried(paid, enqueued):
    paid.client.bot_blocked_at = timezone.now()
    paid.client.save(update_fields=["bot_blocked_at"])
    with time_machine.travel(paid.paid_at + timedelta(minutes=20), tick=False):
        assert run(services.paid_programs_reconcile, enqueued) == {"asked": 0, "reported": 1}
        assert run(services.paid_programs_reconcile, enqueued) == {"asked": 0, "reported": 0}
    assert not asked(enqueued)


def test_daily_comparison_settles_an_open_payment_through_the_transition(yookassa, enqueued):
    payment = services.payment_create(client=ClientFactory(), tariff=TariffFactory())
    yookassa.set_status(payment.provider_payment_id, "succeeded")
    with time_machine.travel(timezone.now() + timedelta(days=10)):  # past the 7-day poll
        result = run(services.payments_compare_daily, enqueued)
    assert (result.checked, result.changed, result.failed) == (1, 1, 0)
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    event = payment.events.get(to_status="succeeded")
    assert event.source == PaymentEvent.Source.POLL


def test_daily_comparison_reports_a_paid_payment_cancelled_at_the_provider_once(
    paid, yookassa, enqueued
):
    yookassa.set_status(paid.provider_payment_id, "canceled")
    for _ in range(2):
        result = run(services.payments_compare_daily, enqueued)
        assert result.checked == 1 and result.failed == 1
    paid.refresh_from_db()
    assert paid.status == Payment.Status.SUCCEEDED
    assert len(alerts(enqueued, "cancelled in YooKassa")) == 1
