"""Demo business for `manage.py seed_demo`: staff, clients with their stage histories, leads, actions
and contacts — realistic Russian data, generated deterministically from the client's index so that a
re-run adds only what is missing.

Other apps extend the demo with a `demo.py` of their own defining
`seed(*, clients: list[Client], rng: random.Random) -> int` (rows created); seed_demo calls it with the
clients it just created (see `crm.management.commands.seed_demo`).
"""

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.db import reset_queries, transaction
from django.utils import timezone

from pipeline.models import PipelineStage, StageMove

from .models import Client, ClientAction, ClientContact, Lead, Task, User
from .vocabulary import Equipment, Gender, Goal, Level, Location

DEMO_PHONE_PREFIX = "+79990"  # demo clients use +79990NNNNNN: easy to spot, never a real lead
DEMO_TELEGRAM_BASE = 9_100_000_000
BATCH = 2000


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    role: str
    first_name: str
    last_name: str


DEMO_ADMIN = DemoUser("demo-admin", "demo-admin-2026", User.Role.ADMIN, "Ольга", "Администратор")
DEMO_TRAINER = DemoUser("demo-trainer", "demo-trainer-2026", User.Role.TRAINER, "Алексей", "Иванов")
DEMO_USERS = [
    DEMO_ADMIN,
    DEMO_TRAINER,
    DemoUser("demo-trainer2", "demo-trainer-2026", User.Role.TRAINER, "Мария", "Смирнова"),
    DemoUser("demo-trainer3", "demo-trainer-2026", User.Role.TRAINER, "Дмитрий", "Волков"),
    DemoUser("demo-operator", "demo-operator-2026", User.Role.OPERATOR, "Светлана", "Кузнецова"),
    DemoUser("demo-readonly", "demo-readonly-2026", User.Role.READ_ONLY, "Игорь", "Бухгалтеров"),
]

MALE_FIRST = [
    "Александр",
    "Дмитрий",
    "Максим",
    "Сергей",
    "Андрей",
    "Алексей",
    "Артём",
    "Илья",
    "Кирилл",
    "Михаил",
    "Никита",
    "Матвей",
    "Роман",
    "Егор",
    "Иван",
    "Павел",
    "Денис",
]
FEMALE_FIRST = [
    "Анна",
    "Мария",
    "Елена",
    "Ольга",
    "Наталья",
    "Екатерина",
    "Татьяна",
    "Ирина",
    "Светлана",
    "Юлия",
    "Дарья",
    "Алина",
    "Ксения",
    "Виктория",
    "Полина",
    "Софья",
]
LAST = [
    "Иванов",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Васильев",
    "Петров",
    "Соколов",
    "Михайлов",
    "Новиков",
    "Фёдоров",
    "Морозов",
    "Волков",
    "Алексеев",
    "Лебедев",
    "Семёнов",
    "Егоров",
    "Павлов",
    "Козлов",
    "Степанов",
    "Николаев",
    "Орлов",
    "Андреев",
    "Макаров",
    "Никитин",
]
SOURCES = [("telegram", 35), ("vk_ads", 20), ("instagram", 18), ("website", 15), ("referral", 12)]
# Where clients are now, weighted like a real funnel.
STAGE_WEIGHTS = [
    ("first_contact", 26),
    ("consultation", 18),
    ("deciding", 12),
    ("purchased", 5),
    ("active", 17),
    ("finished", 10),
    ("inactive", 12),
]
FLOW = ["first_contact", "consultation", "deciding", "purchased", "active", "finished"]
EVENTS = {
    "first_contact": "lead_created",
    "consultation": "questionnaire_completed",
    "deciding": "payment_created",
    "purchased": "payment_succeeded",
    "active": "program_delivered",
    # Nothing moves a client to Завершили automatically yet (the trigger is the automations' job):
    # the trainer does it by hand, so the demo does not invent a move the product cannot make.
    "finished": "manual",
}

