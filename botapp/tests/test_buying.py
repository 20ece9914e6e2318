"""Buying in the bot, against the payments app and its fake YooKassa (the real SDK over HTTP)."""

import json
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from botapp.tests.conftest import ADMIN_CHAT
from botapp.tests.journey import TelegramUser
from crm.models import Client, ClientContact
from crm.tests.factories import AdminFactory, stage
from payments.models import Payment
from payments.tests.factories import PaymentFactory, PromoCodeFactory, TariffFactory
from payments.tests.fake_yookassa import notification

pytestmark = pytest.mark.django_db
USER = 880001
MSK = ZoneInfo("Europe/Moscow")


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
    thanks = [text for text in after_link if text.startswith("Спасибо!")]
    assert len(thanks) == 1  # exactly one thank-you (then the paid program, when programs run)
    assert ClientContact.objects.filter(
        client__telegram_id=USER, direction="outbound", text=thanks[0]
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


def test_staff_chat_confirms_only_open_money_staff_took(fake_telegram, post_update, anna):
    from botapp.tests import factories as f

    anna.press("💳 Цены и тарифы")
    anna.press("Купить «Старт»")
    online = Payment.objects.get()
    client = online.client
    boss = AdminFactory(telegram_chat_id=31337)
    stranger = 4040

    def staff_says(user_id, text):
        update = f.message(user_id, text)
        update["message"]["chat"] = {"id": ADMIN_CHAT, "type": "supergroup", "title": "Тренеры"}
        before = len(fake_telegram.sent("sendMessage", chat_id=ADMIN_CHAT))
        post_update(update)
        sent = fake_telegram.sent("sendMessage", chat_id=ADMIN_CHAT)[before:]
        answers = [c.params["text"] for c in sent if c.params["text"].startswith("Платёж")]
        return answers[0] if answers else ""

    transfer = PaymentFactory(client=client, provider="transfer", provider_payment_id=None)
    staff_says(stranger, f"/confirm_payment {transfer.pk}")
    transfer.refresh_from_db()
    assert transfer.status == Payment.Status.PENDING  # not staff: ignored

    # An online payment is settled by the provider only.
    answer = staff_says(boss.telegram_chat_id, f"/confirm_payment {online.pk}")
    assert "только платёжный сервис" in answer
    online.refresh_from_db()
    assert online.status == Payment.Status.PENDING

    # A cancelled payment stays cancelled (the staff chat used to mark it paid).
    cancelled = PaymentFactory(
        client=client, provider="cash", provider_payment_id=None, status="canceled"
    )
    answer = staff_says(boss.telegram_chat_id, f"/confirm_payment {cancelled.pk}")
    assert answer.startswith(f"Платёж #{cancelled.pk} не подтверждён") and "Отменён" in answer
    cancelled.refresh_from_db()
    assert cancelled.status == Payment.Status.CANCELED

    answer = staff_says(boss.telegram_chat_id, f"/confirm_payment #{transfer.pk}")
    assert answer == f"Платёж #{transfer.pk} подтверждён."
    transfer.refresh_from_db()
    assert transfer.status == Payment.Status.SUCCEEDED and transfer.confirmed_by == boss
    [event] = transfer.events.all()
    assert (event.source, event.actor) == ("staff_chat", boss)

    answer = staff_says(boss.telegram_chat_id, f"/confirm_payment {transfer.pk}")
    assert answer.startswith(f"Платёж #{transfer.pk} не подтверждён")
    assert transfer.events.count() == 1


def test_tariff_list_shows_promotions_and_buying_gets_the_promotion_price(anna, tariffs, yookassa):
    """−20% on weekdays until 16:00 on «Старт»: shown in the list all the time (a later time: the bot paces messages by the clock), the price it gives
    only while it runs; a weaker promo code gives way to it and the client is told."""
    import time_machine

    from payments.tests.factories import PromotionFactory

    PromotionFactory(name="Утро будней", tariffs=[tariffs[0]])
    PromoCodeFactory(code="WELCOME")  # −10%: less than the promotion
    with time_machine.travel(datetime(2030, 12, 2, 17, tzinfo=MSK), tick=False):  # Monday 17:00
        anna.press("💳 Цены и тарифы")
    evening = anna.last_text()
    assert "• Старт — 2 990 ₽" in evening and "🔥 −20% по будням до 16:00" in evening
    assert "сейчас" not in evening
    assert anna.buttons()[0] == "Купить «Старт» — 2 990 ₽"

    with time_machine.travel(datetime(2030, 12, 3, 10, tzinfo=MSK), tick=False):  # Tuesday 10:00
        anna.press("💳 Цены и тарифы")
        assert "🔥 −20% по будням до 16:00 — сейчас 2 392 ₽" in anna.last_text()
        assert anna.buttons()[:2] == ["Купить «Старт» — 2 392 ₽", "Купить «12 недель» — 4 990 ₽"]
        anna.press("🏷 У меня есть промокод")
        anna.say("WELCOME")
        anna.press("Купить «Старт»")

    payment = Payment.objects.get(client__telegram_id=USER)
    assert (payment.amount, payment.promo_code, payment.promotion.name) == (
        Decimal("2392.00"),
        None,
        "Утро будней",
    )
    assert yookassa.payments[payment.provider_payment_id]["_request"]["amount"]["value"] == (
        "2392.00"
    )
    assert anna.last_text().startswith("Счёт на 2 392 ₽")
    assert "Промокод WELCOME не суммируется с акцией «Утро будней»" in anna.last_text()
