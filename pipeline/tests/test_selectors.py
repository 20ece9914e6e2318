"""Analytics numbers checked against histories worked out by hand."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from crm.tests.factories import AdminFactory, ClientFactory, LeadFactory, TrainerFactory, stage
from pipeline import selectors
from pipeline.models import LostReason, StageMove
from pipeline.tests.factories import StageMoveFactory

pytestmark = pytest.mark.django_db
NOW = timezone.now()


def history(client, *steps):
    """steps: (stage code, days ago[, lost reason]) in order."""
    previous = None
    for code, days_ago, *reason in steps:
        target = stage(code)
        StageMoveFactory(
            client=client,
            from_stage=previous,
            to_stage=target,
            moved_at=NOW - timedelta(days=days_ago),
            lost_reason=reason[0] if reason else None,
        )
        previous = target


def test_funnel_conversion_is_the_share_that_reached_the_next_stage():
    trainer = TrainerFactory()
    a, b, c, d = (ClientFactory(trainer=trainer) for _ in range(4))
    history(a, ("first_contact", 30), ("consultation", 25), ("deciding", 20), ("purchased", 18))
    history(b, ("first_contact", 30), ("consultation", 28), ("inactive", 10))
    history(c, ("first_contact", 10))
    # d skipped consultation (paid straight away): it counts for purchased but not for
    # consultation → deciding.
    history(d, ("first_contact", 9), ("purchased", 7))

    funnel = {step.stage.code: step for step in selectors.analytics_get(user=trainer).funnel}

    assert funnel["first_contact"].reached == 4
    assert funnel["first_contact"].to_next == 2  # a, b reached consultation
    assert funnel["first_contact"].rate == 0.5
    assert (funnel["consultation"].reached, funnel["consultation"].to_next) == (2, 1)
    assert (funnel["deciding"].reached, funnel["deciding"].to_next) == (1, 1)
    assert funnel["purchased"].reached == 2 and funnel["purchased"].to_next == 0
    assert "inactive" not in funnel


def test_median_days_in_stage_counts_finished_stays_only():
    trainer = TrainerFactory()
    for first_contact_days in (2, 4, 9):
        client = ClientFactory(trainer=trainer)
        history(client, ("first_contact", 20), ("consultation", 20 - first_contact_days))
    history(ClientFactory(trainer=trainer), ("first_contact", 50))  # still there: not finished

    median = {s.code: (days, n) for s, days, n in selectors.analytics_get(user=trainer).median_days}

    assert median["first_contact"] == (4.0, 3)
    assert median["consultation"] == (None, 0)


def test_lost_reasons_count_listed_reasons_and_own_words():
    trainer = TrainerFactory()
    pricey = LostReason.objects.get(name="Дорого")
    for reason in (pricey, pricey, None):
        client = ClientFactory(trainer=trainer)
        history(client, ("first_contact", 5), ("inactive", 1, reason))

    data = selectors.analytics_get(user=trainer)

    assert dict(data.lost_reasons) == {"Дорого": 2, "": 1}
    assert data.lost_total == 3


def test_sources_and_conversion_to_paid():
    trainer = TrainerFactory()
    paid = ClientFactory(trainer=trainer, source="vk_ads")
    history(paid, ("first_contact", 9), ("purchased", 3))
    ClientFactory(trainer=trainer, source="vk_ads")
    ClientFactory(trainer=trainer, source="website")

    rows = {row.source: row for row in selectors.analytics_get(user=trainer).sources}

    assert (rows["vk_ads"].clients, rows["vk_ads"].paid, rows["vk_ads"].rate) == (2, 1, 0.5)
    assert (rows["website"].clients, rows["website"].paid) == (1, 0)


def test_new_leads_per_week_cover_the_period():
    trainer = TrainerFactory()
    LeadFactory(client=ClientFactory(trainer=trainer))
    LeadFactory(client=ClientFactory(trainer=trainer))
    LeadFactory(client=ClientFactory(trainer=trainer), created_at=NOW - timedelta(weeks=2))
    LeadFactory(client=ClientFactory(trainer=trainer), created_at=NOW - timedelta(weeks=20))

    weeks = selectors.analytics_get(user=trainer, since=NOW - timedelta(weeks=11)).weeks

    assert len(weeks) == 12
    assert [start.weekday() for start, _ in weeks] == [0] * 12  # local Mondays
    assert weeks[-1][1] == 2 and weeks[-3][1] == 1
    assert sum(n for _, n in weeks) == 3
    default = selectors.analytics_get(user=trainer).weeks  # the last 90 days
    assert len(default) in (13, 14) and sum(n for _, n in default) == 3


def test_median_of_an_even_number_of_stays_is_the_mean_of_the_middle_two():
    trainer = TrainerFactory()
    for days in (1, 2, 5, 11):
        history(ClientFactory(trainer=trainer), ("first_contact", 30), ("consultation", 30 - days))

    median = {s.code: (days, n) for s, days, n in selectors.analytics_get(user=trainer).median_days}

    assert median["first_contact"] == (3.5, 4)


def test_the_period_bounds_every_number_but_the_board_now():
    trainer = TrainerFactory()
    pricey = LostReason.objects.get(name="Дорого")
    old = ClientFactory(trainer=trainer, source="vk_ads", created_at=NOW - timedelta(days=200))
    history(old, ("first_contact", 200), ("consultation", 190), ("inactive", 150, pricey))
    new = ClientFactory(trainer=trainer, source="website", created_at=NOW - timedelta(days=5))
    history(new, ("first_contact", 5), ("consultation", 3))

    recent = selectors.analytics_get(user=trainer)  # the last 90 days
    earlier = selectors.analytics_get(
        user=trainer, since=NOW - timedelta(days=210), until=NOW - timedelta(days=100)
    )

    assert [row.source for row in recent.sources] == ["website"]
    assert [row.source for row in earlier.sources] == ["vk_ads"]
    assert recent.lost_total == 0 and dict(earlier.lost_reasons) == {"Дорого": 1}
    assert {s.code: n for s, _d, n in recent.median_days}["first_contact"] == 1
    assert {s.code: d for s, d, _n in earlier.median_days}["first_contact"] == 10.0
    assert {s.code: d for s, d, _n in earlier.median_days}["consultation"] == 40.0
    assert {st.stage.code: st.reached for st in recent.funnel}["first_contact"] == 1
    assert {st.stage.code: st.reached for st in earlier.funnel}["consultation"] == 1
    # Clients per stage is the board now, whatever the period.
    assert sum(n for _, n in earlier.now_per_stage) == sum(n for _, n in recent.now_per_stage)


def test_analytics_only_counts_what_the_trainer_may_see():
    trainer, other = TrainerFactory(), TrainerFactory()
    history(ClientFactory(trainer=other), ("first_contact", 3), ("consultation", 1))

    data = selectors.analytics_get(user=trainer)

    assert all(step.reached == 0 for step in data.funnel)
    assert sum(n for _, n in data.now_per_stage) == 0


def test_board_columns_hold_counts_cards_and_stale_marks():
    trainer = TrainerFactory()
    consultation = stage("consultation")  # expected 3 days
    stale = ClientFactory(
        trainer=trainer, stage=consultation, stage_changed_at=NOW - timedelta(days=5)
    )
    fresh = ClientFactory(trainer=trainer, stage=consultation, stage_changed_at=NOW)
    ClientFactory(trainer=TrainerFactory(), stage=consultation)  # not visible

    board = selectors.board_get(user=trainer, filters={})
    column = next(c for c in board.columns if c.stage == consultation)

    assert column.count == 2
    assert [card.pk for card in column.cards] == [str(fresh.pk), str(stale.pk)]
    assert [card.stale for card in column.cards] == [False, True]
    assert column.cards[1].days_in_stage == 5
    assert column.cards[0].next_stage == stage("deciding")
    # No payments yet: a zero sum once the payments app has its model (see test_board_sums.py).
    assert column.total == (Decimal(0) if selectors.money_source() is not None else None)


def test_board_cards_carry_their_words_in_the_viewers_language():
    """The card's words are translated once per language (cached), never once for all."""
    consultation = stage("consultation")  # expected 3 days
    ClientFactory(
        first_name="Вера",
        last_name="Лось",
        trainer=None,
        source="website",
        stage=consultation,
        stage_changed_at=NOW - timedelta(days=5),
        next_contact_at=timezone.make_aware(datetime(2026, 12, 5, 12)),
    )
    admin = AdminFactory()

    def card():
        board = selectors.board_get(user=admin, filters={})
        return next(c for c in board.columns if c.stage == consultation).cards[0]

    with translation.override("ru"):
        ru = card()
    with translation.override("en"):
        en = card()
    with translation.override("ru"):
        again = card()
    assert (ru.name, ru.source, ru.days_label, ru.trainer_label, ru.next_text) == (
        "Вера Лось",
        "Форма на сайте",
        "5 дн.",
        "Без тренера",
        "Следующий контакт · 5 декабря",
    )
    assert (ru.text.stale, ru.text.move, ru.take_url) == (
        "задержка",
        "Переместить…",
        f"/clients/{ru.pk}/take/",
    )
    assert (en.source, en.days_label, en.trainer_label, en.next_text, en.text.stale) == (
        "Website form",
        "5 d",
        "No trainer",
        "Next contact · 5 December",
        "stale",
    )
    assert again.next_text == ru.next_text


