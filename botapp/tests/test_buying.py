"""Buying in the bot, against the payments app and its fake YooKassa (the real SDK over HTTP)."""

import json

import pytest

from botapp.tests.conftest import ADMIN_CHAT
from botapp.tests.journey import TelegramUser
from crm.models import Client, ClientContact
from crm.tests.factories import AdminFactory, stage
from payments.models import Payment
from payments.tests.factories import PromoCodeFactory, TariffFactory
from payments.tests.fake_yookassa import notification

pytestmark = pytest.mark.django_db
USER = 880001


@pytest.fixture
def tariffs():
    return [
        TariffFactory(name="Старт", price="2990.00", order=1),
        TariffFactory(name="12 недель", price="4990.00", order=2),
    ]


@pytest.fixture
def anna(fake_telegram, post_update, yookassa, tariffs):
    person = TelegramUser(fake_telegram, post_update, USER)
    person.say("/start")
    Client.objects.filter(telegram_id=USER).update(stage=stage("consultation"))
    return person


def test_tariffs_buy_with_promo_code_then_yookassa_success(
    anna, client, fake_telegram, yookassa, django_capture_on_commit_callbacks
):
    PromoCodeFactory(code="WELCOME")
    anna.press("💳 Цены и тарифы")
    assert anna.buttons()[:2] == ["Купить «Старт» — 2 990 ₽", "Купить «12 недель» — 4 990 ₽"]
    anna.press("🏷 У меня есть промокод")
    anna.say("WELCOME")
    assert "🏷 WELCOME" in anna.last_text()
    anna.press("Купить «12 недель»")

    payment = Payment.objects.get(client__telegram_id=USER)
    assert payment.status == Payment.Status.PENDING and payment.promo_code.code == "WELCOME"
    assert anna.last_text().startswith(f"Счёт на {int(payment.amount):,} ₽".replace(",", " "))
    assert anna.link("💳 Оплатить") == payment.confirmation_url
    link_text = anna.last_text()
    assert Client.objects.get(telegram_id=USER).stage.code == "deciding"

    yookassa.set_status(payment.provider_payment_id, "succeeded")
    body = json.dumps(notification("payment.succeeded", payment.provider_payment_id))
    for _ in range(2):  # YooKassa repeats notifications: one thank-you only
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/payments/yookassa/webhook/", data=body, content_type="application/json"
            )
        assert response.status_code == 200

    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    after_link = anna.texts()[anna.texts().index(link_text) + 1 :]
    assert len(after_link) == 1 and "Спасибо" in after_link[0]  # exactly one thank-you
    assert ClientContact.objects.filter(
        client__telegram_id=USER, direction="outbound", text=after_link[0]
    ).exists()
    staff = [c.params["text"] for c in fake_telegram.sent("sendMessage", chat_id=ADMIN_CHAT)]
    assert len(staff) == len(set(staff))  # no duplicate staff notes either


def test_bad_promo_code_gets_a_reason_and_no_payment(anna):
    anna.press("💳 Цены и тарифы")
    anna.press("🏷 У меня есть промокод")
    anna.say("NOPE")
    anna.press("Купить «Старт»")
    assert anna.last_text().startswith("Не получилось создать платёж:")
    assert not Payment.objects.exists()


def test_staff_confirms_a_payment_from_the_staff_chat(fake_telegram, post_update, anna):
    from botapp.tests import factories as f

    anna.press("💳 Цены и тарифы")
    anna.press("Купить «Старт»")
    payment = Payment.objects.get()
    boss = AdminFactory(telegram_chat_id=31337)
    stranger = 4040

    def staff_says(user_id, text):
        update = f.message(user_id, text)
        update["message"]["chat"] = {"id": ADMIN_CHAT, "type": "supergroup", "title": "Тренеры"}
        return post_update(update)

    staff_says(stranger, f"/confirm_payment {payment.pk}")
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING  # not staff: ignored

    staff_says(boss.telegram_chat_id, f"/confirm_payment {payment.pk}")
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED and payment.confirmed_by == boss
    replies = [c.params["text"] for c in fake_telegram.sent("sendMessage", chat_id=ADMIN_CHAT)]
    assert f"Платёж #{payment.pk} подтверждён." in replies
    staff_says(boss.telegram_chat_id, f"/confirm_payment {payment.pk}")
    assert (
        fake_telegram.sent("sendMessage", chat_id=ADMIN_CHAT)[-1]
        .params["text"]
        .endswith("уже оплачен")
    )
