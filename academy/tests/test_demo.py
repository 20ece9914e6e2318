import random

import pytest
from django.utils import timezone

from academy import demo
from academy.models import (
    Attendance,
    ClientRank,
    Discipline,
    Membership,
    Session,
    TrainingGroup,
)
from crm.demo import ensure_demo_users
from crm.tests.factories import ClientFactory, stage

pytestmark = pytest.mark.django_db


def test_the_demo_academy_is_realistic_consistent_and_seeded_once():
    ensure_demo_users()
    clients = [
        *ClientFactory.create_batch(100, stage=stage("active")),
        *ClientFactory.create_batch(30, stage=stage("inactive")),
        *ClientFactory.create_batch(10, stage=stage("deciding")),
    ]

    first = demo.seed(clients=clients, rng=random.Random("academy"))
    again = demo.seed(clients=clients, rng=random.Random("academy"))

    assert first > 1000 and again == 0
    assert Discipline.objects.count() == 3 and TrainingGroup.objects.count() == 8
    students = Membership.objects.values("client").distinct().count()
    assert students == 120
    assert not Membership.objects.filter(client__stage__code="deciding").exists()
    assert Attendance.objects.values("client").distinct().count() >= 100
    assert Attendance.objects.filter(status="absent").exists()
    # Two months of history and a coming week with bookings.
    oldest = Session.objects.order_by("starts_at").first().starts_at
    assert (timezone.now() - oldest).days >= 55
    upcoming = Session.objects.filter(starts_at__gt=timezone.now())
    assert upcoming.filter(booked_count__gt=0).exists()
    for session in upcoming:
        assert session.booked_count == session.bookings.filter(status="booked").count()
        assert session.booked_count <= session.capacity
    # Visits were taken from memberships that had them.
    for membership in Membership.objects.exclude(visits_total=None):
        assert membership.visits_used == membership.attendances.count() <= membership.visits_total
    assert ClientRank.objects.filter(rank__name="синий").exists()
    assert TrainingGroup.objects.filter(trainer__username="demo-trainer").exists()
