"""The words around a program: an introduction and tips, by an LLM or by a deterministic formatter.

The table of exercises (sets, reps, rest) always comes from the structured content: the LLM only
writes the introduction and the tips, and an answer that is not the expected JSON, is too long or
short, or mentions its own sets × reps is refused, so it can never change the prescription. On any
failure — or with no LLM configured — the deterministic formatter writes the same sections.
"""

import json
import logging
import re
from dataclasses import dataclass

from crm.vocabulary import Goal

from . import llm
from .library import GOAL_RU, LEVEL_RU, SETUP_RU

logger = logging.getLogger(__name__)

# "3x10", "4 × 8-10", "5х5" (Cyrillic х): the LLM must not prescribe volume of its own.
SETS_X_REPS = re.compile(r"\d+\s*[xх×*]\s*\d+", re.IGNORECASE)


@dataclass(frozen=True)
class ProgramFacts:
    client_name: str
    gender: str
    goal: str
    level: str
    equipment: str
    days_per_week: int
    weeks: int
    paid: bool
    exercises: list[str]  # names from the first week, for the LLM's context


@dataclass(frozen=True)
class Formatted:
    intro: str
    tips: list[str]
    by: str  # "llm" | "deterministic"
    error: str = ""  # why the LLM was not used, when it was configured

    def as_dict(self) -> dict:
        return {"intro": self.intro, "tips": self.tips, "by": self.by, "error": self.error}


GOAL_TIPS = {
    Goal.WEIGHT_LOSS: [
        "Снижение веса на 80% решает питание: держите дефицит 300–500 ккал и 1,6–2 г белка на кг веса.",
        "Проходите 8–10 тысяч шагов в день — это сжигает больше, чем кажется.",
        "Отдых между подходами короткий: пульс должен оставаться повышенным.",
    ],
    Goal.MUSCLE_GAIN: [
        "Для роста мышц нужен небольшой профицит калорий (+10%) и 1,8–2 г белка на кг веса.",
        "Записывайте рабочие веса: каждую неделю старайтесь добавить повтор или 2,5 кг.",
        "Спите 7–9 часов — мышцы растут во время восстановления.",
    ],
    Goal.TONING: [
        "Рельеф — это мышцы плюс умеренный процент жира: питайтесь без больших излишков и ешьте достаточно белка.",
        "Выполняйте упражнения медленно и подконтрольно, чувствуя работающую мышцу.",
        "Добавьте активность в течение дня: прогулки и лестница вместо лифта.",
    ],
    Goal.STRENGTH: [
        "Сила растёт от тяжёлых подходов со свежими мышцами: отдыхайте между подходами 2–3 минуты.",
        "Техника важнее веса: снимайте на видео подходы в базовых упражнениях.",
        "Если штанга на неделе идёт тяжелее обычного — не форсируйте, повторите вес прошлой недели.",
    ],
}
COMMON_TIPS = [
    "Перед тренировкой разминка 7–10 минут: суставная гимнастика и лёгкое кардио.",
    "Пейте воду: около 30 мл на кг веса в день, в дни тренировок — больше.",
    "Острая боль в суставах — сигнал остановиться и написать тренеру.",
]


def deterministic(facts: ProgramFacts, *, error: str = "") -> Formatted:
    name = facts.client_name.split()[0] if facts.client_name else ""
    greeting = f"{name}, привет!" if name else "Привет!"
    span = (
        f"полная программа на {facts.weeks} недель"
        if facts.paid
        else f"бесплатная программа на {facts.weeks} нед."
    )
    times = "раза" if facts.days_per_week in (2, 3, 4) else "раз"
    intro = (
        f"{greeting} Это ваша {span}: цель — {GOAL_RU.get(facts.goal, facts.goal)}, "
        f"уровень — {LEVEL_RU.get(facts.level, facts.level)}, тренировки — "
        f"{SETUP_RU.get(facts.equipment, facts.equipment)}, {facts.days_per_week} {times} в неделю. "
        "Выполняйте упражнения в указанном порядке, отдыхайте между подходами столько, сколько "
        "написано в таблице, а между тренировками оставляйте хотя бы день отдыха."
    )
    if facts.paid:
        intro += (
            " Программа разбита на три этапа по 4 недели: адаптация, развитие и интенсив; "
            "недели 4 и 8 — разгрузочные, на 12-й неделе подводим итоги."
        )
    else:
        intro += " Если понравится — полная 12-недельная программа с прогрессией ждёт вас в боте."
    tips = [*GOAL_TIPS.get(facts.goal, []), *COMMON_TIPS]
    return Formatted(intro=intro, tips=tips, by="deterministic", error=error)


