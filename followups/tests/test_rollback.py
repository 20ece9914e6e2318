"""The on-commit contract, tested with real commits and a real rollback (a transactional test, not
a recorder in place of `enqueue_on_commit`): a payment confirmed inside a transaction that then
fails leaves no promise (FollowUp), no queued Telegram message (OutboundMessage) and sends no HTTP
to the Bot API; the same confirmation committed sends the client's thanks and the staff note."""

from decimal import Decimal

import pytest
from django.db import transaction

from botapp.models import OutboundMessage
from crm.tests.factories import ClientFactory, TrainerFactory, stage
from followups.models import FollowUp
from payments import services
from payments.models import Payment, PaymentEvent
from payments.tests.factories import PaymentFactory, TariffFactory
from pipeline.services import stages_ensure_defaults

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def cash_payment():
    stages_ensure_defaults()  # a transactional test starts from flushed tables
    customer = ClientFactory(telegram_id=5550001, trainer=TrainerFactory(), stage=stage("deciding"))
    tariff = TariffFactory(price=Decimal("3000.00"), grants_paid_program=False)
    return PaymentFactory(
        client=customer,
        tariff=tariff,
        provider=Payment.Provider.CASH,
        provider_payment_id="",
        status=Payment.Status.PENDING,
    )


def _confirm(payment: Payment) -> None:
    services.payment_confirm(
        payment=payment, actor=payment.client.trainer, source=services.Source.WEB
    )


def test_a_rolled_back_confirmation_sends_nothing(cash_payment, fake_telegram):
    with pytest.raises(RuntimeError), transaction.atomic():
        _confirm(cash_payment)
        # The service did queue its messages: they are promises inside this transaction.
        assert FollowUp.objects.filter(task="botapp.client_message").exists()
        raise RuntimeError("the caller fails after the service returned")

    cash_payment.refresh_from_db()
    assert cash_payment.status == Payment.Status.PENDING
    assert not PaymentEvent.objects.exists()
    assert not FollowUp.objects.exists()
    assert not OutboundMessage.objects.exists()
    assert fake_telegram.sent() == []


def test_the_same_confirmation_committed_sends_the_thanks_and_the_staff_note(
    cash_payment, fake_telegram, settings
):
    with transaction.atomic():
        _confirm(cash_payment)
        assert fake_telegram.sent() == []  # nothing leaves before the commit

    fake_telegram.wait_for(lambda calls: len(calls) >= 2, timeout=10)
    to_client = fake_telegram.sent("sendMessage", chat_id=5550001)
    assert len(to_client) == 1 and "Спасибо" in to_client[0].params["text"]
    assert fake_telegram.sent("sendMessage", chat_id=int(settings.TELEGRAM_ADMIN_CHAT_ID))
    assert FollowUp.objects.filter(relayed_at__isnull=False).count() >= 2
