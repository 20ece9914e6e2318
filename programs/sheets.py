"""The program template sheet layout, and the parser that turns a sheet's rows into templates.

One row per exercise per week (README, "Program template sheets"). Headers and values may be written
in English codes or in Russian ("Новичок", "Похудение", "Гантели"). The parser checks every row and
reports each problem with its tab and row number as the trainer sees it in the sheet (header = row 1);
a sheet with any problem loads nothing.
"""

import re
from dataclasses import dataclass, field

from crm.vocabulary import Equipment, Gender, Goal, Level, Location

from .library import TABS

MAX_WEEKS = 52
MAX_SETS = 10
MAX_ERRORS = 20

HEADER_ALIASES = {
    "program_code": ["program_code", "code", "код", "код программы", "программа"],
    "title": ["title", "название", "название программы"],
    "gender": ["gender", "пол"],
    "level": ["level", "experience", "уровень", "опыт"],
    "goal": ["goal", "цель"],
    "location": ["location", "место", "где", "локация"],
    "equipment": ["equipment", "инвентарь", "оборудование"],
    "days_per_week": ["days_per_week", "days", "дней в неделю", "тренировок в неделю"],
    "week": ["week", "неделя"],
    "day": ["day", "день"],
    "day_title": ["day_title", "название дня", "день (название)"],
    "order": ["order", "порядок", "№", "#"],
    "exercise": ["exercise", "упражнение"],
    "sets": ["sets", "подходы", "подходов"],
    "reps": ["reps", "повторения", "повторы", "повторений"],
    "rest": ["rest", "отдых"],
    "notes": ["notes", "tempo", "tempo/notes", "темп", "заметки", "темп/заметки", "комментарий"],
    "video": ["video", "video link", "видео", "ссылка на видео"],
}
REQUIRED = [
    "program_code",
    "level",
    "goal",
    "location",
    "days_per_week",
    "week",
    "day",
    "exercise",
    "sets",
    "reps",
]
VALUE_ALIASES = {
    "gender": {
        Gender.MALE: ["male", "m", "м", "муж", "мужской", "мужчины"],
        Gender.FEMALE: ["female", "f", "w", "ж", "жен", "женский", "женщины"],
    },
    "level": {
        Level.BEGINNER: ["beginner", "новичок", "начальный", "начинающий"],
        Level.INTERMEDIATE: ["intermediate", "средний", "продолжающий"],
        Level.ADVANCED: ["advanced", "продвинутый", "опытный"],
    },
    "goal": {
        Goal.WEIGHT_LOSS: ["weight_loss", "похудение", "снижение веса", "жиросжигание"],
        Goal.MUSCLE_GAIN: ["muscle_gain", "набор массы", "масса", "набор мышечной массы"],
        Goal.TONING: ["toning", "тонус", "рельеф", "тонус и рельеф"],
        Goal.STRENGTH: ["strength", "сила"],
    },
    "location": {
        Location.GYM: ["gym", "зал", "тренажёрный зал", "тренажерный зал"],
        Location.HOME: ["home", "дом", "дома", "outdoors", "улица"],
    },
    "equipment": {
        Equipment.FULL_GYM: ["full_gym", "gym", "зал", "тренажёры", "тренажеры"],
        Equipment.NONE: ["none", "нет", "без инвентаря", "без оборудования", "-", "—"],
        Equipment.DUMBBELLS: ["dumbbells", "гантели"],
        Equipment.BANDS: ["bands", "резинки", "эспандер", "эспандеры", "резинки/эспандер"],
    },
}


def _norm(value: object) -> str:
    return " ".join(str(value if value is not None else "").split())


def _key(text: str) -> str:
    return text.lower().replace("ё", "е")


# column → normalised alias → code
VALUE_CODES = {
    column: {_key(alias): str(code) for code, aliases in table.items() for alias in aliases}
    for column, table in VALUE_ALIASES.items()
}


HEADERS = {
    alias.replace("ё", "е"): column
    for column, aliases in HEADER_ALIASES.items()
    for alias in aliases
}