INBOUND = [
    "Здравствуйте! Хочу программу тренировок.",
    "Сколько стоит программа на 3 месяца?",
    "Можно заниматься дома без инвентаря?",
    "Спасибо, программа отличная!",
    "Подскажите, как правильно делать выпады?",
    "Отправляю замеры за неделю.",
    "Какая программа подойдёт для похудения?",
    "Можно перенести консультацию на вечер?",
]
OUTBOUND = [
    "Добрый день! Подготовил для вас бесплатную программу на неделю.",
    "Как прошла первая тренировка?",
    "Напоминаю про замеры в воскресенье.",
    "Отличный прогресс! Так держать.",
    "Вот ссылка на оплату полной программы.",
    "Давайте созвонимся завтра и обсудим цели.",
]
TASKS = [
    ("call", "Обсудить результаты первой недели"),
    ("call", "Перезвонить по тарифу"),
    ("message", "Напомнить про оплату"),
    ("message", "Отправить замеры в бот"),
    ("consultation", "Консультация по питанию"),
    ("meeting", "Пробная тренировка"),
    ("follow_up", ""),
]

ACTIONS = [
    ("call", "Созвонились, обсудили цели и график тренировок"),
    ("meeting", "Провели консультацию в зале, замерили параметры"),
    ("message", "Написал в Telegram, отправил расценки"),
    ("note", "Есть старая травма колена — исключить глубокие приседания"),
    ("email", "Отправил договор и памятку по питанию"),
]
GOALS = Goal.values
EXPERIENCE = Level.values
LIFESTYLE = Client.Lifestyle.values
LOCATIONS = Location.values
EQUIPMENT = {
    Location.GYM: [Equipment.FULL_GYM.value],
    Location.HOME: [Equipment.NONE.value, Equipment.DUMBBELLS.value, Equipment.BANDS.value],
    Location.OUTDOORS: [Equipment.NONE.value, Equipment.BANDS.value],
}
LOST_NOTES = ["Не отвечает две недели", "Дорого", "Выбрал другой зал", "Переехал в другой город"]


@dataclass
class SeedResult:
    users_created: int = 0
    clients_created: int = 0
    rows: dict[str, int] = field(default_factory=dict)


def ensure_demo_users() -> tuple[list[User], int]:
    """Create the demo staff if missing (passwords are reset to the documented ones)."""
    users, created = [], 0
    for demo in DEMO_USERS:
        user, was_created = User.objects.get_or_create(
            username=demo.username,
            defaults={
                "role": demo.role,
                "first_name": demo.first_name,
                "last_name": demo.last_name,
                "email": f"{demo.username}@example.com",
            },
        )
        if was_created:
            user.is_superuser = demo.role == User.Role.ADMIN
            user.set_password(demo.password)
            user.save()
            created += 1
        users.append(user)
    return users, created


def _weighted(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in pairs], weights=[w for _, w in pairs])[0]


def _stage_path(final: str, rng: random.Random) -> list[str]:
    if final == "inactive":
        stop = rng.randint(0, 3)  # lost somewhere between first contact and purchase
        return [*FLOW[: stop + 1], "inactive"]
    return FLOW[: FLOW.index(final) + 1]


def build_client(
    index: int, *, trainers: list[User], stages: dict[str, PipelineStage], now: datetime
) -> tuple[Client, list[tuple[str, datetime]], random.Random]:
    """The demo client number `index`, always the same for the same index."""
    rng = random.Random(index)
    gender = rng.choice(Gender.values)
    first = rng.choice(MALE_FIRST if gender == Gender.MALE else FEMALE_FIRST)
    last = rng.choice(LAST) + ("а" if gender == Gender.FEMALE else "")
    final = _weighted(rng, STAGE_WEIGHTS)
    path = _stage_path(final, rng)
    created = now - timedelta(
        days=rng.randint(0, 240), hours=rng.randint(0, 23), minutes=rng.randint(0, 59)
    )
    moments, moment = [], created
    for code in path:
        moments.append((code, moment))
        moment = min(now, moment + timedelta(days=rng.randint(0, 9), hours=rng.randint(1, 20)))
    qualified = len(path) > 1 and path[1] != "inactive"
    location = rng.choice(LOCATIONS)
    height = rng.randint(158, 192) if gender == Gender.MALE else rng.randint(152, 178)
    client = Client(
        first_name=first,
        last_name=last,
        phone=f"{DEMO_PHONE_PREFIX}{index:06d}",
        telegram_id=DEMO_TELEGRAM_BASE + index,
        telegram_username=f"{_translit(first)}_{index}",
        email=f"client{index}@example.ru" if rng.random() < 0.4 else "",
        gender=gender,
        source=_weighted(rng, SOURCES),
        trainer=None
        if final == "first_contact" and rng.random() < 0.3
        else trainers[index % len(trainers)],
        stage=stages[final],
        stage_changed_at=moments[-1][1],
        created_at=created,
        last_contact_at=moments[-1][1],
        next_contact_at=(now + timedelta(days=rng.randint(-3, 7))).replace(
            hour=rng.randint(9, 19), minute=rng.choice([0, 30]), second=0, microsecond=0
        )
        if final not in ("finished", "inactive") and rng.random() < 0.35
        else None,
    )
    if qualified:
        client.age = rng.randint(18, 58)
        client.goal = rng.choice(GOALS)
        client.experience = rng.choice(EXPERIENCE)
        client.height_cm = height
        client.weight_kg = Decimal(rng.randint(height - 118, height - 80))
        client.lifestyle = rng.choice(LIFESTYLE)
        client.location = location
        client.equipment = rng.choice(EQUIPMENT[location])
        client.training_days_per_week = rng.choice([2, 3, 3, 4, 5])
    return client, moments, rng


