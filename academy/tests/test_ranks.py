from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from academy import ranks, services
from academy.models import Attendance, ClientRank, GradingCandidate, Rank, RankHistory
from crm.tests.factories import AdminFactory, ClientFactory, TrainerFactory

from .conftest import texts_to
from .factories import DisciplineFactory, MembershipFactory, SessionFactory

pytestmark = pytest.mark.django_db
TZ = timezone.get_current_timezone()
TODAY = date(2026, 11, 30)


@pytest.fixture
def bjj():
    discipline = DisciplineFactory(name="BJJ")
    assert ranks.ranks_ensure_default(discipline=discipline) == 5
    assert ranks.ranks_ensure_default(discipline=discipline) == 0
    return discipline


def _attended(
    client, discipline, count, *, trainer=None, start=datetime(2026, 9, 1, 19, tzinfo=TZ)
):
    """`count` attended sessions (rows written directly: the history, not the roll call)."""
    trainer = trainer or TrainerFactory()
    for n in range(count):
        session = SessionFactory(
            discipline=discipline, trainer=trainer, starts_at=start + timedelta(days=n)
        )
        Attendance.objects.create(
            session=session, client=client, status="present", session_starts_at=session.starts_at
        )


def test_the_bjj_ladder_is_the_default(bjj):
    names = list(bjj.ranks.order_by("order").values_list("name", flat=True))
    assert names == ["белый", "синий", "фиолетовый", "коричневый", "чёрный"]
    assert set(bjj.ranks.values_list("max_stripes", flat=True)) == {4}


def test_the_first_visit_puts_a_student_on_the_first_rank(bjj):
    membership = MembershipFactory()
    session = SessionFactory(discipline=bjj, starts_at=timezone.now() - timedelta(minutes=5))
    services.attendance_mark(
        session=session, client=membership.client, status="present", actor=None
    )
    current = ClientRank.objects.get(client=membership.client)
    assert (current.rank.name, current.stripes) == ("белый", 0)
    assert RankHistory.objects.filter(client=membership.client).count() == 1


@time_machine.travel(datetime(2026, 11, 30, 12, tzinfo=TZ), tick=False)
def test_promotion_rules_list_who_is_eligible(bjj):
    white = bjj.ranks.get(name="белый")  # 24 sessions and 2 months per step
    ready, few_classes, too_recent = ClientFactory(), ClientFactory(), ClientFactory()
    for client, since in (
        (ready, date(2026, 9, 1)),
        (few_classes, date(2026, 9, 1)),
        (too_recent, date(2026, 11, 1)),
    ):
        ranks.client_rank_set(client=client, rank=white, awarded_on=since)
    _attended(ready, bjj, 24)
    _attended(few_classes, bjj, 23)
    _attended(too_recent, bjj, 25, start=datetime(2026, 11, 1, 19, tzinfo=TZ))
    # Sessions of another discipline do not count.
    _attended(few_classes, DisciplineFactory(name="Грэпплинг"), 5)

    rows = {
        r.current.client: r for r in ranks.ranks_with_progress(discipline=bjj, user=AdminFactory())
    }

    assert (rows[ready].sessions, rows[ready].months, rows[ready].eligible) == (24, 2, True)
    assert (rows[few_classes].sessions, rows[few_classes].eligible) == (23, False)
    assert (rows[too_recent].months, rows[too_recent].eligible) == (0, False)
    assert (rows[ready].step.rank, rows[ready].step.stripes) == (white, 1)


def test_a_fourth_stripe_leads_to_the_next_belt_and_black_with_all_stripes_is_the_top(bjj):
    ladder = list(bjj.ranks.order_by("order"))
    client = ClientFactory()
    current = ranks.client_rank_set(client=client, rank=ladder[0], stripes=4)
    step = ranks.next_step(current=current, ladder=ladder)
    assert (step.rank.name, step.stripes) == ("синий", 0)
    current = ranks.client_rank_set(client=client, rank=ladder[-1], stripes=4)
    assert ranks.next_step(current=current, ladder=ladder) is None
    with pytest.raises(services.AcademyError):
        ranks.client_rank_set(client=client, rank=ladder[0], stripes=5)


