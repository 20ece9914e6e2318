"""Demo data for `manage.py seed_demo`: a BJJ academy with three disciplines, two halls, eight group
classes, 120 students with memberships, two months of attendance, ranks, and bookings for the
coming week (so the bot's /schedule shows something at once).

Idempotent: the academy is built once (recognised by its first group); a re-run only adds the
coming weeks' sessions.
"""

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from crm.models import Client, User
from payments import demo as payments_demo
from payments.models import Payment, Subscription, Tariff
from payments.services import clients_paid_refresh

from . import ranks, services
from .models import (
    Attendance,
    Booking,
    ClientRank,
    Discipline,
    Hall,
    Level,
    Membership,
    MembershipPlan,
    Rank,
    RankHistory,
    Session,
    TrainingGroup,
)

STUDENTS = 120
BOUGHT_STAGES = {"purchased", "active", "finished"}
HISTORY_DAYS = 61
KIDS_LADDER = [
    ("белый", "#f5f5f5", 4, 16, 2),
    ("серый", "#9ca3af", 4, 24, 3),
    ("жёлтый", "#facc15", 4, 24, 3),
    ("оранжевый", "#f97316", 4, 24, 3),
    ("зелёный", "#16a34a", 4, 0, 0),
]


@dataclass(frozen=True)
class DemoGroup:
    title: str
    discipline: str
    trainer: str  # demo username
    hall: str
    weekdays: str
    start: time
    minutes: int
    capacity: int
    level: str


GROUPS = [
    DemoGroup(
        "BJJ начинающие",
        "BJJ",
        "demo-trainer",
        "Большой зал",
        "024",
        time(19),
        90,
        20,
        Level.BEGINNER,
    ),
    DemoGroup(
        "BJJ продолжающие",
        "BJJ",
        "demo-trainer",
        "Большой зал",
        "024",
        time(20, 45),
        90,
        20,
        Level.ADVANCED,
    ),
    DemoGroup(
        "BJJ утро", "BJJ", "demo-trainer2", "Большой зал", "13", time(7, 30), 75, 15, Level.ALL
    ),
    DemoGroup(
        "Грэпплинг (No-Gi)",
        "Грэпплинг",
        "demo-trainer3",
        "Большой зал",
        "13",
        time(19, 30),
        90,
        18,
        Level.ALL,
    ),
    DemoGroup(
        "Грэпплинг: соревновательная",
        "Грэпплинг",
        "demo-trainer3",
        "Большой зал",
        "5",
        time(12),
        120,
        12,
        Level.ADVANCED,
    ),
    DemoGroup(
        "Детский BJJ 6–9 лет",
        "Детский BJJ",
        "demo-trainer2",
        "Малый зал",
        "13",
        time(17),
        60,
        14,
        Level.KIDS,
    ),
    DemoGroup(
        "Детский BJJ 10–14 лет",
        "Детский BJJ",
        "demo-trainer2",
        "Малый зал",
        "02",
        time(17, 30),
        75,
        14,
        Level.KIDS,
    ),
    DemoGroup(
        "Открытый ковёр", "BJJ", "demo-trainer", "Большой зал", "6", time(11), 120, 30, Level.ALL
    ),
]
PLANS = [
    ("Безлимит на месяц", MembershipPlan.Kind.UNLIMITED, None, 30, "6500"),
    ("8 занятий", MembershipPlan.Kind.VISITS, 8, 30, "4800"),
    ("Разовое занятие", MembershipPlan.Kind.SINGLE, 1, 7, "800"),
]
# Share of students at each BJJ belt (белый → чёрный).
BELT_WEIGHTS = [55, 27, 11, 5, 2]


def _plans() -> list[MembershipPlan]:
    plans = []
    for order, (name, kind, visits, days, price) in enumerate(PLANS):
        plan = MembershipPlan.objects.filter(tariff__name=name).select_related("tariff").first()
        if plan is None:
            plan = services.membership_plan_create(
                name=name,
                kind=kind,
                visits=visits,
                price=Decimal(price),
                duration_days=days,
                description="Абонемент академии BJJ",
            )
            Tariff.objects.filter(pk=plan.tariff_id).update(order=100 + order)
        plans.append(plan)
    return plans