def _translit(name: str) -> str:
    table = str.maketrans("абвгдеёжзийклмнопрстуфхцчшщъыьэюя", "abvgdeejziiklmnoprstufhccss_y_eua")
    return name.lower().translate(table)


def _related_rows(
    client: Client,
    moments: list[tuple[str, datetime]],
    rng: random.Random,
    stages: dict[str, PipelineStage],
    now: datetime,
):
    path = [code for code, _ in moments]
    final = path[-1]
    status = {
        "first_contact": "new",
        "consultation": "qualified",
        "deciding": "qualified",
        "inactive": "lost",
    }.get(final, "converted")
    lead = Lead(client=client, source=client.source, status=status, created_at=client.created_at)
    history, previous = [], None
    for code, at in moments:
        stage = stages[code]
        manual = EVENTS.get(code) == "manual" or code == "inactive"
        history.append(
            StageMove(
                client=client,
                from_stage=previous,
                from_stage_name=previous.name if previous else "",
                to_stage=stage,
                to_stage_name=stage.name,
                event="manual" if manual else EVENTS[code],
                actor=client.trainer if manual else None,
                notes=rng.choice(LOST_NOTES) if code == "inactive" else "",
                moved_at=at,
            )
        )
        previous = stage
    span = max((now - client.created_at).total_seconds(), 3600)
    contacts = [
        ClientContact(
            client=client,
            channel="telegram",
            contact_data=f"@{client.telegram_username}",
            direction=direction,
            text=rng.choice(INBOUND if direction == "inbound" else OUTBOUND),
            sent_at=client.created_at + timedelta(seconds=rng.uniform(0, span)),
        )
        for direction in rng.choices(["inbound", "outbound"], k=rng.randint(1, 4))
    ]
    actions = [
        ClientAction(
            client=client,
            kind=kind,
            description=text,
            author=client.trainer,
            happened_at=client.created_at + timedelta(seconds=rng.uniform(0, span)),
        )
        for kind, text in rng.sample(ACTIONS, k=rng.randint(0, 3 if client.trainer else 0))
    ]
    return [lead], history, contacts, actions


def seed_clients(*, count: int, trainers: list[User], now: datetime | None = None) -> list[Client]:
    """Create demo clients 0..count-1 that do not exist yet, with their related rows, in bulk."""
    with transaction.atomic():
        return [
            c
            for batch in seed_client_batches(count=count, trainers=trainers, now=now)
            for c in batch
        ]


def seed_client_batches(
    *, count: int, trainers: list[User], now: datetime | None = None
) -> Iterator[list[Client]]:
    """Create the missing demo clients `BATCH` at a time (each batch in its own transaction) and
    yield each batch once written: 100 000 clients seed in the memory of one batch."""
    now = now or timezone.now()
    stages = {s.code: s for s in PipelineStage.objects.filter(code__isnull=False)}
    existing = set(
        Client.objects.filter(phone__startswith=DEMO_PHONE_PREFIX).values_list("phone", flat=True)
    )
    rng_tasks = random.Random(count)
    for start in range(0, count, BATCH):
        batch = []
        for index in range(start, min(start + BATCH, count)):
            if f"{DEMO_PHONE_PREFIX}{index:06d}" in existing:
                continue
            batch.append(build_client(index, trainers=trainers, stages=stages, now=now))
        if not batch:
            continue
        with transaction.atomic():
            clients = _create_batch(batch, rng_tasks, stages, now)
        yield clients


