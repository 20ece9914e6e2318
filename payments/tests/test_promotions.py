"""Promotions with schedules: in force by weekday, hour (studio time) and dates; applied by themselves
at checkout (pay page, desk, bot), combined with a promo code only when they say so."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from academy.models import Membership
from academy.tests.factories import PlanFactory
from audit.models import AuditEntry
from crm.tests.factories import AdminFactory, ClientFactory, OperatorFactory, TrainerFactory
from desk import services as desk_services
from payments import services
from payments.models import Payment, Promotion, Subscription
from payments.selectors import tariff_offers

from .factories import PromoCodeFactory, PromotionFactory, TariffFactory

pytestmark = pytest.mark.django_db
MSK = ZoneInfo("Europe/Moscow")
MONDAY_MORNING = datetime(2026, 11, 30, 10, 0, tzinfo=MSK)  # a Monday


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """30 Nov 2026 (Monday) + `day` days, at hour:minute Moscow time."""
    return datetime(2026, 11, 30, hour, minute, tzinfo=MSK) + timedelta(days=day)


@pytest.fixture
def tariff():
    return TariffFactory(name="Старт", price=Decimal("1000.00"), grants_paid_program=False)


@pytest.mark.parametrize(
    ("moment", "in_force"),
    [
        (at(0, 10), True),  # Monday morning
        (at(0, 15, 59), True),
        (at(0, 16), False),  # "until 16:00" ends at 16:00
        (at(4, 9), True),  # Friday
        (at(5, 10), False),  # Saturday
        (at(6, 10), False),  # Sunday
    ],
)
def test_in_force_on_its_weekdays_and_hours(tariff, moment, in_force):
    promotion = PromotionFactory(tariffs=[tariff])
    with time_machine.travel(moment, tick=False):
        assert (services.promotion_for(tariff) == promotion) is in_force
        expected = Decimal("800.00") if in_force else Decimal("1000.00")
        assert services.price_quote(tariff=tariff) == expected


def test_hours_are_the_studios_local_time(tariff):
    PromotionFactory(tariffs=[tariff])
    # 12:59 UTC is 15:59 in Moscow; 13:00 UTC is 16:00 there.
    assert services.promotion_for(tariff, datetime(2026, 11, 30, 12, 59, tzinfo=ZoneInfo("UTC")))
    assert not services.promotion_for(tariff, datetime(2026, 11, 30, 13, tzinfo=ZoneInfo("UTC")))


def test_dates_tariffs_and_the_off_switch(tariff):
    other = TariffFactory(name="Другой")
    promotion = PromotionFactory(
        tariffs=[tariff], time_to=None, starts_on=date(2026, 12, 1), ends_on=date(2026, 12, 3)
    )
    assert services.promotion_for(tariff, at(0, 10)) is None  # before its first day
    assert services.promotion_for(tariff, at(1, 10)) == promotion
    assert services.promotion_for(tariff, at(3, 23, 59)) == promotion  # the last day counts
    assert services.promotion_for(tariff, at(4, 0)) is None
    assert services.promotion_for(other, at(1, 10)) is None  # not its tariff
    Promotion.objects.filter(pk=promotion.pk).update(is_active=False)
    assert services.promotion_for(tariff, at(1, 10)) is None


def test_the_best_of_several_promotions_wins(tariff):
    PromotionFactory(name="−10%", value=Decimal("10"), time_to=None)  # every tariff
    better = PromotionFactory(name="−300 ₽", kind="fixed", value=Decimal("300"), time_to=None)
    assert services.promotion_for(tariff, at(0, 18)) == better
    with time_machine.travel(at(0, 18), tick=False):
        assert services.price_quote(tariff=tariff) == Decimal("700.00")


@time_machine.travel(MONDAY_MORNING, tick=False)
def test_a_promo_code_does_not_combine_unless_the_promotion_says_so(tariff):
    promotion = PromotionFactory(tariffs=[tariff])  # −20%
    PromoCodeFactory(code="TEN", value=Decimal("10"))
    PromoCodeFactory(code="THIRTY", value=Decimal("30"))

    weaker = services.price_offer(tariff=tariff, promo_code="ten")
    assert (weaker.amount, weaker.promotion, weaker.promo) == (Decimal("800.00"), promotion, None)
    assert "TEN" in weaker.note and "акция выгоднее" in weaker.note

    stronger = services.price_offer(tariff=tariff, promo_code="thirty")
    assert (stronger.amount, stronger.promotion, stronger.promo.code) == (
        Decimal("700.00"),
        None,
        "THIRTY",
    )
    assert "промокод выгоднее" in stronger.note

    promotion.combines_with_promo_code = True
    promotion.save()
    both = services.price_offer(tariff=tariff, promo_code="ten")
    # The code applies to the promotion's price: 1000 − 20% = 800, − 10% = 720.
    assert (both.amount, both.promotion_discount, both.promo.code, both.note) == (
        Decimal("720.00"),
        Decimal("200.00"),
        "TEN",
        "",
    )
    with pytest.raises(services.PaymentError):  # a bad code is still refused, not ignored
        services.price_offer(tariff=tariff, promo_code="NOPE")


def test_a_bonus_is_compared_by_its_share_of_the_price(tariff):
    # +21 days of an 84-day tariff is worth a quarter of the price: 250 ₽ > a 10% code.
    PromotionFactory(kind="days", value=Decimal("21"), time_to=None, tariffs=[tariff])
    PromoCodeFactory(code="TEN", value=Decimal("10"))
    tariff.duration_days = 84
    tariff.save()
    offer = services.price_offer(tariff=tariff, promo_code="TEN", at=at(0, 18))
    assert (offer.amount, offer.bonus_days, offer.promo) == (Decimal("1000.00"), 21, None)


def test_desk_sale_stores_the_promotion_and_bonus_days_extend_the_subscription(tariff):
    operator = OperatorFactory()
    desk_services.shift_open(operator=operator)
    person = ClientFactory()
    discount = PromotionFactory(tariffs=[tariff])
    with time_machine.travel(MONDAY_MORNING, tick=False):
        entry = desk_services.ledger_sell(
            client=person, tariff=tariff, method="cash", actor=operator
        )
    payment = entry.payment
    assert (payment.amount, payment.promotion, payment.promotion_discount) == (
        Decimal("800.00"),
        discount,
        Decimal("200.00"),
    )
    assert AuditEntry.objects.filter(object_id=str(payment.pk), action="payment.record").exists()

    discount.is_active = False
    discount.save()
    PromotionFactory(
        kind="days", value=Decimal("7"), weekdays=list(range(7)), time_to=None, tariffs=[tariff]
    )
    with time_machine.travel(at(5, 12), tick=False):  # Saturday: the bonus runs all week
        later = desk_services.ledger_sell(
            client=ClientFactory(), tariff=tariff, method="cash", actor=operator
        ).payment
    assert (later.amount, later.bonus_days, later.promotion_discount) == (
        Decimal("1000.00"),
        7,
        Decimal("0.00"),
    )
    subscription = Subscription.objects.get(last_payment=later)
    assert subscription.ends_on - subscription.starts_on == timedelta(days=tariff.duration_days + 6)


def test_bonus_visits_land_on_the_membership():
    plan = PlanFactory(visits=2)  # "2+1": two visits and one free
    PromotionFactory(name="2+1", kind="visits", value=Decimal("1"), tariffs=[plan.tariff])
    operator = OperatorFactory()
    with time_machine.travel(MONDAY_MORNING, tick=False):
        payment = services.payment_record_manual(
            client=ClientFactory(), tariff=plan.tariff, provider="cash", actor=operator
        )
    membership = Membership.objects.get(payment=payment)
    assert (payment.amount, payment.bonus_visits, membership.visits_total) == (
        plan.tariff.price,
        1,
        3,
    )


def test_labels_say_what_and_when(tariff):
    assert PromotionFactory().label() == "−20% по будням до 16:00"
    assert (
        PromotionFactory(
            kind="visits",
            value=Decimal("1"),
            weekdays=[5, 6],
            time_from=time(10),
            time_to=time(14),
            ends_on=date(2026, 12, 31),
        ).label()
        == "+1 занятие в подарок по выходным с 10:00 до 14:00 (акция до 31.12.2026)"
    )
    assert (
        PromotionFactory(kind="days", value=Decimal("5"), weekdays=[0, 2], time_to=None).label()
        == "+5 дней в подарок по пн, ср"
    )
    assert PromotionFactory(
        kind="fixed", value=Decimal("500"), weekdays=list(range(7))
    ).label() == ("−500 ₽ до 16:00")


def test_tariff_offers_show_promotions_in_a_constant_number_of_queries(
    tariff, django_assert_max_num_queries
):
    PromotionFactory(tariffs=[tariff])
    for n in range(5):
        PromotionFactory(name=f"P{n}", value=Decimal("5"), tariffs=[TariffFactory()])
    with django_assert_max_num_queries(3):
        offers = tariff_offers(MONDAY_MORNING)
    mine = next(offer for offer in offers if offer.tariff == tariff)
    assert mine.price_now == Decimal("800.00") and len(mine.promotions) == 1


# --- /pay/ ----------------------------------------------------------------------------------------


def test_pay_page_sends_the_promotion_price_to_yookassa(client, tariff, yookassa, enqueued):
    PromotionFactory(tariffs=[tariff])
    data = {"tariff": tariff.pk, "name": "Анна", "phone": "+79161234567", "email": ""}
    with time_machine.travel(MONDAY_MORNING, tick=False):
        page = client.get(reverse("payments:pay")).content.decode()
        assert "−20% по будням до 16:00" in page and "800" in page
        response = client.post(reverse("payments:pay"), data)
    assert response.status_code == 302
    payment = Payment.objects.get()
    sent = yookassa.payments[payment.provider_payment_id]["_request"]
    assert sent["amount"] == {"value": "800.00", "currency": "RUB"}
    assert payment.promotion_discount == Decimal("200.00") and payment.promotion is not None

    with time_machine.travel(at(0, 17), tick=False):  # after 16:00: the full price
        client.post(reverse("payments:pay"), {**data, "phone": "+79161234568"})
    late = Payment.objects.exclude(pk=payment.pk).get()
    assert yookassa.payments[late.provider_payment_id]["_request"]["amount"]["value"] == "1000.00"
    assert late.promotion is None


def test_pay_page_tells_the_client_which_discount_won(client, tariff, yookassa, enqueued):
    PromotionFactory(tariffs=[tariff])
    PromoCodeFactory(code="TEN")
    data = {"tariff": tariff.pk, "name": "Анна", "phone": "+79161234567", "promo_code": "TEN"}
    with time_machine.travel(MONDAY_MORNING, tick=False):
        client.post(reverse("payments:pay"), data)
        payment = Payment.objects.get()
        assert payment.amount == Decimal("800.00") and payment.promo_code is None
        back = client.get(reverse("payments:pay-return")).content.decode()
    assert "не суммируется" in back


# --- Staff page -----------------------------------------------------------------------------------


def test_admin_creates_and_edits_a_promotion_with_an_audit_trail(client, tariff):
    admin = AdminFactory()
    client.force_login(admin)
    form = {
        "name": "Утро будней",
        "kind": "percent",
        "value": "20",
        "tariffs": [tariff.pk],
        "weekdays": ["0", "1", "2", "3", "4"],
        "time_from": "",
        "time_to": "16:00",
        "starts_on": "",
        "ends_on": "",
        "is_active": "on",
    }
    response = client.post(reverse("payments:promotion-add"), form)
    assert response.status_code == 302
    promotion = Promotion.objects.get()
    assert promotion.weekdays == [0, 1, 2, 3, 4] and list(promotion.tariffs.all()) == [tariff]
    listing = client.get(reverse("payments:promotion-list")).content.decode()
    assert "−20% по будням до 16:00" in listing

    client.post(reverse("payments:promotion-edit", args=[promotion.pk]), {**form, "value": "25"})
    promotion.refresh_from_db()
    assert promotion.value == Decimal("25")
    entries = AuditEntry.objects.filter(action="promotion.save").order_by("at", "id")
    assert entries.count() == 2 and entries.last().changes == {"value": ["20.00", "25"]}


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"weekdays": []}, "weekdays", "Выберите хотя бы один день недели."),
        ({"time_from": "16:00", "time_to": "10:00"}, "time_to", "позже"),
        ({"value": "100"}, "value", "меньше 100"),
        ({"kind": "visits", "value": "1.5"}, "value", "целое"),
        ({"starts_on": "2026-12-10", "ends_on": "2026-12-01"}, "ends_on", "раньше"),
    ],
)
def test_bad_promotion_input_gets_a_clear_message_and_saves_nothing(
    client, tariff, change, field, message
):
    client.force_login(AdminFactory())
    form = {"name": "Акция", "kind": "percent", "value": "20", "weekdays": ["0"], **change}
    response = client.post(reverse("payments:promotion-add"), form)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Promotion.objects.exists()


def test_only_admins_manage_promotions(client):
    client.force_login(TrainerFactory())
    assert client.get(reverse("payments:promotion-list")).status_code == 200
    assert client.get(reverse("payments:promotion-add")).status_code == 403
    assert client.post(reverse("payments:promotion-add"), {"name": "x"}).status_code == 403
    assert not Promotion.objects.exists()
