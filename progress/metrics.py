"""The measurements a client records, their sane ranges and which way is progress.

One table drives the model's fields, the database checks, the forms, the bot's questions and the
colours of the changes, so a new metric is added in one place.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from crm.vocabulary import Goal

DOWN, UP, NEUTRAL = "down", "up", "neutral"


@dataclass(frozen=True)
class Metric:
    field: str
    label: Promise
    unit: Promise
    low: Decimal
    high: Decimal
    good: str  # DOWN: a decrease is progress (waist); UP: an increase is (arms); NEUTRAL: neither
    question: str  # the bot's question (Russian content, like the bot's other texts)


KG, CM = _("kg"), _("cm")

METRICS: tuple[Metric, ...] = (
    Metric("weight", _("Weight"), KG, Decimal(30), Decimal(300), DOWN, "Вес, кг"),
    Metric("chest", _("Chest"), CM, Decimal(50), Decimal(200), NEUTRAL, "Обхват груди, см"),
    Metric("waist", _("Waist"), CM, Decimal(40), Decimal(200), DOWN, "Талия, см"),
    Metric(
        "lower_abdomen",
        _("Lower abdomen"),
        CM,
        Decimal(40),
        Decimal(200),
        DOWN,
        "Низ живота, см",
    ),
    Metric("glutes", _("Glutes"), CM, Decimal(50), Decimal(200), NEUTRAL, "Ягодицы, см"),
    Metric(
        "right_thigh", _("Right thigh"), CM, Decimal(25), Decimal(120), NEUTRAL, "Правое бедро, см"
    ),
    Metric(
        "left_thigh", _("Left thigh"), CM, Decimal(25), Decimal(120), NEUTRAL, "Левое бедро, см"
    ),
    Metric("right_calf", _("Right calf"), CM, Decimal(20), Decimal(70), NEUTRAL, "Правая икра, см"),
    Metric("left_calf", _("Left calf"), CM, Decimal(20), Decimal(70), NEUTRAL, "Левая икра, см"),
    Metric("right_arm", _("Right arm"), CM, Decimal(15), Decimal(70), UP, "Правая рука, см"),
    Metric("left_arm", _("Left arm"), CM, Decimal(15), Decimal(70), UP, "Левая рука, см"),
)
METRIC_FIELDS = tuple(m.field for m in METRICS)
BY_FIELD = {m.field: m for m in METRICS}


def good_direction(metric: Metric, goal: str = "") -> str:
    """Which way is progress for this metric and this client's goal.

    Weight goes down for most goals but up for a client gaining muscle.
    """
    if metric.field == "weight" and goal == Goal.MUSCLE_GAIN:
        return UP
    return metric.good


def change_tone(delta: Decimal | None, direction: str) -> str:
    """ "good", "bad" or "neutral" for a change, for colouring it."""
    if delta is None or delta == 0 or direction == NEUTRAL:
        return "neutral"
    improved = delta < 0 if direction == DOWN else delta > 0
    return "good" if improved else "bad"