@dataclass
class Exercise:
    order: int
    name: str
    sets: int
    reps: str
    rest: str
    notes: str
    video: str


@dataclass
class ParsedTemplate:
    code: str
    sheet: str
    title: str
    gender: str
    level: str
    goal: str
    location: str
    equipment: str
    days_per_week: int
    first_row: int
    # week → day → (day title, exercises)
    weeks: dict[int, dict[int, tuple[str, list[Exercise]]]] = field(default_factory=dict)
    row_count: int = 0

    def content(self) -> dict:
        """The structured program: weeks → days → exercises (each with a stable id for editing)."""
        weeks = []
        for week_number in sorted(self.weeks):
            days = []
            for day_number in sorted(self.weeks[week_number]):
                day_title, exercises = self.weeks[week_number][day_number]
                days.append(
                    {
                        "number": day_number,
                        "title": day_title,
                        "exercises": [
                            {
                                "id": f"w{week_number}d{day_number}e{index}",
                                "name": ex.name,
                                "sets": ex.sets,
                                "reps": ex.reps,
                                "rest": ex.rest,
                                "notes": ex.notes,
                                **({"video": ex.video} if ex.video else {}),
                            }
                            for index, ex in enumerate(
                                sorted(exercises, key=lambda e: e.order), start=1
                            )
                        ],
                    }
                )
            weeks.append({"number": week_number, "days": days})
        return {"weeks": weeks}


