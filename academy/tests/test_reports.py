from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from academy import reports
from academy.models import Attendance
from crm.tests.factories import AdminFactory, ClientFactory, TrainerFactory

from .factories import MembershipFactory, SessionFactory, TrainingGroupFactory

pytestmark = pytest.mark.django_db
TZ = timezone.get_current_timezone()
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=TZ)
START, END = date(2026, 11, 2), date(2026, 11, 29)


def _mark(session, client, status):
    Attendance.objects.create(
        session=session, client=client, status=status, session_starts_at=session.starts_at
    )


def _history(group, students, weeks=4, *, absent_every=3):
    """Two sessions a week of `group` for `weeks` weeks from 2 November, everyone marked."""
    n = 0
    for week in range(weeks):
        for day in (0, 2):
            starts = datetime(2026, 11, 2, 19, tzinfo=TZ) + timedelta(weeks=week, days=day)
            session = SessionFactory(
                group=group,
                title=group.title,
                discipline=group.discipline,
                trainer=group.trainer,
                hall=group.hall,
                starts_at=starts,
            )
            for student in students:
                n += 1
                _mark(session, student, "absent" if n % absent_every == 0 else "present")


def _filters(**kwargs):
    return reports.Filters(start=START, end=END, **kwargs)


@time_machine.travel(NOW, tick=False)
def test_attendance_by_class_and_week_with_the_average_per_session():
    group = TrainingGroupFactory(title="BJJ начинающие")
    other = TrainingGroupFactory(title="Грэпплинг")
    students = [ClientFactory() for _ in range(3)]
    _history(group, students)
    _history(other, students[:1], weeks=2, absent_every=100)

    result = reports.attendance_by_class(_filters())

    rows = {row.title: row for row in result.rows}
    beginners = rows["BJJ начинающие"]
    assert (beginners.sessions, beginners.visits, beginners.absent) == (8, 16, 8)
    assert beginners.average == 2.0
    assert len(result.weeks) == 4 and sum(beginners.cells) == 16
    assert (rows["Грэпплинг"].sessions, rows["Грэпплинг"].visits) == (4, 4)
    assert result.totals.visits == 20
    # Filter by trainer: only that trainer's class.
    only = reports.attendance_by_class(_filters(trainer_id=other.trainer_id))
    assert [row.title for row in only.rows] == ["Грэпплинг"]


@time_machine.travel(NOW, tick=False)
def test_attendance_by_student_counts_streaks_and_no_shows():
    group = TrainingGroupFactory()
    student = ClientFactory()
    statuses = ["present", "present", "absent", "present", "late", "present", "excused", "absent"]
    for n, status in enumerate(statuses):
        session = SessionFactory(
            group=group, starts_at=datetime(2026, 11, 3, 19, tzinfo=TZ) + timedelta(days=n)
        )
        _mark(session, student, status)

    [row] = reports.attendance_by_student(_filters()).rows

    assert (row.visits, row.late, row.absent, row.excused) == (5, 1, 2, 1)
    assert (row.longest_streak, row.current_streak, row.missed_in_a_row) == (3, 0, 1)
    assert row.client == student


def test_active_members_by_day_counts_a_client_once():
    first = MembershipFactory(starts_on=date(2026, 11, 1), ends_on=date(2026, 11, 10))
    MembershipFactory(client=first.client, starts_on=date(2026, 11, 5), ends_on=date(2026, 11, 20))
    MembershipFactory(starts_on=date(2026, 11, 15), ends_on=date(2026, 12, 15))

    by_day = dict(reports.active_members_by_day(_filters()))

    assert by_day[date(2026, 11, 2)] == 1
    assert by_day[date(2026, 11, 16)] == 2
    assert by_day[date(2026, 11, 25)] == 1
    assert len(by_day) == 28


def test_membership_sales_by_month():
    october = MembershipFactory()
    october.payment.paid_at = datetime(2026, 10, 20, 12, tzinfo=TZ)
    october.payment.save()
    for _ in range(2):
        m = MembershipFactory()
        m.payment.paid_at = datetime(2026, 11, 10, 12, tzinfo=TZ)
        m.payment.save()

    sales = reports.membership_sales_by_month(
        reports.Filters(start=date(2026, 10, 1), end=date(2026, 11, 30))
    )

    assert [(s.month, s.count, s.amount) for s in sales] == [
        (date(2026, 10, 1), 1, Decimal("3000.00")),
        (date(2026, 11, 1), 2, Decimal("6000.00")),
    ]


@time_machine.travel(NOW, tick=False)
def test_a_trainer_sees_reports_of_their_own_groups_only(client):
    mine = TrainingGroupFactory(title="Моя группа")
    theirs = TrainingGroupFactory(title="Чужая группа")
    _history(mine, [ClientFactory()], weeks=1)
    _history(theirs, [ClientFactory()], weeks=1)
    client.force_login(mine.trainer)

    page = client.get(
        reverse("academy:reports"), {"trainer": theirs.trainer_id, "start": "2026-11-01"}
    ).content.decode()

    assert "Моя группа" in page and "Чужая группа" not in page


def test_a_period_ending_before_it_starts_is_explained(client):
    client.force_login(AdminFactory())
    page = client.get(reverse("academy:reports"), {"start": "2026-11-20", "end": "2026-11-01"})
    assert page.status_code == 200
    assert "Начало периода" in page.content.decode()


@time_machine.travel(NOW, tick=False)
def test_reports_take_a_constant_number_of_queries(client):
    client.force_login(AdminFactory())
    url = reverse("academy:reports")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    _history(TrainingGroupFactory(), [MembershipFactory().client], weeks=1)
    small = count()
    for _ in range(3):
        students = [MembershipFactory().client for _ in range(8)]
        _history(TrainingGroupFactory(trainer=TrainerFactory()), students, weeks=4)
    assert count() == small
