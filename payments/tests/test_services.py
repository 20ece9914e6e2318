from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from crm.tests.factories import ClientFactory, UserFactory, stage
from payments import services
from payments.models import Payment, PromoCode, PromoCodeUsage, Refund, Subscription
from pipeline.models import StageMove

from .factories import PaymentFactory, PromoCodeFactory, TariffFactory

pytestmark = pytest.mark.django_db


def succeed(payment):
    return services.payment_transition(
        payment=payment, to=Payment.Status.SUCCEEDED, source=services.Source.WEBHOOK
    )


def consultation_client(**kwargs):
    return ClientFactory(stage=stage("consultation"), email="anna@example.ru", **kwargs)


def test_create_sends_our_key_and_metadata_and_moves_client(yookassa):
    client = consultation_client()
    tariff = TariffFactory()

    payment = services.payment_create(client=client, tariff=tariff)

    assert payment.status == Payment.Status.PENDING
    assert yookassa.keys == [payment.idempotence_key]
    assert len(payment.idempotence_key) <= 64
    remote = yookassa.payments[payment.provider_payment_id]
    request = remote["_request"]
    assert request["capture"] is True
    assert request["amount"] == {"value": "4990.00", "currency": "RUB"}
    assert request["metadata"]["payment_id"] == str(payment.pk)
    assert request["confirmation"]["type"] == "redirect"
    assert "receipt" not in request
    assert payment.confirmation_url == remote["confirmation"]["confirmation_url"]
    client.refresh_from_db()
    assert client.stage.code == "deciding"


def test_receipt_is_sent_when_the_shop_uses_receipts(yookassa, settings):
    settings.YOOKASSA_RECEIPTS = True
    payment = services.payment_create(client=consultation_client(), tariff=TariffFactory())
    receipt = yookassa.payments[payment.provider_payment_id]["_request"]["receipt"]
    assert receipt["customer"] == {"email": "anna@example.ru"}
    assert receipt["items"][0]["amount"]["value"] == "4990.00"


def test_timeout_at_creation_leaves_a_visible_payment_and_the_retry_reuses_its_key(yookassa):
    client = consultation_client()
    tariff = TariffFactory()
    yookassa.timeout_next = 2.5  # longer than EXTERNAL_HTTP_TIMEOUT=1

    with pytest.raises(services.PaymentError):
        services.payment_create(client=client, tariff=tariff)

    failed = Payment.objects.get()
    assert failed.status == Payment.Status.PENDING and failed.provider_payment_id is None
    assert failed.last_error
    assert len(yookassa.payments) == 1  # YooKassa did create it; we never heard back

    retried = services.payment_create(client=client, tariff=tariff)

    assert retried.pk == failed.pk
    assert yookassa.keys == [failed.idempotence_key, failed.idempotence_key]
    assert len(yookassa.payments) == 1  # the retry got the same payment, no second charge
    assert retried.provider_payment_id in yookassa.payments and retried.last_error == ""
    assert StageMove.objects.filter(client=client, event="payment_created").count() == 1


def test_api_down_at_creation_is_a_clear_error(yookassa, enqueued):
    yookassa.down = True
    with pytest.raises(services.PaymentError, match="Платёжный сервис не ответил"):
        services.payment_create(client=consultation_client(), tariff=TariffFactory())
    assert Payment.objects.get().last_error
    assert any(
        "не создала платёж" in kw["text"]
        for name, _, kw in enqueued
        if name == "botapp.staff_notify"
    )


def test_no_online_payments_without_credentials_in_production(settings):
    settings.YOOKASSA_SHOP_ID = ""
    settings.DEBUG = False
    with pytest.raises(services.PaymentError):
        services.payment_create(client=consultation_client(), tariff=TariffFactory())
    assert not Payment.objects.exists()


def test_repeated_request_hands_out_the_same_link(yookassa):
    client, tariff = consultation_client(), TariffFactory()
    first = services.payment_create(client=client, tariff=tariff)
    second = services.payment_create(client=client, tariff=tariff)
    assert first.pk == second.pk and len(yookassa.payments) == 1


