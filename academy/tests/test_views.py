from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from academy import services
from academy.models import Attendance, Session
from crm.models import User
from crm.tests.factories import AdminFactory, ClientFactory, TrainerFactory, UserFactory

from .factories import MembershipFactory, SessionFactory, TrainingGroupFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _today_session(**kwargs):
    kwargs.setdefault("starts_at", timezone.now() - timedelta(minutes=5))
    return SessionFactory(**kwargs)


def _fill(session, students: int):
    """`students` booked clients with memberships and a history of attendance."""
    for _ in range(students):
        membership = MembershipFactory()
        services.booking_create(
            session=session, client=membership.client, now=session.starts_at - timedelta(hours=5)
        )


# --- Ownership ------------------------------------------------------------------------------------


def test_a_trainer_opens_their_own_roll_call_and_gets_404_for_another_trainers(client):
    mine = _today_session()
    other = _today_session(hall=mine.hall, starts_at=mine.starts_at + timedelta(hours=3))
    client.force_login(mine.trainer)

    assert client.get(reverse("academy:session-detail", args=[mine.pk])).status_code == 200
    assert client.get(reverse("academy:session-detail", args=[other.pk])).status_code == 404
    membership = MembershipFactory()
    services.booking_create(
        session=other, client=membership.client, now=other.starts_at - timedelta(hours=5)
    )
    response = client.post(
        reverse("academy:attendance-mark", args=[other.pk, membership.client.pk]),
        {"status": "present"},
    )
    assert response.status_code == 404
    assert not Attendance.objects.exists()


def test_the_week_shows_a_trainer_only_their_own_groups(client):
    mine = SessionFactory(title="Моя группа")
    SessionFactory(title="Чужая группа", starts_at=mine.starts_at + timedelta(hours=3))
    client.force_login(mine.trainer)

    page = client.get(
        reverse("academy:week"), {"week": timezone.localdate(mine.starts_at).isoformat()}
    )

    assert "Моя группа" in page.content.decode()
    assert "Чужая группа" not in page.content.decode()
    client.force_login(AdminFactory())
    page = client.get(
        reverse("academy:week"), {"week": timezone.localdate(mine.starts_at).isoformat()}
    )
    assert "Чужая группа" in page.content.decode()


def test_read_only_sees_the_roll_call_but_cannot_mark(client):
    session = _today_session()
    _fill(session, 1)
    reader = UserFactory(role=User.Role.READ_ONLY)
    client.force_login(reader)
    assert client.get(reverse("academy:session-detail", args=[session.pk])).status_code == 200
    student = session.bookings.get().client
    response = client.post(
        reverse("academy:attendance-mark", args=[session.pk, student.pk]), {"status": "present"}
    )
    assert response.status_code == 403


# --- Roll call ------------------------------------------------------------------------------------


