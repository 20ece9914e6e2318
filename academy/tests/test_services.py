import threading
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from academy import services
from academy.models import Attendance, Booking, Membership, MembershipPlan, Session
from crm.tests.factories import AdminFactory, ClientFactory
from payments.models import Payment
from pipeline.services import stages_ensure_defaults

from .conftest import texts_to
from .factories import (
    MembershipFactory,
    PlanFactory,
    SessionFactory,
    TrainingGroupFactory,
)

pytestmark = pytest.mark.django_db
TZ = timezone.get_current_timezone()
# Monday 30 November 2026, 10:00 Moscow time.
MONDAY = datetime(2026, 11, 30, 10, 0, tzinfo=TZ)


# --- Schedule -------------------------------------------------------------------------------------


@time_machine.travel(MONDAY, tick=False)
def test_weekly_pattern_produces_dated_sessions_once():
    group = TrainingGroupFactory(weekdays="024", start_time=time(19, 0), capacity=12)

    created = services.sessions_generate(weeks=2)

    sessions = list(Session.objects.filter(group=group))
    # Mon/Wed/Fri for two weeks plus the Monday at the end of the window.
    assert created == len(sessions) == 7
    first = timezone.localtime(sessions[0].starts_at)
    assert (first.date(), first.time()) == (date(2026, 11, 30), time(19, 0))
    assert {timezone.localtime(s.starts_at).weekday() for s in sessions} == {0, 2, 4}
    assert all(s.capacity == 12 and s.trainer_id == group.trainer_id for s in sessions)
    assert services.sessions_generate(weeks=2) == 0  # a rerun (beat, retry) adds nothing


@time_machine.travel(MONDAY.replace(hour=20), tick=False)
def test_generation_skips_past_slots_and_a_hall_taken_by_a_one_off():
    group = TrainingGroupFactory(weekdays="02", start_time=time(19, 0))
    SessionFactory(
        hall=group.hall,
        starts_at=datetime(2026, 12, 2, 18, 30, tzinfo=TZ),
        ends_at=datetime(2026, 12, 2, 20, 0, tzinfo=TZ),
    )

    services.sessions_generate(weeks=1)

    days = sorted(timezone.localtime(s.starts_at).date() for s in group.sessions.all())
    assert days == [date(2026, 12, 7)]  # today 19:00 has passed; Wednesday's hall is taken


def test_a_group_overlapping_another_in_the_same_hall_is_refused():
    first = TrainingGroupFactory(weekdays="02", start_time=time(19, 0), duration_minutes=90)
    clash = TrainingGroupFactory.build(
        hall=first.hall,
        discipline=first.discipline,
        trainer=first.trainer,
        weekdays="2",
        start_time=time(20, 0),
    )
    with pytest.raises(services.AcademyError, match="занят"):
        services.group_save(group=clash)
    assert not clash.pk

    clash.start_time = time(20, 30)  # starts when the first ends: fine
    services.group_save(group=clash)
    assert clash.pk


@time_machine.travel(MONDAY, tick=False)
def test_one_off_session_refuses_a_busy_hall_and_the_past():
    existing = SessionFactory(starts_at=MONDAY + timedelta(hours=9))
    kwargs = {
        "title": "Открытый ковёр",
        "discipline": existing.discipline,
        "trainer": existing.trainer,
        "hall": existing.hall,
        "duration_minutes": 60,
        "capacity": 20,
    }
    with pytest.raises(services.AcademyError, match="занят"):
        services.session_create(starts_at=MONDAY + timedelta(hours=10), **kwargs)
    with pytest.raises(services.AcademyError, match="прошлом"):
        services.session_create(starts_at=MONDAY - timedelta(hours=1), **kwargs)
    assert Session.objects.count() == 1

    session = services.session_create(starts_at=MONDAY + timedelta(hours=11), **kwargs)
    assert session.ends_at - session.starts_at == timedelta(minutes=60)


# --- Bookings and the waitlist --------------------------------------------------------------------


def test_full_session_puts_clients_on_the_waitlist_and_a_cancellation_promotes_the_first(sent):
    session = SessionFactory(capacity=1)
    first, second, third = ClientFactory(), ClientFactory(), ClientFactory()

    booked = services.booking_create(session=session, client=first)
    waiting = services.booking_create(session=session, client=second)
    later = services.booking_create(session=session, client=third)

    assert not booked.waitlisted
    assert (waiting.waitlisted, waiting.position) == (True, 1)
    assert (later.waitlisted, later.position) == (True, 2)
    session.refresh_from_db()
    assert session.booked_count == 1

    promoted = services.booking_cancel(booking=booked.booking)

    assert [b.client for b in promoted] == [second]
    assert Booking.objects.get(session=session, client=second).status == Booking.Status.BOOKED
    assert Booking.objects.get(session=session, client=third).status == Booking.Status.WAITLISTED
    session.refresh_from_db()
    assert session.booked_count == 1
    [text] = texts_to(sent, second)
    assert "Освободилось место" in text


