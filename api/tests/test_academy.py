"""Academy endpoints: the trainer's own sessions only, the roll call's and the bot's services."""

from datetime import timedelta

import pytest
from django.utils import timezone

from academy.models import Attendance, Booking
from academy.tests.factories import MembershipFactory, SessionFactory

pytestmark = pytest.mark.django_db


def _json(client, method, url, body, headers):
    return getattr(client, method)(url, body, content_type="application/json", **headers)


@pytest.fixture
def my_session(trainer):
    return SessionFactory(trainer=trainer, capacity=1)


@pytest.fixture
def foreign_session(other_trainer):
    return SessionFactory(trainer=other_trainer)


def test_a_trainer_sees_only_their_sessions(client, trainer, my_session, foreign_session, bearer):
    headers = bearer(trainer)
    listed = client.get("/api/v1/academy/sessions", **headers).json()["results"]
    assert [row["id"] for row in listed] == [my_session.pk]
    assert (
        client.get(f"/api/v1/academy/sessions/{foreign_session.pk}", **headers).status_code == 404
    )
    booking = _json(
        client,
        "post",
        "/api/v1/academy/bookings",
        {"session_id": foreign_session.pk, "client_id": 1},
        headers,
    )
    assert booking.status_code == 404
    assert not Booking.objects.exists()


def test_date_range(client, admin_user, trainer, bearer):
    soon = SessionFactory(trainer=trainer)
    SessionFactory(trainer=trainer, starts_at=timezone.now() + timedelta(days=30))
    day = timezone.localtime(soon.starts_at).date().isoformat()
    rows = client.get(
        f"/api/v1/academy/sessions?date_from={day}&date_to={day}", **bearer(admin_user)
    ).json()["results"]
    assert [row["id"] for row in rows] == [soon.pk]


def test_booking_the_last_place_then_the_waitlist_and_cancel(
    client, trainer, my_session, my_client, bearer
):
    from crm.tests.factories import ClientFactory

    headers = bearer(trainer)
    second = ClientFactory(trainer=trainer)
    first = _json(
        client,
        "post",
        "/api/v1/academy/bookings",
        {"session_id": my_session.pk, "client_id": my_client.pk},
        headers,
    )
    assert first.status_code == 201 and first.json()["status"] == "booked"
    waiting = _json(
        client,
        "post",
        "/api/v1/academy/bookings",
        {"session_id": my_session.pk, "client_id": second.pk},
        headers,
    )
    assert waiting.json()["status"] == "waitlisted"
    cancelled = client.post(f"/api/v1/academy/bookings/{first.json()['id']}/cancel", **headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert Booking.objects.get(client=second).status == "booked"
    my_session.refresh_from_db()
    assert my_session.booked_count == 1


def test_roll_call_mark_uses_a_visit_and_refuses_without_one(client, trainer, my_client, bearer):
    from crm.tests.factories import ClientFactory

    today = SessionFactory(trainer=trainer, starts_at=timezone.now() - timedelta(minutes=5))
    membership = MembershipFactory(client=my_client)
    headers = bearer(trainer)
    marked = _json(
        client,
        "post",
        "/api/v1/academy/attendance",
        {"session_id": today.pk, "client_id": my_client.pk, "status": "present"},
        headers,
    )
    assert marked.status_code == 201, marked.content
    membership.refresh_from_db()
    assert membership.visits_used == 1
    no_membership = ClientFactory(trainer=trainer)
    refused = _json(
        client,
        "post",
        "/api/v1/academy/attendance",
        {"session_id": today.pk, "client_id": no_membership.pk, "status": "present"},
        headers,
    )
    assert refused.status_code == 400 and refused.json()["detail"]
    assert not Attendance.objects.filter(client=no_membership).exists()
    listed = client.get(f"/api/v1/academy/attendance?session={today.pk}", **headers).json()
    assert [row["client_id"] for row in listed["results"]] == [my_client.pk]


def test_read_only_cannot_book(client, readonly_user, my_session, my_client, bearer):
    response = _json(
        client,
        "post",
        "/api/v1/academy/bookings",
        {"session_id": my_session.pk, "client_id": my_client.pk},
        bearer(readonly_user),
    )
    assert response.status_code == 403
