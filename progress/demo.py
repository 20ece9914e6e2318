"""Demo measurements for `seed_demo`: active and finished clients get 1–12 plausible weekly entries.

Each client's series is generated from the client's id, so a re-run creates nothing twice (and the
unique (client, period) constraint backs that up).
"""

import random
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from crm.models import Client
from crm.vocabulary import Gender, Goal
from programs.models import TrainingProgram

from .metrics import METRICS
from .models import ProgressJournal

LIMITS = {m.field: (Decimal(str(m.low)), Decimal(str(m.high))) for m in METRICS}

# Typical starting girths (cm) relative to a 75 kg adult, per gender.
BASE = {
    Gender.MALE: {
        "chest": 100,
        "waist": 88,
        "lower_abdomen": 92,
        "glutes": 98,
        "thigh": 56,
        "calf": 38,
        "arm": 33,
    },
    Gender.FEMALE: {
        "chest": 92,
        "waist": 76,
        "lower_abdomen": 88,
        "glutes": 100,
        "thigh": 58,
        "calf": 36,
        "arm": 28,
    },
}
NOTES = ["", "", "", "Хорошо спала, мало воды", "После отпуска", "Болела, пропустила тренировки"]


def _d(value: float) -> Decimal:
    return Decimal(str(round(value, 1)))


def series(
    client: Client, rng: random.Random, weeks: int, start: date | None = None
) -> list[ProgressJournal]:
    gender = client.gender or Gender.FEMALE
    height = client.height_cm or (178 if gender == Gender.MALE else 165)
    weight = float(client.weight_kg or (height - 100 + rng.randint(-5, 15)))
    scale = weight / 75
    base = {k: v * (0.85 + 0.15 * scale) + rng.uniform(-3, 3) for k, v in BASE[gender].items()}
    gaining = client.goal == Goal.MUSCLE_GAIN
    today = timezone.localdate()
    if start is None:
        start = (client.stage_changed_at or timezone.now()).date() - timedelta(days=7 * weeks)
    # Never in the future: a program that started five weeks ago has at most six entries.
    weeks = max(1, min(weeks, (today - start).days // 7 + 1))
    rows = []
    for week in range(weeks):
        trend = week / 12
        w = weight + (0.35 if gaining else -0.6) * week + rng.uniform(-0.4, 0.4)
        girth = (0.2 if gaining else -1.0) * trend * 6
        arm = (0.6 if gaining else 0.1) * trend * 4
        values = {
            "weight": _d(w),
            "chest": _d(base["chest"] + girth / 2 + rng.uniform(-0.5, 0.5)),
            "waist": _d(base["waist"] + girth * 1.2 + rng.uniform(-0.5, 0.5)),
            "lower_abdomen": _d(base["lower_abdomen"] + girth + rng.uniform(-0.5, 0.5)),
            "glutes": _d(base["glutes"] + girth / 2 + rng.uniform(-0.5, 0.5)),
            "right_thigh": _d(base["thigh"] + girth / 3 + rng.uniform(-0.3, 0.3)),
            "left_thigh": _d(base["thigh"] - 0.5 + girth / 3 + rng.uniform(-0.3, 0.3)),
            "right_calf": _d(base["calf"] + rng.uniform(-0.2, 0.2)),
            "left_calf": _d(base["calf"] - 0.3 + rng.uniform(-0.2, 0.2)),
            "right_arm": _d(base["arm"] + arm + rng.uniform(-0.2, 0.2)),
            "left_arm": _d(base["arm"] - 0.4 + arm + rng.uniform(-0.2, 0.2)),
        }
        # A light client losing weight for months would fall below what the journal accepts.
        values = {k: min(max(v, LIMITS[k][0]), LIMITS[k][1]) for k, v in values.items()}
        if week and rng.random() < 0.3:  # clients often send only their weight and waist
            values = {k: v for k, v in values.items() if k in ("weight", "waist")}
        rows.append(
            ProgressJournal(
                client=client,
                period="before" if week == 0 else f"week_{week}",
                measured_on=start + timedelta(days=7 * week),
                notes=rng.choice(NOTES),
                source="web" if week == 0 else rng.choice(["bot", "bot", "web"]),
                **values,
            )
        )
    return rows


def seed(*, clients: list[Client], rng: random.Random) -> int:
    """Bulk-create the series of the given active and finished clients that have none yet."""
    eligible = [c for c in clients if c.stage_id and c.stage.code in ("active", "finished")]
    have = set(
        ProgressJournal.objects.filter(client__in=eligible).values_list("client_id", flat=True)
    )
    # The journal belongs to the client's latest paid program when the programs demo made one.
    program_of: dict[int, tuple[int, date]] = {}
    for client_id, program_id, assigned_at in (
        TrainingProgram.objects.filter(client__in=eligible, kind="paid")
        .order_by("client_id", "assigned_at", "id")
        .values_list("client_id", "id", "assigned_at")
    ):
        program_of[client_id] = (program_id, timezone.localdate(assigned_at))
    rows: list[ProgressJournal] = []
    for client in eligible:
        if client.pk in have:
            continue
        own = random.Random(f"progress-{client.pk}")
        weeks = own.randint(1, 12) if client.stage.code == "active" else own.randint(6, 12)
        program_id, start = program_of.get(client.pk, (None, None))
        for entry in series(client, own, weeks, start):
            entry.program_id = program_id
            rows.append(entry)
    ProgressJournal.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    return len(rows)