def test_one_tap_saves_the_mark_and_returns_the_row_with_new_counts(client):
    session = _today_session()
    _fill(session, 2)
    student = session.bookings.order_by("pk").first().client
    client.force_login(session.trainer)

    response = client.post(
        reverse("academy:attendance-mark", args=[session.pk, student.pk]),
        {"status": "late"},
        **HTMX,
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="roll-{student.pk}"' in html and 'hx-swap-oob="true"' in html
    assert 'data-count="late">1<' in html and 'data-count="unmarked">1<' in html
    assert Attendance.objects.get(client=student).status == "late"


def test_a_tap_without_a_membership_shows_why_and_saves_nothing(client):
    session = _today_session()
    walker = ClientFactory()
    services.booking_create(
        session=session, client=walker, now=session.starts_at - timedelta(hours=5)
    )
    client.force_login(session.trainer)

    response = client.post(
        reverse("academy:attendance-mark", args=[session.pk, walker.pk]),
        {"status": "present"},
        **HTMX,
    )

    assert response.status_code == 200
    assert "нет абонемента с посещениями" in response.content.decode()
    assert not Attendance.objects.exists()


def test_a_walk_in_is_found_and_added_to_the_roll_call(client):
    session = _today_session()
    membership = MembershipFactory(client=ClientFactory(last_name="Гусейнов", trainer=None))
    client.force_login(session.trainer)

    found = client.get(reverse("academy:walk-in-search", args=[session.pk]), {"q": "гусей"}, **HTMX)
    assert "Гусейнов" in found.content.decode()
    response = client.post(
        reverse("academy:walk-in-add", args=[session.pk]), {"client": membership.client.pk}
    )

    assert response.status_code == 302
    attendance = Attendance.objects.get()
    assert attendance.walk_in and attendance.status == "present"
    assert (
        "Гусейнов"
        in client.get(reverse("academy:session-detail", args=[session.pk])).content.decode()
    )


def test_capacity_below_bookings_shows_a_message_and_keeps_the_capacity(client):
    session = SessionFactory(capacity=5)
    _fill(session, 3)
    client.force_login(session.trainer)

    response = client.post(
        reverse("academy:session-capacity", args=[session.pk]), {"capacity": 2}, follow=True
    )

    assert "Уже забронировано мест: 3" in response.content.decode()
    session.refresh_from_db()
    assert session.capacity == 5


def test_staff_create_a_one_off_session_and_a_clash_is_explained(client):
    admin = AdminFactory()
    trainer = TrainerFactory()
    existing = SessionFactory(trainer=trainer)
    client.force_login(admin)
    local = timezone.localtime(existing.starts_at)
    data = {
        "title": "Семинар",
        "discipline": existing.discipline.pk,
        "trainer": trainer.pk,
        "hall": existing.hall.pk,
        "day": local.date().isoformat(),
        "start_time": local.strftime("%H:%M"),
        "duration_minutes": 60,
        "capacity": 30,
        "level": "all",
    }
    response = client.post(reverse("academy:session-create"), data)
    assert response.status_code == 200 and "занят" in response.content.decode()
    assert Session.objects.count() == 1

    data["start_time"] = (local + timedelta(hours=2)).strftime("%H:%M")
    response = client.post(reverse("academy:session-create"), data)
    assert response.status_code == 302
    assert Session.objects.filter(title="Семинар").exists()
    client.force_login(trainer)
    assert client.get(reverse("academy:session-create")).status_code == 403


def test_cancelling_from_the_page_tells_clients(client, sent):
    session = SessionFactory()
    _fill(session, 2)
    client.force_login(session.trainer)
    client.post(reverse("academy:session-cancel", args=[session.pk]), {"reason": "Ремонт зала"})
    session.refresh_from_db()
    assert session.status == Session.Status.CANCELLED
    assert len([1 for name, kw in sent if "Ремонт зала" in kw.get("text", "")]) == 2


# --- Query counts ---------------------------------------------------------------------------------


def _count(client, url, **extra) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **extra)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_roll_call_and_tap_take_a_constant_number_of_queries(client):
    small, big = _today_session(capacity=40), _today_session(capacity=40)
    big.hall = small.hall
    _fill(small, 2)
    _fill(big, 25)
    group = TrainingGroupFactory()
    big.group = group
    big.save()
    group.regulars.add(*[ClientFactory() for _ in range(5)])
    admin = AdminFactory()
    client.force_login(admin)

    counts = [_count(client, reverse("academy:session-detail", args=[s.pk])) for s in (small, big)]
    assert counts[0] == counts[1] - 1  # the group's regulars: one more query, whatever their number

    taps = []
    for session in (small, big):
        student = session.bookings.first().client
        with CaptureQueriesContext(connection) as ctx:
            client.post(
                reverse("academy:attendance-mark", args=[session.pk, student.pk]),
                {"status": "present"},
                **HTMX,
            )
        taps.append(len(ctx.captured_queries))
    assert taps[0] == taps[1] - 1  # the roll is read once, after the mark


@time_machine.travel(datetime(2026, 11, 30, 10, 0, tzinfo=timezone.get_current_timezone()))
def test_week_calendar_takes_a_constant_number_of_queries(client):
    admin = AdminFactory()
    client.force_login(admin)
    SessionFactory(starts_at=timezone.now() + timedelta(hours=3))
    first = _count(client, reverse("academy:week"))
    for day in range(6):
        for hour in range(4):
            session = SessionFactory(
                starts_at=timezone.now() + timedelta(days=day, hours=4 + hour * 2)
            )
            _fill(session, 2)
    assert _count(client, reverse("academy:week")) == first