def test_a_grading_invites_promotes_the_passed_and_tells_everyone(bjj, sent):
    white = bjj.ranks.get(name="белый")
    passing, failing = ClientFactory(), ClientFactory()
    ranks.client_rank_set(
        client=passing, rank=white, stripes=4, awarded_on=TODAY - timedelta(days=90)
    )
    ranks.client_rank_set(
        client=failing, rank=white, stripes=1, awarded_on=TODAY - timedelta(days=90)
    )

    grading = ranks.grading_create(
        discipline=bjj,
        held_on=timezone.localdate() + timedelta(days=7),
        clients=[passing, failing],
        examiner=AdminFactory(),
    )
    assert "приглашаем" in texts_to(sent, passing)[0].lower()
    candidates = {c.client: c for c in grading.candidates.all()}
    with pytest.raises(services.AcademyError, match=str(failing)):
        ranks.grading_record(
            grading=grading, results={candidates[passing].pk: ("passed", "")}, actor=None
        )

    promoted = ranks.grading_record(
        grading=grading,
        results={
            candidates[passing].pk: ("passed", "Отличная защита"),
            candidates[failing].pk: ("failed", "Поработать над проходами"),
        },
        actor=None,
    )

    assert promoted == 1
    now = ClientRank.objects.get(client=passing)
    assert (now.rank.name, now.stripes, now.since) == ("синий", 0, grading.held_on)
    assert RankHistory.objects.filter(client=passing, grading=grading).count() == 1
    assert ClientRank.objects.get(client=failing).stripes == 1
    assert "Поздравляем" in texts_to(sent, passing)[-1] and "синий" in texts_to(sent, passing)[-1]
    assert "Поработать над проходами" in texts_to(sent, failing)[-1]
    assert GradingCandidate.objects.get(client=failing).result == "failed"
    with pytest.raises(services.AcademyError, match="уже"):
        ranks.grading_record(grading=grading, results={}, actor=None)


def test_a_trainer_sees_only_the_students_of_their_sessions(client, bjj):
    white = bjj.ranks.get(name="белый")
    trainer = TrainerFactory()
    mine, theirs = ClientFactory(last_name="Мойученик"), ClientFactory(last_name="Чужойученик")
    for student in (mine, theirs):
        ranks.client_rank_set(client=student, rank=white)
    _attended(mine, bjj, 2, trainer=trainer)
    _attended(theirs, bjj, 2)
    client.force_login(trainer)
    page = client.get(reverse("academy:ranks")).content.decode()
    assert "Мойученик" in page and "Чужойученик" not in page


def test_planning_a_grading_from_the_page_and_another_trainers_grading_is_404(client, bjj):
    white = bjj.ranks.get(name="белый")
    student = ClientFactory()
    ranks.client_rank_set(client=student, rank=white)
    admin = AdminFactory()
    client.force_login(admin)
    response = client.post(
        reverse("academy:ranks") + f"?discipline={bjj.pk}",
        {"client": [student.pk], "held_on": (timezone.localdate() + timedelta(days=3)).isoformat()},
    )
    assert response.status_code == 302
    grading_url = response["Location"]
    assert client.get(grading_url).status_code == 200
    client.force_login(TrainerFactory())
    assert client.get(grading_url).status_code == 404


def test_the_ranks_page_takes_a_constant_number_of_queries(client, bjj):
    white = bjj.ranks.get(name="белый")
    client.force_login(AdminFactory())

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("academy:ranks")).status_code == 200
        return len(ctx.captured_queries)

    student = ClientFactory()
    ranks.client_rank_set(client=student, rank=white)
    _attended(student, bjj, 2)
    small = count()
    for _ in range(15):
        other = ClientFactory()
        ranks.client_rank_set(
            client=other, rank=Rank.objects.get(discipline=bjj, name="синий"), stripes=2
        )
        _attended(other, bjj, 3)
    assert count() == small


def test_the_client_page_shows_the_rank_and_its_history(client, bjj):
    student = ClientFactory()
    ladder = list(bjj.ranks.order_by("order"))
    ranks.client_rank_set(client=student, rank=ladder[0], stripes=4, awarded_on=date(2025, 6, 1))
    ranks.client_rank_set(client=student, rank=ladder[1], awarded_on=date(2026, 9, 1))
    client.force_login(AdminFactory())
    page = client.get(reverse("crm:client-detail", args=[student.pk])).content.decode()
    assert "BJJ: синий" in page
    assert "01.06.2025 · BJJ: белый · 4▮" in page and "01.09.2026 · BJJ: синий" in page
