"""The questionnaire: its questions, the answers' validation and how answers land on the client."""

from dataclasses import dataclass
from decimal import Decimal

from crm.numbers import parse_plain_decimal


@dataclass(frozen=True)
class Question:
    step: str  # also the text key "q_<step>"
    field: str  # crm.Client field the answer is saved to
    label: str  # the question's name in the summary
    choices: tuple[tuple[str, str], ...] = ()  # (value, button label)
    minimum: int = 0
    maximum: int = 0
    decimals: bool = False
    example: str = ""
    columns: int = 2

    @property
    def is_choice(self) -> bool:
        return bool(self.choices) and not self.maximum


QUESTIONS: tuple[Question, ...] = (
    Question("gender", "gender", "Пол", (("male", "Мужской"), ("female", "Женский"))),
    Question("age", "age", "Возраст", minimum=10, maximum=100, example="30"),
    Question(
        "experience",
        "experience",
        "Опыт",
        (("beginner", "Новичок"), ("intermediate", "Средний"), ("advanced", "Продвинутый")),
        columns=1,
    ),
    Question(
        "goal",
        "goal",
        "Цель",
        (
            ("weight_loss", "Похудение"),
            ("muscle_gain", "Набор массы"),
            ("toning", "Тонус"),
            ("strength", "Сила"),
        ),
    ),
    Question("height", "height_cm", "Рост, см", minimum=100, maximum=250, example="175"),
    Question(
        "weight", "weight_kg", "Вес, кг", minimum=30, maximum=300, decimals=True, example="72.5"
    ),
    Question(
        "lifestyle",
        "lifestyle",
        "Образ жизни",
        (
            ("sedentary", "Сидячий"),
            ("light", "Лёгкая активность"),
            ("moderate", "Умеренная активность"),
            ("active", "Высокая активность"),
        ),
        columns=1,
    ),
    Question(
        "location",
        "location",
        "Где тренируетесь",
        (("gym", "Спортзал"), ("home", "Дома"), ("outdoors", "На улице")),
        columns=3,
    ),
    Question(
        "equipment",
        "equipment",
        "Оборудование",
        (
            ("none", "Без оборудования"),
            ("dumbbells", "Гантели"),
            ("bands", "Резинки"),
            ("full_gym", "Полный зал"),
        ),
    ),
    Question(
        "training_days",
        "training_days_per_week",
        "Тренировок в неделю",
        tuple((str(n), str(n)) for n in range(1, 8)),
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
