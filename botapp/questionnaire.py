"""The questionnaire: its questions, the answers' validation and how answers land on the client.

The choices and names come from crm's vocabulary (the `Client` fields' choices and names, translated
by crm's catalogue), so the bot, the client card and program selection key off the same values."""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.text import capfirst

from crm.models import Client
from crm.numbers import parse_plain_decimal


@dataclass(frozen=True)
class Question:
    step: str  # also the text key "q_<step>"
    field: str  # crm.Client field the answer is saved to; its name and choices label the question
    numbers: bool = False  # answered by buttons 1…maximum, or typed
    minimum: int = 0
    maximum: int = 0
    decimals: bool = False
    example: str = ""
    columns: int = 2

    @property
    def label(self) -> str:
        """The question's name in the summary: the client field's (translated) name."""
        return capfirst(str(Client._meta.get_field(self.field).verbose_name))

    @property
    def choices(self) -> tuple[tuple[str, str], ...]:
        """(value, button label): the field's vocabulary, or the numbers for a numeric choice."""
        if self.numbers:
            return tuple((str(n), str(n)) for n in range(self.minimum, self.maximum + 1))
        return tuple(
            (value, str(label)) for value, label in Client._meta.get_field(self.field).choices or ()
        )

    @property
    def is_choice(self) -> bool:
        return bool(self.choices) and not self.maximum


QUESTIONS: tuple[Question, ...] = (
    Question("gender", "gender"),
    Question("age", "age", minimum=10, maximum=100, example="30"),
    Question("experience", "experience", columns=1),
    Question("goal", "goal"),
    Question("height", "height_cm", minimum=100, maximum=250, example="175"),
    Question("weight", "weight_kg", minimum=30, maximum=300, decimals=True, example="72.5"),
    Question("lifestyle", "lifestyle", columns=1),
    Question("location", "location", columns=3),
    Question("equipment", "equipment"),
    Question(
        "training_days",
        "training_days_per_week",
        numbers=True,
        minimum=1,
        maximum=7,
        example="3",
        columns=7,
    ),
)
BY_STEP: dict[str, Question] = {q.step: q for q in QUESTIONS}
FIRST = QUESTIONS[0].step


def next_step(answers: dict) -> str | None:
    """The first unanswered question (None: all answered, show the summary)."""
    for question in QUESTIONS:
        if question.step not in answers:
            return question.step
    return None


class AnswerError(ValueError):
    def __init__(self, key: str, **values: object):
        super().__init__(key)
        self.key, self.values = key, values


def validate(question: Question, raw: str) -> str:
    """The stored form of an answer, or AnswerError(text key) for a wrong one."""
    raw = (raw or "").strip()
    if question.choices:
        for value, label in question.choices:
            if raw == value or raw.casefold() == label.casefold():
                return value
        if not question.maximum:
            raise AnswerError("err_choice")
    number = parse_plain_decimal(raw) if len(raw) <= 12 else None
    if number is None:
        raise AnswerError("err_number", example=question.example)
    if not question.decimals and number != number.to_integral_value():
        raise AnswerError("err_number", example=question.example)
    if not question.minimum <= number <= question.maximum:
        raise AnswerError("err_range", min=question.minimum, max=question.maximum)
    if question.decimals:
        return str(number.quantize(Decimal("0.1")))
    return str(int(number))


def display(question: Question, value: str) -> str:
    for choice, label in question.choices:
        if choice == value:
            return label
    return value


def summary_lines(answers: dict) -> str:
    return "\n".join(
        f"• {q.label}: {display(q, answers[q.step])}" for q in QUESTIONS if q.step in answers
    )


def client_values(answers: dict) -> dict:
    """The answers as crm.Client field values."""
    values: dict = {}
    for question in QUESTIONS:
        raw = answers[question.step]
        if question.decimals:
            values[question.field] = Decimal(raw)
        elif question.maximum:
            values[question.field] = int(raw)
        else:
            values[question.field] = raw
    return values
