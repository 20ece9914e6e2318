"""The four periodic notifications, run as beat would (`run_scheduled --job`) with a moved clock."""

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from academy import services
from academy.models import Booking, Membership, MissedStreakAlert
from automations.tests.factories import ConsentingClientFactory
from crm.models import ClientAction, Notification
from crm.tests.factories import ClientFactory
from privacy.models import Channel, Consent, ConsentKind
from privacy.services import consent_record

from .conftest import texts_to
from .factories import MembershipFactory, SessionFactory

pytestmark = pytest.mark.django_db
TZ = timezone.get_current_timezone()
MONDAY = datetime(2026, 11, 30, 10, 0, tzinfo=TZ)


def run(job: str) -> None:
    call_command("run_scheduled", job=[job], stdout=open("/dev/null", "w"))


def test_the_reminder_goes_two_hours_before_a_booked_session_once(sent):
    with time_machine.travel(MONDAY, tick=False):
        session = SessionFactory(starts_at=MONDAY + timedelta(hours=9))  # 19:00
        booked, waiting, cancelled = ClientFactory(), ClientFactory(), ClientFactory()
        session.capacity = 2
        session.save()
        services.booking_create(session=session, client=booked)
        gone = services.booking_create(session=session, client=cancelled)
        services.booking_create(session=session, client=waiting)  # waitlisted
        services.booking_cancel(booking=gone.booking)  # …and promoted
        sent.clear()

    with time_machine.travel(MONDAY + timedelta(hours=6), tick=False):  # 16:00: too early
        run("academy-booking-reminders")
    assert sent == []
    with time_machine.travel(MONDAY + timedelta(hours=7, minutes=5), tick=False):  # 17:05
        run("academy-booking-reminders")
        run("academy-booking-reminders")
    with time_machine.travel(MONDAY + timedelta(hours=8), tick=False):
        run("academy-booking-reminders")

    assert len(texts_to(sent, booked)) == 1 and "Напоминание" in texts_to(sent, booked)[0]
    assert len(texts_to(sent, waiting)) == 1  # promoted from the waitlist: booked now
    assert texts_to(sent, cancelled) == []


def _absent(client, when, status="absent"):
    session = SessionFactory(starts_at=when)
    with time_machine.travel(when + timedelta(minutes=30), tick=False):
        services.attendance_mark(session=session, client=client, status=status, actor=None)
    return session


def test_a_class_reminder_never_falls_in_quiet_hours_nor_reaches_who_declined(sent, settings):
    """Quiet 21–9: a 7 am class is reminded of in the last hour before them (20:00–21:00), a
    10:30 class when they end (9:00, not at 8:30)."""
    settings.QUIET_HOURS = "21-9"
    evening = MONDAY.replace(hour=19, minute=0)
    with time_machine.travel(evening, tick=False):
        early = SessionFactory(starts_at=MONDAY.replace(hour=7) + timedelta(days=1))
        late = SessionFactory(starts_at=MONDAY.replace(hour=10, minute=30) + timedelta(days=1))
        anna, vera, declined = (ConsentingClientFactory() for _ in range(3))
        consent_record(
            client=declined,
            kind=ConsentKind.PERSONAL,
            decision=Consent.Decision.DECLINED,
            channel=Channel.TELEGRAM,
        )
        services.booking_create(session=early, client=anna)
        services.booking_create(session=early, client=declined)
        services.booking_create(session=late, client=vera)
        sent.clear()
        run("academy-booking-reminders")  # 19:00: not yet
    assert sent == []

    with time_machine.travel(evening + timedelta(hours=1, minutes=10), tick=False):  # 20:10
        run("academy-booking-reminders")
    assert len(texts_to(sent, anna)) == 1 and texts_to(sent, vera) == []
    for hour in (23, 5, 8):  # quiet: nothing, though Vera's class is 2 hours away at 8:30
        at = MONDAY.replace(hour=hour, minute=35) + timedelta(days=1 if hour < 21 else 0)
        with time_machine.travel(at, tick=False):
            run("academy-booking-reminders")
    assert texts_to(sent, vera) == []
    with time_machine.travel(MONDAY.replace(hour=9, minute=5) + timedelta(days=1), tick=False):
        run("academy-booking-reminders")
    assert len(texts_to(sent, vera)) == 1 and len(texts_to(sent, anna)) == 1
    assert texts_to(sent, declined) == []
    # Not claimed: had they agreed before the class, they would have been reminded.
    assert Booking.objects.get(client=declined).reminded_at is None


