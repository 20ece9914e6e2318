"""Tasks (Today), the next contact derived from them, and notifications under the bell."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm import services
from crm.models import ClientAction, Notification, Task
from crm.selectors import today_get, workspace_badges_get
from crm.tests.factories import AdminFactory, ClientFactory, TrainerFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def trainer():
    return TrainerFactory()


@pytest.fixture
def own(trainer):
    return ClientFactory(trainer=trainer, first_name="Ирина", last_name="Петрова")


def test_task_defaults_to_the_clients_trainer_and_sets_the_next_contact(trainer, own):
    due = timezone.now() + timedelta(hours=3)
    task = services.task_create(client=own, due_at=due, kind=Task.Kind.CALL)
    own.refresh_from_db()
    assert task.assignee == trainer and own.next_contact_at == due


def test_done_records_the_outcome_the_contact_and_the_next_step_in_one_action(trainer, own):
    task = services.task_create(client=own, due_at=timezone.now() - timedelta(hours=1))
    next_due = timezone.now() + timedelta(days=2)

    done = services.task_complete(
        task=task,
        actor=trainer,
        outcome=Task.Outcome.INTERESTED,
        result="Хочет тариф на 3 месяца",
        next_due_at=next_due,
        next_kind=Task.Kind.MESSAGE,
        next_title="Отправить ссылку на оплату",
    )

    task.refresh_from_db()
    own.refresh_from_db()
    assert (
        task.done_at and task.outcome == "interested" and task.result == "Хочет тариф на 3 месяца"
    )
    assert done.next_task.kind == "message" and done.next_task.assignee == trainer
    assert own.next_contact_at == next_due and own.last_contact_at is not None
    action = own.actions.get()
    assert action.kind == ClientAction.Kind.CALL and "Хочет тариф" in action.description


def test_a_missed_call_is_not_a_contact_and_done_twice_is_refused(trainer, own):
    task = services.task_create(client=own, due_at=timezone.now())
    services.task_complete(task=task, actor=trainer, outcome=Task.Outcome.NO_ANSWER)
    own.refresh_from_db()
    assert own.last_contact_at is None and own.next_contact_at is None
    with pytest.raises(services.TaskError):
        services.task_complete(task=task, actor=trainer, outcome=Task.Outcome.DONE)
    assert own.actions.count() == 1


def test_today_lists_overdue_first_then_today_then_the_week(trainer, own):
    now = timezone.now()
    with time_machine.travel(timezone.localtime(now).replace(hour=12, minute=0), tick=False):
        now = timezone.now()
        later_today = services.task_create(client=own, due_at=now + timedelta(hours=2))
        overdue = services.task_create(client=own, due_at=now - timedelta(days=1))
        week = services.task_create(client=own, due_at=now + timedelta(days=3))
        services.task_create(client=own, due_at=now + timedelta(days=30))
        theirs = ClientFactory(trainer=TrainerFactory())
        services.task_create(client=theirs, due_at=now - timedelta(days=1))

        day = today_get(user=trainer)

    assert day.overdue == [overdue] and day.today == [later_today] and day.upcoming == [week]
    assert (day.overdue_total, day.today_total, day.upcoming_total) == (1, 1, 1)


def test_today_is_home_for_a_trainer_and_the_overview_for_an_admin(client, trainer, own):
    services.task_create(client=own, due_at=timezone.now() - timedelta(hours=1), title="Позвонить")
    client.force_login(trainer)
    page = client.get("/").content.decode()
    assert "Просрочено" in page and "Позвонить" in page and "Ирина Петрова" in page

    client.force_login(AdminFactory())
    assert "dashboard" in client.get("/").context


def test_done_from_today_with_htmx_swaps_the_list(client, trainer, own):
    task = services.task_create(client=own, due_at=timezone.now() - timedelta(hours=1))
    client.force_login(trainer)

    form = client.get(reverse("crm:task-done", args=[task.pk]) + "?from=today", **HTMX)
    assert 'name="outcome"' in form.content.decode() and "<html" not in form.content.decode()
    tomorrow = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT10:00")
    response = client.post(
        reverse("crm:task-done", args=[task.pk]),
        {
            "outcome": "reached",
            "result": "Договорились",
            "next_kind": "call",
            "next_due_at": tomorrow,
            "from": "today",
        },
        **HTMX,
    )

    assert response["HX-Retarget"] == "#today-tasks"
    assert 'id="today-tasks"' in response.content.decode()
    assert own.tasks.filter(done_at__isnull=True).count() == 1


def test_a_next_step_without_a_time_is_explained_and_nothing_is_closed(client, trainer, own):
    task = services.task_create(client=own, due_at=timezone.now())
    client.force_login(trainer)
    response = client.post(
        reverse("crm:task-done", args=[task.pk]),
        {"outcome": "reached", "next_kind": "call", "from": "today"},
        **HTMX,
    )
    assert (
        response.status_code == 200 and "Укажите, когда следующий шаг" in response.content.decode()
    )
    task.refresh_from_db()
    assert task.done_at is None


def test_reschedule_to_tomorrow_keeps_the_time_of_day(client, trainer, own):
    due = timezone.localtime().replace(hour=15, minute=0, second=0, microsecond=0) + timedelta(
        days=1
    )
    task = services.task_create(client=own, due_at=due)
    client.force_login(trainer)
    client.post(reverse("crm:task-reschedule", args=[task.pk]), {"days": "1"})
    task.refresh_from_db()
    assert timezone.localtime(task.due_at).hour == 15
    assert timezone.localtime(task.due_at).date() == due.date() + timedelta(days=1)


def test_another_trainers_task_is_404_and_read_only_is_403(client, trainer, own):
    task = services.task_create(client=own, due_at=timezone.now())
    client.force_login(TrainerFactory())
    assert (
        client.post(reverse("crm:task-done", args=[task.pk]), {"outcome": "done"}).status_code
        == 404
    )
    assert (
        client.post(reverse("crm:task-reschedule", args=[task.pk]), {"days": "1"}).status_code
        == 404
    )
    from crm.models import User
    from crm.tests.factories import UserFactory

    client.force_login(UserFactory(role=User.Role.READ_ONLY))
    assert (
        client.post(reverse("crm:task-done", args=[task.pk]), {"outcome": "done"}).status_code
        == 403
    )
    task.refresh_from_db()
    assert task.done_at is None


@pytest.mark.parametrize("size", [3, 60])
def test_today_runs_a_constant_number_of_queries(client, trainer, size):
    now = timezone.now()
    for i in range(size):
        customer = ClientFactory(trainer=trainer)
        services.task_create(client=customer, due_at=now + timedelta(hours=i % 48 - 24))
    ClientFactory.create_batch(size // 3 + 1, trainer=None)
    client.force_login(trainer)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    # session, user, counts, overdue, today, upcoming, unassigned leads (+ their count)
    assert len(queries) <= 9, [q["sql"][:80] for q in queries]


def test_today_counts_stop_at_the_cap_and_say_so(client, trainer, own, monkeypatch):
    """A trainer's open tasks grow with the business; the page counts up to COUNT_CAP (100) and
    shows "100+" beyond, instead of counting every task on every view."""
    monkeypatch.setattr("crm.selectors.COUNT_CAP", 30)
    now = timezone.now()
    for hours in range(1, 33):
        services.task_create(client=own, due_at=now - timedelta(hours=hours))
    services.task_create(client=own, due_at=now + timedelta(days=2))

    day = today_get(user=trainer)
    assert (day.overdue_total, day.overdue_total.more, day.overdue_total.label) == (30, True, "30+")
    assert (day.upcoming_total, day.upcoming_total.more, day.upcoming_total.label) == (
        1,
        False,
        "1",
    )
    client.force_login(trainer)
    page = client.get("/").content.decode()
    assert "30+ просрочено" in page and "Просрочено <small>(30+)</small>" in page
    assert "Показано 25 из 30+." in page


# --- notifications ------------------------------------------------------------------------------------


def test_a_lead_assigned_by_someone_else_notifies_the_trainer_once(trainer):
    admin = AdminFactory()
    client_ = services.client_create(actor=admin, first_name="Олег", trainer=trainer)
    note = Notification.objects.get(recipient=trainer)
    assert note.kind == "lead_assigned" and "Олег" in note.text and note.client == client_
    # Assigning oneself notifies nobody.
    services.client_create(actor=trainer, first_name="Сам")
    assert Notification.objects.count() == 1


def test_notification_with_the_same_key_is_created_once(trainer):
    first = services.notification_create(
        recipient=trainer, kind="client_paid", text="Оплата", dedup_key="payment:1"
    )
    again = services.notification_create(
        recipient=trainer, kind="client_paid", text="Оплата", dedup_key="payment:1"
    )
    assert first is not None and again is None
    assert Notification.objects.filter(recipient=trainer).count() == 1


def test_badges_count_overdue_tasks_and_unread_in_one_query(client, trainer, own):
    services.task_create(client=own, due_at=timezone.now() - timedelta(hours=2))
    services.task_create(client=own, due_at=timezone.now() + timedelta(hours=2))
    services.notification_create(recipient=trainer, kind="client_wrote", text="Ирина написала")
    with CaptureQueriesContext(connection) as queries:
        assert workspace_badges_get(user=trainer) == {"overdue": 1, "unread": 1}
    assert len(queries) == 1

    client.force_login(trainer)
    badges = client.get(reverse("crm:badges"), **HTMX).content.decode()
    assert 'id="bell-count"' in badges and 'id="overdue-count"' in badges and ">1<" in badges


def test_opening_the_bell_marks_notifications_read(client, trainer):
    services.notification_create(recipient=trainer, kind="client_wrote", text="Ирина написала")
    other = services.notification_create(
        recipient=TrainerFactory(), kind="client_wrote", text="Чужое"
    )
    client.force_login(trainer)
    page = client.get(reverse("crm:notifications")).content.decode()
    assert "Ирина написала" in page and "Чужое" not in page
    assert workspace_badges_get(user=trainer)["unread"] == 0
    other.refresh_from_db()
    assert other.read_at is None