def _groups(trainers: dict[str, User]) -> list[TrainingGroup]:
    fallback = next(iter(trainers.values()))
    groups = []
    for spec in GROUPS:
        discipline, _created = Discipline.objects.get_or_create(
            name=spec.discipline, defaults={"order": len(groups)}
        )
        hall, _created = Hall.objects.get_or_create(name=spec.hall)
        group = TrainingGroup(
            title=spec.title,
            discipline=discipline,
            trainer=trainers.get(spec.trainer, fallback),
            hall=hall,
            weekdays=spec.weekdays,
            start_time=spec.start,
            duration_minutes=spec.minutes,
            capacity=spec.capacity,
            level=spec.level,
        )
        services.group_save(group=group)
        groups.append(group)
    bjj = Discipline.objects.get(name="BJJ")
    ranks.ranks_ensure_default(discipline=bjj)
    grappling = Discipline.objects.get(name="Грэпплинг")
    ranks.ranks_ensure_default(discipline=grappling)
    kids = Discipline.objects.get(name="Детский BJJ")
    if not kids.ranks.exists():
        Rank.objects.bulk_create(
            Rank(
                discipline=kids,
                name=name,
                order=order,
                color=color,
                max_stripes=stripes,
                min_sessions=sessions,
                min_months=months,
            )
            for order, (name, color, stripes, sessions, months) in enumerate(KIDS_LADDER)
        )
    return groups


def _past_sessions(groups: list[TrainingGroup], *, first: date, now: datetime) -> list[Session]:
    tz = timezone.get_current_timezone()
    sessions = []
    day = first
    while day <= now.date():
        for group in groups:
            if str(day.weekday()) not in group.weekdays:
                continue
            starts = datetime.combine(day, group.start_time, tzinfo=tz)
            if starts >= now:
                continue
            sessions.append(
                Session(
                    group=group,
                    title=group.title,
                    discipline_id=group.discipline_id,
                    trainer_id=group.trainer_id,
                    hall_id=group.hall_id,
                    starts_at=starts,
                    ends_at=starts + timedelta(minutes=group.duration_minutes),
                    capacity=group.capacity,
                    level=group.level,
                )
            )
        day += timedelta(days=1)
    Session.objects.bulk_create(sessions, ignore_conflicts=True)
    return list(
        Session.objects.filter(group__in=groups, starts_at__lt=now).order_by("starts_at", "id")
    )


def _memberships(
    students: list[Client],
    plans: list[MembershipPlan],
    rng: random.Random,
    today: date,
    *,
    lapsed: set[int],
) -> dict[int, list[Membership]]:
    """Two consecutive monthly memberships per student (the first one over), a few lapsed."""
    unlimited, visits = plans[0], plans[1]
    rows: list[tuple[Client, MembershipPlan, date, int]] = []
    for client in students:
        plan = unlimited if rng.random() < 0.7 else visits
        offset = rng.randint(0, 12)
        first_start = today - timedelta(days=HISTORY_DAYS - offset)
        rows.append((client, plan, first_start, 1))
        if client.pk not in lapsed and rng.random() < 0.9:  # renewed
            rows.append((client, plan, first_start + timedelta(days=plan.duration_days), 2))
    payments = [
        Payment(
            client=client,
            tariff=plan.tariff,
            amount=plan.tariff.price,
            status=Payment.Status.SUCCEEDED,
            provider=rng.choice(
                [Payment.Provider.CASH, Payment.Provider.CARD, Payment.Provider.YOOKASSA]
            ),
            idempotence_key=f"demo-academy-{client.phone}-{n}",
            paid_at=datetime.combine(start, time(18, 30), tzinfo=timezone.get_current_timezone()),
            created_at=datetime.combine(
                start, time(18, 25), tzinfo=timezone.get_current_timezone()
            ),
            metadata={"seed": True},
        )
        for client, plan, start, n in rows
    ]
    Payment.objects.bulk_create(payments, ignore_conflicts=True)
    clients_paid_refresh({p.client_id for p in payments})
    saved = {
        p.idempotence_key: p
        for p in Payment.objects.filter(idempotence_key__in=[p.idempotence_key for p in payments])
    }
    memberships = []
    for client, plan, start, n in rows:
        ends = start + timedelta(days=plan.duration_days - 1)
        memberships.append(
            Membership(
                client=client,
                plan=plan,
                payment=saved[f"demo-academy-{client.phone}-{n}"],
                starts_on=start,
                ends_on=ends,
                visits_total=plan.visits,
                status=Membership.Status.EXPIRED if ends < today else Membership.Status.ACTIVE,
                closed_at=timezone.now() if ends < today else None,
            )
        )
    Membership.objects.bulk_create(memberships)
    by_client: dict[int, list[Membership]] = {}
    for membership in (
        Membership.objects.filter(client__in=students).select_related("plan").order_by("starts_on")
    ):
        by_client.setdefault(membership.client_id, []).append(membership)
    return by_client


