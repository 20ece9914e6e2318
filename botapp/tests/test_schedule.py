"""/schedule in the bot: the week, booking, cancelling and the waitlist — over real HTTP to the fake
Bot API, through the webhook, with the academy's services behind."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from academy import services as academy
from academy.models import Booking, MembershipPlan
from academy.tests.factories import MembershipFactory, SessionFactory
from botapp.tests.journey import TelegramUser
from crm.models import Client

pytestmark = pytest.mark.django_db
TZ = timezone.get_current_timezone()
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=TZ)  # Monday
ANNA, BORIS = 770001, 770002


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def people(fake_telegram, post_update, clock):
    anna = TelegramUser(fake_telegram, post_update, ANNA)
    boris = TelegramUser(fake_telegram, post_update, BORIS)
    anna.say("/start")
    boris.say("/start")
    return anna, boris


def _client(user_id: int) -> Client:
    return Client.objects.get(telegram_id=user_id)


def test_schedule_lists_the_week_with_free_places_and_the_membership_left(people):
    anna, _boris = people
    SessionFactory(title="BJJ начинающие", starts_at=NOW + timedelta(hours=9), capacity=12)
    SessionFactory(title="Грэпплинг", starts_at=NOW + timedelta(days=1, hours=9), capacity=1)
    SessionFactory(title="Через две недели", starts_at=NOW + timedelta(days=14))
    MembershipFactory(client=_client(ANNA), visits_total=8, visits_used=3)

    anna.say("/schedule")

    assert "Абонемент" in anna.last_text() and "осталось 5 из 8 посещений" in anna.last_text()
    buttons = anna.buttons()
    assert buttons[0] == "Пн 30.11 19:00 · BJJ начинающие · свободно 12"
    assert buttons[1].startswith("Вт 01.12 19:00 · Грэпплинг · свободно 1")
    assert not any("Через две недели" in b for b in buttons)


def test_booking_and_cancelling_in_the_bot(people):
    anna, _boris = people
    session = SessionFactory(title="BJJ начинающие", starts_at=NOW + timedelta(days=1), capacity=5)
    MembershipFactory(client=_client(ANNA))

    anna.say("/schedule")
    anna.press("Вт 01.12")
    assert "Свободно мест: 5 из 5" in anna.last_text()
    anna.press("Записаться")

    assert "Вы записаны: BJJ начинающие" in anna.last_text()
    booking = Booking.objects.get(session=session, client=_client(ANNA))
    assert booking.status == Booking.Status.BOOKED
    anna.press("← Все тренировки")
    assert anna.buttons()[0].endswith("✅ вы записаны")

    anna.press("Вт 01.12")
    anna.press("Отменить запись")
    assert "Запись отменена" in anna.last_text()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    session.refresh_from_db()
    assert session.booked_count == 0


def test_a_full_class_puts_the_client_on_the_waitlist_and_a_cancellation_promotes_them(
    people, django_capture_on_commit_callbacks
):
    anna, boris = people
    session = SessionFactory(
        title="Соревновательная", starts_at=NOW + timedelta(days=2), capacity=1
    )
    for user_id in (ANNA, BORIS):
        MembershipFactory(client=_client(user_id))

    anna.say("/schedule")
    anna.press("Ср 02.12")
    anna.press("Записаться")
    boris.say("/schedule")
    assert boris.buttons()[0].endswith("мест нет")
    boris.press("Ср 02.12")
    boris.press("Встать в лист ожидания")
    assert "вы №1 в листе ожидания" in boris.last_text()

    anna.press("Отменить запись")

    assert "Освободилось место, и вы записаны" in boris.last_text()
    assert Booking.objects.get(session=session, client=_client(BORIS)).status == "booked"
    session.refresh_from_db()
    assert session.booked_count == 1


def test_cancelling_too_close_to_the_start_is_refused_with_the_rule(people, settings, clock):
    anna, _boris = people
    settings.ACADEMY_CANCEL_HOURS = 3
    session = SessionFactory(title="Утро", starts_at=NOW + timedelta(hours=4))
    MembershipFactory(client=_client(ANNA))
    anna.say("/schedule")
    anna.press("Пн 30.11")
    anna.press("Записаться")

    clock.shift(timedelta(hours=2))  # two hours before the start
    anna.press("Отменить запись")

    assert "не позже чем за 3 ч" in anna.last_text()
    assert Booking.objects.get(session=session).status == Booking.Status.BOOKED


def test_without_a_membership_the_bot_offers_to_buy_one(people):
    anna, _boris = people
    SessionFactory(title="BJJ", starts_at=NOW + timedelta(days=1))
    academy.membership_plan_create(
        name="8 занятий",
        kind=MembershipPlan.Kind.VISITS,
        visits=8,
        price=Decimal("4800"),
        duration_days=30,
    )

    anna.say("/schedule")

    assert "Нет действующего абонемента" in anna.last_text()
    assert "Купить «8 занятий» — 4 800 ₽" in anna.buttons()
    anna.press("Вт 01.12")
    anna.press("Записаться")
    assert "нет абонемента на этот день" in anna.texts()[-2]
    assert anna.buttons() == ["Купить «8 занятий» — 4 800 ₽"]


def test_a_cancelled_session_cannot_be_booked(people):
    anna, _boris = people
    session = SessionFactory(title="BJJ", starts_at=NOW + timedelta(days=1))
    anna.say("/schedule")
    academy.session_cancel(session=session, reason="")
    anna.press("Вт 01.12")
    assert "Эта тренировка отменена." in anna.last_text()
    assert "Записаться" not in anna.buttons()