class SheetError(Exception):
    """The sheet cannot be loaded; `problems` says where ("Men_12w_2, row 17: …")."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = problems[:MAX_ERRORS]
        more = len(problems) - len(shown)
        super().__init__("; ".join(shown) + (f"; … and {more} more" if more else ""))


def _gender_for_tab(tab: str) -> str | None:
    if tab in TABS:
        return TABS[tab]
    lowered = tab.lower()
    if lowered.startswith(("women", "female", "жен")):
        return Gender.FEMALE.value
    if lowered.startswith(("men", "male", "муж")):
        return Gender.MALE.value
    return None


def _int(value: str, *, low: int, high: int) -> int | None:
    if not re.fullmatch(r"\d+(\.0+)?", value):
        return None
    number = int(float(value))
    return number if low <= number <= high else None


def parse_tabs(tabs: dict[str, list[list[str]] | tuple]) -> list[ParsedTemplate]:
    """Parse every tab (first row = headers) into templates, or raise SheetError listing problems."""
    problems: list[str] = []
    templates: dict[str, ParsedTemplate] = {}
    for tab, rows in tabs.items():
        _parse_tab(tab, list(rows), templates, problems)
    if not problems and not templates:
        problems.append("the sheet has no program rows")
    for template in templates.values():
        if len(problems) >= MAX_ERRORS * 5:
            break
        weeks = sorted(template.weeks)
        where = f"{template.sheet}, program {template.code} (row {template.first_row})"
        if weeks[0] != 1 or weeks != list(range(1, weeks[-1] + 1)):
            problems.append(f"{where}: weeks must run 1, 2, 3… without gaps (found {weeks})")
        for week in weeks:
            days = template.weeks[week]
            if len(days) > template.days_per_week:
                problems.append(
                    f"{where}: week {week} has {len(days)} days, more than "
                    f"days_per_week = {template.days_per_week}"
                )
    if problems:
        raise SheetError(problems)
    return list(templates.values())


def _parse_tab(tab: str, rows: list, templates: dict[str, ParsedTemplate], problems: list) -> None:
    if not rows:
        problems.append(f"{tab}: the tab is empty")
        return
    columns: dict[str, int] = {}
    for index, header in enumerate(rows[0]):
        column = HEADERS.get(_key(_norm(header)))
        if column and column not in columns:
            columns[column] = index
    missing = [c for c in REQUIRED if c not in columns]
    tab_gender = _gender_for_tab(tab)
    if tab_gender is None and "gender" not in columns:
        missing.append("gender (or a tab named Men_… / Women_…)")
    if missing:
        problems.append(f"{tab}, row 1: missing columns: {', '.join(missing)}")
        return
    seen: set[tuple[str, int, int, int]] = set()
    for number, raw in enumerate(rows[1:], start=2):
        if len(problems) >= MAX_ERRORS * 5:
            return
        row = {c: _norm(raw[i]) if i < len(raw) else "" for c, i in columns.items()}
        if not any(row.values()):
            continue
        where = f"{tab}, row {number}"
        errors: list[str] = []
        values: dict[str, object] = {}
        for column in ("gender", "level", "goal", "location", "equipment"):
            text = row.get(column, "")
            if column == "gender" and not text:
                values[column] = tab_gender
                continue
            if column == "equipment" and not text:
                values[column] = (
                    Equipment.FULL_GYM.value
                    if values.get("location") == Location.GYM
                    else Equipment.NONE.value
                )
                continue
            code = VALUE_CODES[column].get(_key(text))
            if code is None:
                errors.append(f"unknown {column} {text!r}")
            values[column] = code
        if values.get("location") == Location.GYM:
            values["equipment"] = Equipment.FULL_GYM.value
        elif values.get("equipment") == Equipment.FULL_GYM:
            errors.append("equipment 'full_gym' needs location 'gym'")
        numbers = {
            "days_per_week": (1, 7),
            "week": (1, MAX_WEEKS),
            "day": (1, 7),
            "sets": (1, MAX_SETS),
        }
        for column, (low, high) in numbers.items():
            value = _int(row[column], low=low, high=high)
            if value is None:
                errors.append(f"{column} must be a whole number {low}–{high}, got {row[column]!r}")
            values[column] = value
        order_text = row.get("order", "")
        order = _int(order_text, low=1, high=99) if order_text else None
        if order_text and order is None:
            errors.append(f"order must be a whole number 1–99, got {order_text!r}")
        if not row["program_code"]:
            errors.append("program_code is empty")
        if not row["exercise"]:
            errors.append("exercise is empty")
        if not row["reps"]:
            errors.append("reps is empty")
        if (
            isinstance(values["day"], int)
            and isinstance(values["days_per_week"], int)
            and values["day"] > values["days_per_week"]
        ):
            errors.append(f"day {values['day']} is beyond days_per_week {values['days_per_week']}")
        video = row.get("video", "")
        if video and not video.startswith(("https://", "http://")):
            errors.append(f"video must be a link (https://…), got {video!r}")
        if errors:
            problems.append(f"{where}: {'; '.join(errors)}")
            continue
        code = row["program_code"]
        template = templates.get(code)
        attributes = (
            values["gender"],
            values["level"],
            values["goal"],
            values["location"],
            values["equipment"],
            values["days_per_week"],
        )
        if template is None:
            template = templates[code] = ParsedTemplate(
                code=code,
                sheet=tab,
                title=row.get("title", "") or code,
                gender=values["gender"],
                level=values["level"],
                goal=values["goal"],
                location=values["location"],
                equipment=values["equipment"],
                days_per_week=values["days_per_week"],
                first_row=number,
            )
        elif (
            attributes
            != (
                template.gender,
                template.level,
                template.goal,
                template.location,
                template.equipment,
                template.days_per_week,
            )
            or template.sheet != tab
        ):
            problems.append(
                f"{where}: program {code} was described differently in "
                f"{template.sheet}, row {template.first_row} (gender, level, goal, location, "
                "equipment and days_per_week must be the same on every row of a program)"
            )
            continue
        week_days = template.weeks.setdefault(values["week"], {})
        _title, exercises = week_days.setdefault(
            values["day"], (row.get("day_title", "") or f"День {values['day']}", [])
        )
        order = order or len(exercises) + 1
        key = (code, values["week"], values["day"], order)
        if key in seen:
            problems.append(
                f"{where}: program {code}, week {values['week']}, day {values['day']} already "
                f"has an exercise number {order}"
            )
            continue
        seen.add(key)
        exercises.append(
            Exercise(
                order=order,
                name=row["exercise"][:200],
                sets=values["sets"],
                reps=row["reps"][:40],
                rest=row.get("rest", "")[:40],
                notes=row.get("notes", "")[:500],
                video=video[:500],
            )
        )
        template.row_count += 1