def _create_batch(
    batch: list[tuple[Client, list[tuple[str, datetime]], random.Random]],
    rng_tasks: random.Random,
    stages: dict[str, PipelineStage],
    now: datetime,
) -> list[Client]:
    clients = Client.objects.bulk_create([client for client, _, _ in batch])
    leads, history, contacts, actions = [], [], [], []
    for client, (_, moments, rng) in zip(clients, batch, strict=True):
        rows = _related_rows(client, moments, rng, stages, now)
        for bucket, part in zip((leads, history, contacts, actions), rows, strict=True):
            bucket.extend(part)
    Lead.objects.bulk_create(leads)
    StageMove.objects.bulk_create(history)
    ClientContact.objects.bulk_create(contacts)
    ClientAction.objects.bulk_create(actions)
    # "Last contact" is the latest of the stage moves, messages and the trainer's actions.
    latest = {client.pk: client.last_contact_at for client in clients}
    for row in contacts:
        latest[row.client.pk] = max(latest[row.client.pk], row.sent_at)
    for row in actions:
        latest[row.client.pk] = max(latest[row.client.pk], row.happened_at)
    for client in clients:
        client.last_contact_at = latest[client.pk]
    Client.objects.bulk_update(clients, ["last_contact_at"])
    # The next contact is the earliest open task: every scheduled one has its task.
    Task.objects.bulk_create(
        Task(
            client=client,
            assignee=client.trainer,
            kind=kind,
            title=title,
            due_at=client.next_contact_at,
            created_at=client.created_at,
        )
        for client, (kind, title) in zip(
            clients, (rng_tasks.choice(TASKS) for _ in clients), strict=True
        )
        if client.next_contact_at
    )
    return clients


def app_seeders() -> list[tuple[str, Callable[..., int]]]:
    """(verbose name, `seed`) of every app with a `demo.py`, in INSTALLED_APPS order."""
    found = []
    for config in apps.get_app_configs():
        module_name = f"{config.name}.demo"
        if config.name != "crm" and find_spec(module_name) is not None:
            found.append((str(config.verbose_name), import_module(module_name).seed))
    return found


def seed_business(*, count: int, log: Callable[[str], None] = lambda line: None) -> SeedResult:
    """The whole demo: staff, `count` clients and every app's data for them, streamed `BATCH`
    clients at a time so that 100 000 clients fit in the memory of one batch.

    Each app's `seed` gets every demo client (old ones too, so an app added later fills in a demo
    seeded before it), one batch at a time with a random generator seeded by the app and batch."""
    from pipeline.services import stages_ensure_defaults

    stages_ensure_defaults()
    users, users_created = ensure_demo_users()
    trainers = [u for u in users if u.role == User.Role.TRAINER]
    result = SeedResult(users_created=users_created)
    started = time.monotonic()
    for batch in seed_client_batches(count=count, trainers=trainers):
        result.clients_created += len(batch)
        reset_queries()  # with DEBUG on Django keeps the last 9,000 queries, here bulk INSERTs
    log(
        f"Staff: {users_created} created. Clients: {result.clients_created} created "
        f"({time.monotonic() - started:.1f}s)."
    )
    seeders = app_seeders()
    demo_clients = Client.objects.filter(phone__startswith=DEMO_PHONE_PREFIX).select_related(
        "stage", "trainer"
    )
    last_pk, spent = 0, dict.fromkeys((name for name, _ in seeders), 0.0)
    while chunk := list(demo_clients.filter(pk__gt=last_pk).order_by("pk")[:BATCH]):
        for name, seed in seeders:
            started = time.monotonic()
            with transaction.atomic():
                rows = seed(clients=chunk, rng=random.Random(f"{name}:{chunk[0].pk}"))
            result.rows[name] = result.rows.get(name, 0) + rows
            spent[name] += time.monotonic() - started
            reset_queries()
        last_pk = chunk[-1].pk
    for name, _ in seeders:
        log(f"{name}: {result.rows.get(name, 0)} rows created ({spent[name]:.1f}s).")
    return result