def test_booking_twice_is_refused_and_rebooking_after_cancelling_works():
    session = SessionFactory()
    client = ClientFactory()
    result = services.booking_create(session=session, client=client)
    with pytest.raises(services.AcademyError, match="уже записаны"):
        services.booking_create(session=session, client=client)
    services.booking_cancel(booking=result.booking)
    again = services.booking_create(session=session, client=client)
    assert again.booking.pk == result.booking.pk and again.booking.status == Booking.Status.BOOKED
    session.refresh_from_db()
    assert session.booked_count == 1


def test_booking_a_cancelled_or_past_session_is_refused():
    client = ClientFactory()
    past = SessionFactory(starts_at=timezone.now() - timedelta(hours=1))
    cancelled = SessionFactory(status=Session.Status.CANCELLED)
    with pytest.raises(services.AcademyError, match="началась"):
        services.booking_create(session=past, client=client)
    with pytest.raises(services.AcademyError, match="отменена"):
        services.booking_create(session=cancelled, client=client)
    assert not Booking.objects.exists()


def test_a_client_cannot_cancel_close_to_the_start_but_staff_can(settings):
    settings.ACADEMY_CANCEL_HOURS = 3
    session = SessionFactory(starts_at=timezone.now() + timedelta(hours=2))
    result = services.booking_create(session=session, client=ClientFactory())
    with pytest.raises(services.AcademyError, match="3 ч"):
        services.booking_cancel(booking=result.booking, by_client=True)
    assert Booking.objects.get().status == Booking.Status.BOOKED
    services.booking_cancel(booking=result.booking, by_client=False)
    assert Booking.objects.get().status == Booking.Status.CANCELLED


def test_capacity_cannot_go_below_bookings_and_a_raise_promotes_the_waitlist(sent):
    session = SessionFactory(capacity=2)
    clients = [ClientFactory() for _ in range(3)]
    for client in clients:
        services.booking_create(session=session, client=client)

    with pytest.raises(services.AcademyError, match="Уже забронировано"):
        services.session_update(session=session, capacity=1)
    session.refresh_from_db()
    assert session.capacity == 2

    services.session_update(session=session, capacity=3)
    assert Booking.objects.filter(status=Booking.Status.BOOKED).count() == 3
    assert texts_to(sent, clients[2])


def test_the_database_refuses_an_overbooked_session():
    session = SessionFactory(capacity=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Session.objects.filter(pk=session.pk).update(booked_count=2)


def test_cancelling_a_session_tells_booked_and_waiting_clients_once(sent):
    session = SessionFactory(capacity=1)
    booked, waiting = ClientFactory(), ClientFactory()
    services.booking_create(session=session, client=booked)
    services.booking_create(session=session, client=waiting)

    told = services.session_cancel(session=session, reason="Тренер заболел")
    again = services.session_cancel(session=session, reason="Тренер заболел")

    assert (told, again) == (2, 0)
    session.refresh_from_db()
    assert session.status == Session.Status.CANCELLED and session.booked_count == 0
    assert not Booking.objects.exclude(status=Booking.Status.CANCELLED).exists()
    for client in (booked, waiting):
        [text] = texts_to(sent, client)
        assert "Отменена" in text and "Тренер заболел" in text


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_clients_racing_for_the_last_place_get_one_place_and_one_waitlist_entry():
    stages_ensure_defaults()
    session = SessionFactory(capacity=3)
    for _ in range(2):
        services.booking_create(session=session, client=ClientFactory())
    racers = [ClientFactory() for _ in range(2)]
    barrier, results, errors = threading.Barrier(2), [], []

    def book(client):
        try:
            barrier.wait()
            results.append(services.booking_create(session=session, client=client))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=book, args=(c,)) for c in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert sorted(r.waitlisted for r in results) == [False, True]
    session.refresh_from_db()
    assert session.booked_count == 3
    assert Booking.objects.filter(session=session, status=Booking.Status.BOOKED).count() == 3


# --- Memberships ----------------------------------------------------------------------------------


def test_selling_a_membership_at_the_desk_goes_through_payments(sent):
    plan = services.membership_plan_create(
        name="8 занятий",
        kind=MembershipPlan.Kind.VISITS,
        visits=8,
        price=Decimal("4000"),
        duration_days=30,
    )
    client = ClientFactory()

    membership = services.membership_sell(
        client=client, plan=plan, provider=Payment.Provider.CASH, actor=AdminFactory()
    )

    assert membership.payment.status == Payment.Status.SUCCEEDED
    assert membership.payment.amount == Decimal("4000.00")
    assert (membership.visits_total, membership.visits_used) == (8, 0)
    assert membership.ends_on - membership.starts_on == timedelta(days=29)
    # A second success signal for the same payment creates nothing more.
    assert services.membership_activate(payment=membership.payment) is None
    assert Membership.objects.count() == 1