def test_succeed_runs_every_follow_up_once(enqueued, django_capture_on_commit_callbacks):
    client = ClientFactory(stage=stage("deciding"))
    payment = PaymentFactory(client=client)

    with django_capture_on_commit_callbacks(execute=True):
        assert succeed(payment) == services.Transition.MOVED
        assert succeed(payment) == services.Transition.UNCHANGED

    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED and payment.paid_at
    client.refresh_from_db()
    assert client.stage.code == "purchased"
    assert StageMove.objects.filter(client=client, event="payment_succeeded").count() == 1
    subscription = Subscription.objects.get(client=client)
    assert subscription.ends_on - subscription.starts_on == timedelta(days=83)
    assert [call for call in enqueued if call[0].startswith("programs.")] == [
        ("programs.tasks.program_generate_task", (client.pk, "paid", f"payment:{payment.pk}"), {})
    ]
    [thanks] = [kw for name, _, kw in enqueued if name == "botapp.client_message"]
    assert thanks["client_id"] == client.pk and "Спасибо" in thanks["text"]
    [staff] = [kw for name, _, kw in enqueued if name == "botapp.staff_notify"]
    assert "Оплата получена" in staff["text"]


def test_no_program_for_a_tariff_that_does_not_grant_it(enqueued):
    payment = PaymentFactory(tariff=TariffFactory(grants_paid_program=False))
    succeed(payment)
    assert not [call for call in enqueued if call[0].startswith("programs.")]


def test_second_payment_extends_the_subscription(enqueued):
    client = ClientFactory(stage=stage("deciding"))
    tariff = TariffFactory(duration_days=30)
    succeed(PaymentFactory(client=client, tariff=tariff))
    succeed(PaymentFactory(client=client, tariff=tariff))
    subscription = Subscription.objects.get(client=client)
    assert (subscription.ends_on - subscription.starts_on).days == 59


# --- Promo codes ----------------------------------------------------------------------------------


def test_percent_and_fixed_promo_codes_discount_the_price(yookassa):
    tariff = TariffFactory(price=Decimal("4990"))
    PromoCodeFactory(code="TEN", value=Decimal("10"))
    PromoCodeFactory(code="MINUS1000", kind=PromoCode.Kind.FIXED, value=Decimal("1000"))
    assert services.price_quote(tariff=tariff, promo_code="ten") == Decimal("4491.00")
    payment = services.payment_create(
        client=consultation_client(), tariff=tariff, promo_code=" minus1000 "
    )
    assert payment.amount == Decimal("3990.00") and payment.promo_code.code == "MINUS1000"
    assert yookassa.payments[payment.provider_payment_id]["amount"]["value"] == "3990.00"


@pytest.mark.parametrize(
    ("promo_kwargs", "message"),
    [
        ({"is_active": False}, "не найден"),
        ({"valid_to": timezone.now() - timedelta(days=1)}, "истёк"),
        ({"valid_from": timezone.now() + timedelta(days=1)}, "ещё не действует"),
    ],
)
def test_bad_promo_codes_get_a_clear_message(yookassa, promo_kwargs, message):
    PromoCodeFactory(code="SALE", **promo_kwargs)
    with pytest.raises(services.PaymentError, match=message):
        services.payment_create(
            client=consultation_client(), tariff=TariffFactory(), promo_code="SALE"
        )
    assert not Payment.objects.exists() and yookassa.keys == []


def test_unknown_promo_code(yookassa):
    with pytest.raises(services.PaymentError, match="не найден"):
        services.payment_create(
            client=consultation_client(), tariff=TariffFactory(), promo_code="NOPE"
        )


def test_promo_code_limited_to_other_tariffs(yookassa):
    promo = PromoCodeFactory(code="ONLYFOOD")
    promo.tariffs.add(TariffFactory())
    with pytest.raises(services.PaymentError, match="не действует для тарифа"):
        services.payment_create(
            client=consultation_client(), tariff=TariffFactory(), promo_code="ONLYFOOD"
        )


def test_used_up_promo_code_and_per_client_limit(yookassa, enqueued):
    PromoCodeFactory(code="ONCE", max_uses=2, max_uses_per_client=1)
    tariff = TariffFactory()
    first_client = consultation_client()
    paid = services.payment_create(client=first_client, tariff=tariff, promo_code="ONCE")
    succeed(paid)
    assert PromoCodeUsage.objects.get().payment == paid

    with pytest.raises(services.PaymentError, match="уже использовали"):
        services.payment_create(client=first_client, tariff=tariff, promo_code="ONCE")
    # A second client's pending payment holds the last use…
    services.payment_create(client=consultation_client(), tariff=tariff, promo_code="ONCE")
    with pytest.raises(services.PaymentError, match="израсходован"):
        services.payment_create(client=consultation_client(), tariff=tariff, promo_code="ONCE")