def test_board_pages_columns_by_twenty():
    trainer = TrainerFactory()
    ClientFactory.create_batch(23, trainer=trainer)

    board = selectors.board_get(user=trainer, filters={})
    first = board.columns[0]
    assert (first.count, len(first.cards), first.next_offset) == (23, 20, 20)

    cards, next_offset = selectors.column_page(
        user=trainer, stage=first.stage, filters={}, offset=20
    )
    assert len(cards) == 3 and next_offset is None
    assert not {c.pk for c in cards} & {c.pk for c in first.cards}


def test_board_filters_by_search_and_source():
    trainer = TrainerFactory()
    ClientFactory(trainer=trainer, first_name="Анна", source="vk_ads")
    ClientFactory(trainer=trainer, first_name="Борис", source="website")

    board = selectors.board_get(user=trainer, filters={"q": "анна", "source": "vk_ads"})
    assert [card.name.split()[0] for c in board.columns for card in c.cards] == ["Анна"]
    board = selectors.board_get(user=trainer, filters={"q": "анна", "source": "website"})
    assert sum(c.count for c in board.columns) == 0


def test_history_lists_moves_oldest_first_with_who_and_why():
    trainer = TrainerFactory()
    client = ClientFactory(trainer=trainer)
    history(client, ("first_contact", 3), ("inactive", 1, LostReason.objects.get(name="Дорого")))
    StageMove.objects.filter(to_stage__code="first_contact").update(event="lead_created")
    StageMove.objects.filter(to_stage__code="inactive").update(actor=trainer, notes="Подумает")

    rows = selectors.stage_history(client=client)

    assert [(r["from"], r["to"], r["source"], r["event"]) for r in rows] == [
        (None, "Первичный контакт", "automatic", "lead_created"),
        ("Первичный контакт", "Неактивен", "manual", "manual"),
    ]
    assert rows[1]["by"] == str(trainer) and rows[1]["notes"] == "Подумает"
    assert rows[1]["lost_reason"] == "Дорого"