def test_plan_kinds_fix_their_visits():
    single = services.membership_plan_create(
        name="Разовое", kind=MembershipPlan.Kind.SINGLE, price=Decimal("700"), duration_days=1
    )
    unlimited = services.membership_plan_create(
        name="Безлимит",
        kind=MembershipPlan.Kind.UNLIMITED,
        visits=5,
        price=Decimal("6000"),
        duration_days=30,
    )
    assert (single.visits, unlimited.visits) == (1, None)
    with pytest.raises(services.AcademyError):
        services.membership_plan_create(
            name="Пакет", kind=MembershipPlan.Kind.VISITS, price=Decimal("1"), duration_days=30
        )


def _today_session(**kwargs):
    now = timezone.now()
    return SessionFactory(starts_at=now - timedelta(minutes=5), **kwargs)


def test_each_visit_consumes_one_and_a_correction_gives_it_back():
    membership = MembershipFactory(visits_total=2)
    session = _today_session()

    services.attendance_mark(
        session=session, client=membership.client, status="present", actor=None
    )
    services.attendance_mark(session=session, client=membership.client, status="late", actor=None)
    membership.refresh_from_db()
    assert membership.visits_used == 1  # present → late is still the same visit

    services.attendance_mark(
        session=session, client=membership.client, status="excused", actor=None
    )
    membership.refresh_from_db()
    attendance = Attendance.objects.get()
    assert membership.visits_used == 0 and attendance.membership_id is None


def test_a_visit_with_no_membership_left_is_refused_and_nothing_is_saved():
    membership = MembershipFactory(visits_total=1, visits_used=1)
    session = _today_session()

    with pytest.raises(services.AcademyError, match="нет абонемента"):
        services.attendance_mark(
            session=session, client=membership.client, status="present", actor=None
        )

    assert not Attendance.objects.exists()
    # Absent needs no membership.
    services.attendance_mark(session=session, client=membership.client, status="absent", actor=None)
    assert Attendance.objects.get().status == "absent"


def test_unlimited_membership_counts_visits_without_a_limit():
    plan = PlanFactory(kind=MembershipPlan.Kind.UNLIMITED, visits=None)
    membership = MembershipFactory(plan=plan, visits_total=None)
    for _ in range(3):
        services.attendance_mark(
            session=_today_session(), client=membership.client, status="present", actor=None
        )
    membership.refresh_from_db()
    assert membership.visits_used == 3 and membership.visits_left is None


def test_a_frozen_membership_gives_no_visits_and_moves_its_end():
    membership = MembershipFactory()
    today = timezone.localdate()
    end = membership.ends_on

    services.membership_freeze(membership=membership, start=today, end=today + timedelta(days=6))

    membership.refresh_from_db()
    assert membership.ends_on == end + timedelta(days=7)
    with pytest.raises(services.AcademyError, match="нет абонемента"):
        services.attendance_mark(
            session=_today_session(), client=membership.client, status="present", actor=None
        )
    with pytest.raises(services.AcademyError, match="уже"):
        services.membership_freeze(
            membership=membership, start=today + timedelta(days=10), end=today + timedelta(days=12)
        )


def test_roll_call_for_a_future_day_or_a_cancelled_session_is_refused():
    membership = MembershipFactory()
    future = SessionFactory(starts_at=timezone.now() + timedelta(days=2))
    with pytest.raises(services.AcademyError, match="в день"):
        services.attendance_mark(
            session=future, client=membership.client, status="present", actor=None
        )
    cancelled = _today_session(status=Session.Status.CANCELLED)
    with pytest.raises(services.AcademyError, match="отменена"):
        services.attendance_mark(
            session=cancelled, client=membership.client, status="present", actor=None
        )
    membership.refresh_from_db()
    assert membership.visits_used == 0 and not Attendance.objects.exists()


def test_staff_writes_are_in_the_audit_log():
    from audit.models import AuditEntry

    admin = AdminFactory()
    membership = MembershipFactory()
    session = _today_session()
    services.attendance_mark(
        session=session, client=membership.client, status="present", actor=admin
    )
    services.attendance_mark(
        session=session, client=membership.client, status="present", actor=admin
    )
    services.session_update(session=session, capacity=30, actor=admin)

    entries = list(AuditEntry.objects.order_by("id").values_list("action", "changes", "actor"))
    assert entries == [
        ("academy.attendance", {"status": [None, "present"]}, admin.pk),
        ("academy.session", {"capacity": [10, 30]}, admin.pk),
    ]