def test_promo_usage_is_counted_on_success_only_once(enqueued):
    promo = PromoCodeFactory()
    payment = PaymentFactory(promo_code=promo, amount=Decimal("4491.00"))
    succeed(payment)
    succeed(payment)
    usage = PromoCodeUsage.objects.get()
    assert usage.discount == Decimal("499.00")


# --- Manual payments ------------------------------------------------------------------------------


def test_cash_payment_is_settled_with_who_recorded_it(enqueued):
    trainer = UserFactory()
    client = ClientFactory(stage=stage("consultation"), trainer=trainer)
    payment = services.payment_record_manual(
        client=client, tariff=TariffFactory(), provider="cash", actor=trainer, note="в зале"
    )
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.confirmed_by == trainer and payment.paid_at
    client.refresh_from_db()
    assert client.stage.code == "purchased"
    move = StageMove.objects.get(client=client, event="payment_succeeded")
    assert move.actor == trainer


def test_manual_payment_rejects_online_provider():
    with pytest.raises(services.PaymentError):
        services.payment_record_manual(
            client=ClientFactory(), tariff=TariffFactory(), provider="yookassa", actor=UserFactory()
        )


def test_confirm_refuses_a_cancelled_payment():
    payment = PaymentFactory(status=Payment.Status.CANCELED, provider=Payment.Provider.CASH)
    with pytest.raises(services.PaymentError, match="Отменён"):
        services.payment_confirm(payment=payment, actor=UserFactory(), source="web")
    assert not payment.events.exists()


# --- Refunds --------------------------------------------------------------------------------------


def _paid_online(yookassa) -> Payment:
    payment = services.payment_create(client=consultation_client(), tariff=TariffFactory())
    yookassa.set_status(payment.provider_payment_id, "succeeded")
    services.payment_sync(payment=payment)
    payment.refresh_from_db()
    return payment


def test_partial_then_full_refund_through_yookassa(yookassa, enqueued):
    payment = _paid_online(yookassa)
    admin = UserFactory(role="admin")

    part = services.refund_create(
        payment=payment, actor=admin, amount=Decimal("990"), reason="Часть"
    )
    payment.refresh_from_db()
    assert part.status == Refund.Status.SUCCEEDED and part.provider_refund_id in yookassa.refunds
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.refunded_amount == Decimal("990.00")
    payment.client.refresh_from_db()
    assert payment.client.paid_total == Decimal("4000.00")  # what the board adds up

    rest = services.refund_create(payment=payment, actor=admin)
    payment.refresh_from_db()
    assert rest.amount == Decimal("4000.00")
    assert payment.status == Payment.Status.REFUNDED and payment.net_amount == 0
    assert yookassa.keys[-2:] == [part.idempotence_key, rest.idempotence_key]
    payment.client.refresh_from_db()
    assert payment.client.paid_total == Decimal("0.00")

    with pytest.raises(services.PaymentError):
        services.refund_create(payment=payment, actor=admin)


def test_refund_cannot_exceed_the_amount(yookassa, enqueued):
    payment = _paid_online(yookassa)
    with pytest.raises(
        services.PaymentError, match="Сумма возврата должна быть от 0,01 до 4990,00"
    ):
        services.refund_create(payment=payment, actor=None, amount=Decimal("5000"))
    assert not Refund.objects.exists()


def test_refund_of_a_cash_payment_is_recorded_at_once(enqueued):
    payment = services.payment_record_manual(
        client=ClientFactory(), tariff=TariffFactory(), provider="cash", actor=UserFactory()
    )
    refund = services.refund_create(payment=payment, actor=None)
    payment.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED and payment.status == Payment.Status.REFUNDED


def test_the_clients_paid_total_follows_its_payments_and_a_replay_adds_nothing(enqueued):
    client, tariff = ClientFactory(), TariffFactory(price=Decimal("3000"))
    first = services.payment_record_manual(
        client=client, tariff=tariff, provider="cash", actor=UserFactory()
    )
    services.payment_record_manual(
        client=client, tariff=tariff, provider="card", actor=UserFactory()
    )
    PaymentFactory(client=client, tariff=tariff)  # pending: not paid yet
    client.refresh_from_db()
    assert client.paid_total == Decimal("6000.00")

    # The same success told again (a duplicated notification) changes nothing.
    again = services.payment_transition(payment=first, to=Payment.Status.SUCCEEDED, source="api")
    client.refresh_from_db()
    assert again == services.Transition.UNCHANGED and client.paid_total == Decimal("6000.00")

    services.refund_create(payment=first, actor=None)
    client.refresh_from_db()
    assert client.paid_total == Decimal("3000.00")
    assert services.clients_paid_refresh([client.pk]) == 1
    client.refresh_from_db()
    assert client.paid_total == Decimal("3000.00")