def test_missed_classes_alert_once_per_streak(sent, settings):
    settings.ACADEMY_MISSED_THRESHOLD = 2
    membership = MembershipFactory(
        client=ConsentingClientFactory(),
        starts_on=date(2026, 10, 1),
        ends_on=date(2027, 1, 31),
        visits_total=20,
    )
    student = membership.client
    day = datetime(2026, 11, 2, 19, 0, tzinfo=TZ)
    _absent(student, day, "present")
    _absent(student, day + timedelta(days=2))
    with time_machine.travel(day + timedelta(days=2, hours=15), tick=False):
        run("academy-missed-streaks")
    assert sent == []  # one miss is not a streak yet

    _absent(student, day + timedelta(days=4), "excused")  # neither counts nor breaks
    last_session = _absent(student, day + timedelta(days=7))
    with time_machine.travel(day + timedelta(days=7, hours=15), tick=False):
        run("academy-missed-streaks")
        run("academy-missed-streaks")
    _absent(student, day + timedelta(days=9))  # the same streak goes on: no second alert
    with time_machine.travel(day + timedelta(days=9, hours=15), tick=False):
        run("academy-missed-streaks")

    [text] = texts_to(sent, student)
    assert "последних 2" in text
    assert MissedStreakAlert.objects.get().missed == 2
    assert ClientAction.objects.filter(client=student, kind="note").count() == 1
    staff = [kw["text"] for name, kw in sent if name == "botapp.staff_notify"]
    assert len(staff) == 1 and "пропустил" in staff[0].lower()
    [bell] = Notification.objects.filter(client=student)
    assert bell.kind == Notification.Kind.CLASSES_MISSED
    assert bell.recipient == last_session.trainer and "Пропустил(а) 2" in bell.text

    # Back on the mat, then two misses again: a new streak, a new alert.
    _absent(student, day + timedelta(days=11), "present")
    _absent(student, day + timedelta(days=14))
    _absent(student, day + timedelta(days=16))
    with time_machine.travel(day + timedelta(days=16, hours=15), tick=False):
        run("academy-missed-streaks")
    assert len(texts_to(sent, student)) == 2
    assert MissedStreakAlert.objects.count() == 2


def test_one_visit_left_is_reminded_once_and_not_when_renewed(sent):
    """By date the automations' shipped rules remind (automations/tests/test_memberships.py)."""
    today = date(2026, 11, 30)
    ending = MembershipFactory(
        starts_on=today - timedelta(days=27), ends_on=today + timedelta(days=2)
    )
    one_left, renewed, unasked = (
        MembershipFactory(
            client=ConsentingClientFactory(consent=client != "unasked"),
            starts_on=today,
            ends_on=today + timedelta(days=30),
            visits_total=8,
            visits_used=7,
        )
        for client in ("one_left", "renewed", "unasked")
    )
    MembershipFactory(client=renewed.client, starts_on=today, ends_on=today + timedelta(days=60))

    with time_machine.travel(MONDAY, tick=False):
        run("academy-membership-ending")
        run("academy-membership-ending")

    [text] = texts_to(sent, one_left.client)
    assert "осталось 1 посещение" in text and "/schedule" in text
    assert texts_to(sent, renewed.client) == []
    assert texts_to(sent, ending.client) == []  # by date: the engine's rule, not this job
    assert texts_to(sent, unasked.client) == []  # joined after the policy, never agreed


def test_expired_memberships_are_closed_after_quiet_hours(sent):
    today = date(2026, 11, 30)
    ended = MembershipFactory(
        starts_on=today - timedelta(days=30), ends_on=today - timedelta(days=1)
    )
    used_up = MembershipFactory(
        client=ConsentingClientFactory(),
        visits_total=4,
        visits_used=4,
        ends_on=today + timedelta(days=5),
    )
    current = MembershipFactory(ends_on=today)

    with time_machine.travel(MONDAY.replace(hour=0, minute=15), tick=False):
        run("academy-memberships-expire")  # quiet hours: the message would wake them
    assert set(Membership.objects.values_list("status", flat=True)) == {"active"}
    with time_machine.travel(MONDAY.replace(hour=9, minute=15), tick=False):
        run("academy-memberships-expire")
        run("academy-memberships-expire")

    statuses = dict(Membership.objects.values_list("pk", "status"))
    assert statuses == {ended.pk: "expired", used_up.pk: "expired", current.pk: "active"}
    # Its last day was announced by the automations' rule; the used-up one is told once.
    assert texts_to(sent, ended.client) == []
    [text] = texts_to(sent, used_up.client)
    assert "использованы" in text
    assert texts_to(sent, current.client) == []