def _subscriptions(memberships: dict[int, list[Membership]]) -> int:
    """The payments subscription each paid membership extends, as `payment_succeed` keeps it."""
    rows = []
    for items in memberships.values():
        by_plan: dict[int, list[Membership]] = {}
        for membership in items:
            by_plan.setdefault(membership.plan_id, []).append(membership)
        for same in by_plan.values():
            rows.append(
                Subscription(
                    client_id=same[0].client_id,
                    tariff_id=same[0].plan.tariff_id,
                    starts_on=same[0].starts_on,
                    ends_on=same[-1].ends_on,
                    last_payment_id=same[-1].payment_id,
                )
            )
    Subscription.objects.bulk_create(rows)
    return len(rows)


def _attendance(
    sessions: list[Session],
    regulars: dict[int, list[Client]],
    memberships: dict[int, list[Membership]],
    rng: random.Random,
) -> int:
    reliability = {}
    dropped = {}
    rows = []
    used: dict[int, int] = {}
    for session in sessions:
        day = timezone.localtime(session.starts_at).date()
        for client in regulars.get(session.group_id, []):
            if client.pk not in reliability:
                reliability[client.pk] = rng.uniform(0.45, 0.92)
                # One in ten stops coming two to three weeks ago: the missed-classes alert's case.
                dropped[client.pk] = (
                    timezone.localdate() - timedelta(days=rng.randint(14, 21))
                    if rng.random() < 0.1
                    else None
                )
            membership = next(
                (
                    m
                    for m in memberships.get(client.pk, [])
                    if m.starts_on <= day <= m.ends_on
                    and (m.visits_total is None or used.get(m.pk, 0) < m.visits_total)
                ),
                None,
            )
            roll = rng.random()
            if dropped[client.pk] and day >= dropped[client.pk]:
                status = "absent"
            elif membership is None:
                continue  # no membership that day: not expected
            elif roll < reliability[client.pk]:
                status = "late" if rng.random() < 0.07 else "present"
            elif roll < reliability[client.pk] + 0.05:
                status = "excused"
            else:
                status = "absent"
            visit = status in Attendance.VISITED
            if visit:
                used[membership.pk] = used.get(membership.pk, 0) + 1
            rows.append(
                Attendance(
                    session=session,
                    client=client,
                    status=status,
                    membership=membership if visit else None,
                    session_starts_at=session.starts_at,
                    marked_by_id=session.trainer_id,
                    marked_at=session.starts_at + timedelta(minutes=rng.randint(0, 20)),
                )
            )
    Attendance.objects.bulk_create(rows, ignore_conflicts=True)
    for membership_id, count in used.items():
        Membership.objects.filter(pk=membership_id).update(visits_used=count)
    return len(rows)


def _ranks(students_by_discipline: dict[int, list[Client]], rng: random.Random, today: date) -> int:
    current, history = [], []
    for discipline_id, students in students_by_discipline.items():
        ladder = list(Rank.objects.filter(discipline_id=discipline_id).order_by("order"))
        if not ladder:
            continue
        weights = BELT_WEIGHTS[: len(ladder)]
        for client in students:
            rank = rng.choices(ladder, weights=weights)[0]
            stripes = rng.randint(0, rank.max_stripes)
            since = today - timedelta(days=rng.randint(20, 420))
            current.append(
                ClientRank(
                    client=client,
                    discipline_id=discipline_id,
                    rank=rank,
                    stripes=stripes,
                    since=since,
                )
            )
            if rank.order:
                previous = ladder[rank.order - 1]
                history.append(
                    RankHistory(
                        client=client,
                        discipline_id=discipline_id,
                        rank=previous,
                        stripes=previous.max_stripes,
                        awarded_on=since - timedelta(days=rng.randint(200, 500)),
                    )
                )
            history.append(
                RankHistory(
                    client=client,
                    discipline_id=discipline_id,
                    rank=rank,
                    stripes=stripes,
                    awarded_on=since,
                )
            )
    ClientRank.objects.bulk_create(current, ignore_conflicts=True)
    RankHistory.objects.bulk_create(history)
    return len(current) + len(history)