# --- Polling --------------------------------------------------------------------------------------


def test_poll_settles_a_payment_whose_webhook_never_came(yookassa, enqueued):
    client = consultation_client()
    payment = services.payment_create(client=client, tariff=TariffFactory())
    Payment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - timedelta(minutes=10))
    yookassa.set_status(payment.provider_payment_id, "succeeded")
    young = services.payment_create(client=consultation_client(), tariff=TariffFactory())
    yookassa.set_status(young.provider_payment_id, "succeeded")

    result = services.payments_check_pending()

    assert (result.checked, result.changed, result.failed) == (1, 1, 0)
    payment.refresh_from_db()
    young.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    assert young.status == Payment.Status.PENDING  # its webhook may still come
    assert services.payments_check_pending().checked == 0


def test_check_payments_command(yookassa, enqueued, capsys):
    payment = services.payment_create(client=consultation_client(), tariff=TariffFactory())
    yookassa.set_status(payment.provider_payment_id, "canceled")
    call_command("check_payments", "--min-age", "0")
    assert "Checked 1, settled 1, could not check 0." in capsys.readouterr().out
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CANCELED


def test_poll_survives_the_api_being_down(yookassa):
    services.payment_create(client=consultation_client(), tariff=TariffFactory())
    yookassa.down = True
    result = services.payments_check_pending(min_age=timedelta(0))
    assert (result.checked, result.failed) == (1, 1)


def test_refund_timeout_is_retried_with_the_same_key_not_refunded_twice(yookassa, enqueued):
    payment = _paid_online(yookassa)
    yookassa.timeout_next = 2.5
    with pytest.raises(services.PaymentError, match="Нажмите"):
        services.refund_create(payment=payment, actor=None, amount=Decimal("1000"))
    waiting = Refund.objects.get()
    assert waiting.status == Refund.Status.PENDING and waiting.provider_refund_id is None
    assert len(yookassa.refunds) == 1  # YooKassa did refund; we never heard back

    retried = services.refund_create(payment=payment, actor=None, amount=Decimal("1000"))

    assert retried.pk == waiting.pk and retried.status == Refund.Status.SUCCEEDED
    assert yookassa.keys[-2:] == [waiting.idempotence_key, waiting.idempotence_key]
    assert len(yookassa.refunds) == 1
    payment.refresh_from_db()
    assert payment.refunded_amount == Decimal("1000.00")


def test_refund_refused_by_yookassa_is_cancelled(yookassa, enqueued):
    payment = _paid_online(yookassa)
    yookassa.payments[payment.provider_payment_id]["status"] = "canceled"  # the fake answers 400
    with pytest.raises(services.PaymentError, match="не приняла"):
        services.refund_create(payment=payment, actor=None)
    assert Refund.objects.get().status == Refund.Status.CANCELED
    payment.refresh_from_db()
    assert payment.refunded_amount == 0


def test_poll_cancels_a_payment_that_never_reached_yookassa(yookassa, enqueued):
    yookassa.down = True
    with pytest.raises(services.PaymentError):
        services.payment_create(client=consultation_client(), tariff=TariffFactory())
    payment = Payment.objects.get()
    assert services.payments_check_pending().changed == 0  # still retryable
    Payment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - timedelta(hours=25))
    assert services.payments_check_pending().changed == 1
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CANCELED


def test_success_notifies_the_clients_trainer_once_under_the_bell():
    from crm.models import Notification
    from crm.tests.factories import TrainerFactory

    trainer = TrainerFactory()
    payment = PaymentFactory(
        client=consultation_client(trainer=trainer, first_name="Анна", last_name="Ким"),
        amount=Decimal("14990.00"),
        status=Payment.Status.PENDING,
    )
    succeed(payment)
    services.payment_transition(
        payment=payment, to=Payment.Status.SUCCEEDED, source=services.Source.POLL
    )

    note = Notification.objects.get(recipient=trainer)
    assert (
        note.kind == "client_paid" and "14\u202f990\u00a0₽" in note.text and "Анна Ким" in note.text
    )
    assert note.url == f"/payments/{payment.pk}/"