# --- Memberships on the client page ---------------------------------------------------------------


def test_the_desk_sells_a_membership_from_the_client_page(client):
    from decimal import Decimal

    from academy.models import Membership, MembershipPlan

    plan = services.membership_plan_create(
        name="8 занятий",
        kind=MembershipPlan.Kind.VISITS,
        visits=8,
        price=Decimal("4000"),
        duration_days=30,
    )
    trainer = TrainerFactory()
    student = ClientFactory(trainer=trainer)
    client.force_login(trainer)

    page = client.get(reverse("crm:client-detail", args=[student.pk])).content.decode()
    assert "8 занятий · 4000.00 ₽" in page
    response = client.post(
        reverse("academy:membership-sell", args=[student.pk]),
        {"plan": plan.pk, "provider": "cash"},
        follow=True,
    )

    membership = Membership.objects.get(client=student)
    assert membership.payment.provider == "cash" and membership.visits_total == 8
    assert "осталось 8 из 8 посещений" in response.content.decode()


def test_freezing_another_trainers_clients_membership_is_404(client):
    membership = MembershipFactory(client=ClientFactory(trainer=TrainerFactory()))
    today = timezone.localdate()
    data = {"start": today.isoformat(), "end": (today + timedelta(days=5)).isoformat()}
    client.force_login(TrainerFactory())
    assert (
        client.post(reverse("academy:membership-freeze", args=[membership.pk]), data).status_code
        == 404
    )
    client.force_login(membership.client.trainer)
    assert (
        client.post(reverse("academy:membership-freeze", args=[membership.pk]), data).status_code
        == 302
    )
    membership.refresh_from_db()
    assert membership.frozen_from == today


# --- Group classes --------------------------------------------------------------------------------


def test_staff_create_a_group_class_and_its_sessions_appear_a_clash_is_explained(client):
    from academy.models import TrainingGroup

    from .factories import DisciplineFactory, HallFactory

    hall, discipline, trainer = HallFactory(), DisciplineFactory(), TrainerFactory()
    client.force_login(AdminFactory())
    data = {
        "title": "BJJ утро",
        "discipline": discipline.pk,
        "trainer": trainer.pk,
        "hall": hall.pk,
        "weekdays": ["1", "3"],
        "start_time": "07:30",
        "duration_minutes": 75,
        "capacity": 15,
        "level": "all",
        "is_active": "on",
    }

    response = client.post(reverse("academy:group-create"), data, follow=True)

    group = TrainingGroup.objects.get(title="BJJ утро")
    assert group.weekdays == "13"
    assert group.sessions.count() >= 7  # Tuesdays and Thursdays for the coming weeks
    assert "BJJ утро" in response.content.decode()

    data["title"] = "Наложение"
    data["start_time"] = "08:00"
    response = client.post(reverse("academy:group-create"), data)
    assert response.status_code == 200 and "занят группой «BJJ утро»" in response.content.decode()
    assert not TrainingGroup.objects.filter(title="Наложение").exists()


def test_a_trainer_sees_only_their_groups_and_cannot_edit_them(client):
    mine = TrainingGroupFactory(title="Моя группа")
    TrainingGroupFactory(title="Чужая группа")
    client.force_login(mine.trainer)
    page = client.get(reverse("academy:group-list")).content.decode()
    assert "Моя группа" in page and "Чужая группа" not in page
    assert client.get(reverse("academy:group-edit", args=[mine.pk])).status_code == 403


def test_marking_someone_who_is_not_on_the_roll_is_404(client):
    session = _today_session()
    stranger = MembershipFactory().client
    client.force_login(session.trainer)
    response = client.post(
        reverse("academy:attendance-mark", args=[session.pk, stranger.pk]), {"status": "present"}
    )
    assert response.status_code == 404 and not Attendance.objects.exists()