def _bookings(
    groups: list[TrainingGroup], regulars: dict[int, list[Client]], rng: random.Random, now
) -> int:
    """Bookings for the coming week's sessions (a few of them full, with a waitlist)."""
    upcoming = Session.objects.filter(
        group__in=groups,
        starts_at__gt=now,
        starts_at__lt=now + timedelta(days=7),
        status=Session.Status.SCHEDULED,
    )
    rows = []
    for session in upcoming:
        pool = list(regulars.get(session.group_id, []))
        rng.shuffle(pool)
        wanted = pool[: int(len(pool) * rng.uniform(0.4, 0.8))]
        for n, client in enumerate(wanted):
            status = Booking.Status.BOOKED if n < session.capacity else Booking.Status.WAITLISTED
            rows.append(
                Booking(
                    session=session,
                    client=client,
                    status=status,
                    queued_at=now - timedelta(hours=len(wanted) - n),
                )
            )
    created = Booking.objects.bulk_create(rows, ignore_conflicts=True)
    counts: dict[int, int] = {}
    for booking in created:
        if booking.status == Booking.Status.BOOKED:
            counts[booking.session_id] = counts.get(booking.session_id, 0) + 1
    for session_id, count in counts.items():
        Session.objects.filter(pk=session_id).update(booked_count=F("booked_count") + count)
    return len(created)


@transaction.atomic
def seed(*, clients: list[Client], rng: random.Random) -> int:
    if TrainingGroup.objects.filter(title=GROUPS[0].title).exists():
        return services.sessions_generate()
    trainers = {
        u.username: u
        for u in User.objects.filter(role=User.Role.TRAINER, username__startswith="demo-")
    }
    if not trainers or not clients:
        return 0
    now = timezone.now()
    today = timezone.localdate()
    # Members are clients who bought (a membership is a purchase); inactive clients fill up the
    # number as lapsed members whose only membership ran out. Stages are left as they are.
    bought = [c for c in clients if c.stage and c.stage.code in BOUGHT_STAGES]
    inactive = [c for c in clients if c.stage and c.stage.code == "inactive"]
    chosen = rng.sample(bought, min(STUDENTS, len(bought)))
    lapsed = rng.sample(inactive, min(STUDENTS - len(chosen), len(inactive)))
    students = sorted(chosen + lapsed, key=lambda c: c.pk)
    plans = _plans()
    payments_demo.ensure_promotions()  # "Утро будней", "2+1" on the memberships just created
    groups = _groups(trainers)
    by_title = {g.title: g for g in groups}
    adults = [g for g in groups if g.level != Level.KIDS and g.title != "Открытый ковёр"]
    kids = [g for g in groups if g.level == Level.KIDS]
    regulars: dict[int, list[Client]] = {g.pk: [] for g in groups}
    by_discipline: dict[int, list[Client]] = {}
    for n, client in enumerate(students):
        if n % 6 == 0:  # one in six is a child
            chosen = [rng.choice(kids)]
        else:
            chosen = rng.sample(adults, k=1 if rng.random() < 0.6 else 2)
            if rng.random() < 0.3:
                chosen.append(by_title["Открытый ковёр"])
        for group in chosen:
            regulars[group.pk].append(client)
            if client not in by_discipline.setdefault(group.discipline_id, []):
                by_discipline[group.discipline_id].append(client)
    for group in groups:
        group.regulars.add(*regulars[group.pk])
    rows = len(plans) + len(groups)
    sessions = _past_sessions(groups, first=today - timedelta(days=HISTORY_DAYS), now=now)
    memberships = _memberships(students, plans, rng, today, lapsed={c.pk for c in lapsed})
    rows += len(sessions) + sum(len(m) for m in memberships.values())
    rows += _attendance(sessions, regulars, memberships, rng)
    rows += _subscriptions(memberships)
    rows += _ranks(by_discipline, rng, today)
    rows += services.sessions_generate()
    rows += _bookings(groups, regulars, rng, now)
    return rows