SYSTEM_PROMPT = (
    "Ты — персональный фитнес-тренер. Пишешь короткое дружелюбное вступление и советы к готовой "
    "программе тренировок на русском языке. Таблицу упражнений, подходы и повторения не пиши и не "
    'меняй — она уже готова. Ответь только JSON: {"intro": "3–6 предложений", "tips": ["5–7 '
    'коротких советов"]}.'
)


def _prompt(facts: ProgramFacts) -> str:
    return json.dumps(
        {
            "client": facts.client_name.split()[0] if facts.client_name else "",
            "gender": facts.gender,
            "goal": GOAL_RU.get(facts.goal, facts.goal),
            "level": LEVEL_RU.get(facts.level, facts.level),
            "where": SETUP_RU.get(facts.equipment, facts.equipment),
            "days_per_week": facts.days_per_week,
            "weeks": facts.weeks,
            "program": "платная, полная" if facts.paid else "бесплатная, пробная",
            "exercises_week_1": facts.exercises[:30],
        },
        ensure_ascii=False,
    )


class GarbageAnswer(ValueError):
    pass


def parse_llm_answer(text: str) -> tuple[str, list[str]]:
    """(intro, tips) from the model's answer, or GarbageAnswer saying what is wrong with it."""
    cleaned = text.strip()
    fenced = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", cleaned, re.DOTALL)
    if fenced:
        cleaned = fenced.group(1)
    try:
        data = json.loads(cleaned)
    except ValueError as exc:
        raise GarbageAnswer("the answer is not JSON") from exc
    if not isinstance(data, dict):
        raise GarbageAnswer("the answer is not a JSON object")
    intro, tips = data.get("intro"), data.get("tips")
    if not isinstance(intro, str) or not 40 <= len(intro.strip()) <= 2000:
        raise GarbageAnswer("intro must be text of 40–2000 characters")
    if not isinstance(tips, list) or not 2 <= len(tips) <= 10:
        raise GarbageAnswer("tips must be a list of 2–10 items")
    if not all(isinstance(t, str) and 5 <= len(t.strip()) <= 400 for t in tips):
        raise GarbageAnswer("every tip must be text of 5–400 characters")
    texts = [intro, *tips]
    if any(SETS_X_REPS.search(t) for t in texts):
        raise GarbageAnswer("the answer prescribes its own sets × reps")
    if not any(re.search("[а-яё]", t, re.IGNORECASE) for t in texts):
        raise GarbageAnswer("the answer is not in Russian")
    return intro.strip(), [t.strip() for t in tips]


def format_program(facts: ProgramFacts) -> Formatted:
    """Introduction and tips: the LLM's when configured and sane, else the deterministic ones
    (with `error` saying why the LLM's were not used)."""
    if not llm.is_configured():
        return deterministic(facts)
    try:
        answer = llm.chat(system=SYSTEM_PROMPT, user=_prompt(facts))
        intro, tips = parse_llm_answer(answer)
    except GarbageAnswer as exc:
        logger.warning("LLM answer refused: %s", exc)
        return deterministic(facts, error=f"unusable answer: {exc}")
    except Exception as exc:  # noqa: BLE001 — timeouts, HTTP and SDK errors all mean "fall back"
        logger.warning("LLM call failed: %s: %s", type(exc).__name__, exc)
        return deterministic(facts, error=f"{type(exc).__name__}: {str(exc)[:200]}")
    return Formatted(intro=intro, tips=tips, by="llm")


PLAIN_TEXT_WEEKS = 1


def plain_text(*, title: str, formatted: dict, content: dict) -> str:
    """The program as plain text (a chat message, a copy): intro, the first week's table, tips.

    Later weeks live in the content and the PDF; repeating twelve weeks here would only triple the
    row's size.
    """
    lines = [title, "", formatted.get("intro", ""), ""]
    weeks = content.get("weeks", [])
    for week in weeks[:PLAIN_TEXT_WEEKS]:
        lines.append(f"Неделя {week['number']}")
        for day in week.get("days", []):
            lines.append(f"  День {day['number']}: {day.get('title', '')}".rstrip(": "))
            for exercise in day.get("exercises", []):
                line = f"    • {exercise['name']} — {exercise['sets']} × {exercise['reps']}"
                if exercise.get("rest"):
                    line += f", отдых {exercise['rest']}"
                if exercise.get("notes"):
                    line += f" ({exercise['notes']})"
                lines.append(line)
        lines.append("")
    if len(weeks) > PLAIN_TEXT_WEEKS:
        lines.append(f"Недели {PLAIN_TEXT_WEEKS + 1}–{weeks[-1]['number']} — в PDF.")
        lines.append("")
    tips = formatted.get("tips") or []
    if tips:
        lines.append("Советы")
        lines.extend(f"  • {tip}" for tip in tips)
    return "\n".join(lines).strip() + "\n"
