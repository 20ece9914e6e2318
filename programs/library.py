"""The bundled template library: 12-week programs written as compact rules, expanded into sheet rows.

A trainer's program is a handful of decisions, not thousands of hand-typed rows: which movements a day
holds (the split), which exercise stands for each movement with the equipment at hand and at the
client's level, and how sets, reps and rest move over 12 weeks (three 4-week phases; weeks 4 and 8
unload; week 12 checks the result). `bundled_rows()` expands those rules into exactly the rows a sheet
in the documented layout holds (see README, "Program template sheets"), so the bundled library goes
through the same parser and checks as a trainer's own Google Sheet, and
`manage.py sync_program_templates --export-csv DIR` writes it out as a starting sheet.
"""

from collections.abc import Iterator
from functools import lru_cache

from crm.vocabulary import Equipment, Gender, Goal, Level, Location

MEN_TAB = "Men_12w_2"
WOMEN_TAB = "Women_12w_2"
TABS = {MEN_TAB: Gender.MALE.value, WOMEN_TAB: Gender.FEMALE.value}

COLUMNS = [
    "program_code",
    "title",
    "level",
    "goal",
    "location",
    "equipment",
    "days_per_week",
    "week",
    "day",
    "day_title",
    "order",
    "exercise",
    "sets",
    "reps",
    "rest",
    "notes",
    "video",
]

LEVELS = Level.values  # easiest first
GOALS = Goal.values
# (location, equipment) pairs the library covers.
SETUPS = [
    (Location.GYM.value, Equipment.FULL_GYM.value),
    (Location.HOME.value, Equipment.NONE.value),
    (Location.HOME.value, Equipment.DUMBBELLS.value),
    (Location.HOME.value, Equipment.BANDS.value),
]
# Days per week written for each level; selection picks the nearest for other answers.
DAYS_BY_LEVEL = {Level.BEGINNER: (2, 3), Level.INTERMEDIATE: (3, 4), Level.ADVANCED: (4, 5)}

# The sheet's wording (program titles are sheet content, in Russian like the exercises).
LEVEL_RU = {
    Level.BEGINNER: "новичок",
    Level.INTERMEDIATE: "средний уровень",
    Level.ADVANCED: "продвинутый",
}
GOAL_RU = {
    Goal.WEIGHT_LOSS: "снижение веса",
    Goal.MUSCLE_GAIN: "набор мышечной массы",
    Goal.TONING: "тонус и рельеф",
    Goal.STRENGTH: "сила",
}
SETUP_RU = {
    Equipment.FULL_GYM: "тренажёрный зал",
    Equipment.NONE: "дома без инвентаря",
    Equipment.DUMBBELLS: "дома с гантелями",
    Equipment.BANDS: "дома с резинками",
}
CODE_PARTS = {
    Gender.MALE: "M",
    Gender.FEMALE: "W",
    Level.BEGINNER: "B",
    Level.INTERMEDIATE: "I",
    Level.ADVANCED: "A",
    Goal.WEIGHT_LOSS: "WL",
    Goal.MUSCLE_GAIN: "MG",
    Goal.TONING: "TN",
    Goal.STRENGTH: "ST",
    Equipment.FULL_GYM: "GYM",
    Equipment.NONE: "BW",
    Equipment.DUMBBELLS: "DB",
    Equipment.BANDS: "RB",
}

# Movement → exercise for [beginner, intermediate, advanced], per equipment.
EXERCISES: dict[str, dict[str, list[str]]] = {
    Equipment.FULL_GYM: {
        "squat": [
            "Гоблет-присед с гантелью",
            "Приседания со штангой на спине",
            "Приседания со штангой на спине",
        ],
        "squat2": [
            "Жим ногами в тренажёре",
            "Жим ногами в тренажёре",
            "Фронтальные приседания со штангой",
        ],
        "hinge": ["Гиперэкстензия", "Румынская тяга со штангой", "Становая тяга"],
        "bridge": [
            "Ягодичный мост в тренажёре",
            "Ягодичный мост со штангой",
            "Ягодичный мост со штангой",
        ],
        "lunge": [
            "Выпады назад с гантелями",
            "Болгарские сплит-приседания с гантелями",
            "Выпады в ходьбе со штангой",
        ],
        "push_h": ["Жим гантелей лёжа", "Жим штанги лёжа", "Жим штанги лёжа"],
        "push_h2": [
            "Жим от груди в тренажёре сидя",
            "Жим гантелей на наклонной скамье",
            "Отжимания на брусьях",
        ],
        "push_v": ["Жим гантелей сидя", "Жим гантелей сидя", "Армейский жим штанги стоя"],
        "pull_v": [
            "Тяга верхнего блока к груди",
            "Тяга верхнего блока к груди",
            "Подтягивания широким хватом",
        ],
        "pull_h": [
            "Тяга горизонтального блока к поясу",
            "Тяга гантели одной рукой в наклоне",
            "Тяга штанги в наклоне",
        ],
        "delts": ["Махи гантелями в стороны", "Махи гантелями в стороны", "Тяга каната к лицу"],
        "biceps": [
            "Сгибание рук с гантелями",
            "Подъём штанги на бицепс",
            "Сгибание рук на скамье Скотта",
        ],
        "triceps": [
            "Разгибание рук на верхнем блоке",
            "Разгибание рук на верхнем блоке",
            "Французский жим лёжа",
        ],
        "glute": [
            "Отведение ноги назад в кроссовере",
            "Разведение ног в тренажёре",
            "Отведение ноги назад в кроссовере",
        ],
        "calves": [
            "Подъём на носки в тренажёре сидя",
            "Подъём на носки стоя",
            "Подъём на носки стоя",
        ],
        "core": ["Планка на предплечьях", "Скручивания на верхнем блоке", "Подъём ног в висе"],
        "core2": ["Мёртвый жук", "Боковая планка", "Ролик для пресса"],
        "cardio": [
            "Ходьба на беговой дорожке в горку",
            "Велотренажёр, интервалы 30/30 сек",
            "Гребной тренажёр, интервалы 40/20 сек",
        ],
    },
    Equipment.NONE: {
        "squat": [
            "Приседания с собственным весом",
            "Приседания с паузой 2 сек внизу",
            "Приседания с выпрыгиванием",
        ],
        "squat2": ["Присед у стены (статика)", "Присед «плие»", "Пистолетик с опорой"],
        "hinge": [
            "«Супермен» лёжа на животе",
            "Гиперэкстензия на полу с удержанием",
            "Ягодичный мост на одной ноге",
        ],
        "bridge": [
            "Ягодичный мостик",
            "Ягодичный мостик с плечами на диване",
            "Ягодичный мост на одной ноге с плечами на диване",
        ],
        "lunge": [
            "Выпады назад",
            "Болгарские сплит-приседания (нога на диване)",
            "Выпады в прыжке",
        ],
        "push_h": [
            "Отжимания от опоры (стол или подоконник)",
            "Отжимания от пола",
            "Отжимания с ногами на опоре",
        ],
        "push_h2": ["Отжимания с колен", "Отжимания узким хватом", "Отжимания с хлопком"],
        "push_v": ["Пайк-отжимания с колен", "Пайк-отжимания", "Пайк-отжимания с ногами на диване"],
        "pull_v": ["«Пловец» лёжа на животе", "Y-T-W лёжа на животе", "Y-T-W с паузой 2 сек"],
        "pull_h": [
            "Тяга полотенца в дверном проёме",
            "Австралийские подтягивания под столом",
            "Австралийские подтягивания под столом, ноги на опоре",
        ],
        "delts": [
            "Планка с касанием плеча",
            "Планка с касанием плеча",
            "«Гусеница» с отжиманием",
        ],
        "biceps": [
            "Сгибание рук с рюкзаком (книги внутри)",
            "Сгибание рук с рюкзаком (книги внутри)",
            "Сгибание рук с полотенцем (изометрия)",
        ],
        "triceps": [
            "Обратные отжимания от стула, ноги согнуты",
            "Обратные отжимания от стула",
            "Обратные отжимания от стула, ноги на опоре",
        ],
        "glute": [
            "Отведение ноги назад на четвереньках",
            "Отведение ноги в сторону лёжа",
            "«Пожарный гидрант»",
        ],
        "calves": [
            "Подъёмы на носки",
            "Подъёмы на носки на ступеньке",
            "Подъёмы на носки на одной ноге на ступеньке",
        ],
        "core": ["Планка на предплечьях", "Планка на прямых руках", "Планка с подъёмом ноги"],
        "core2": ["Мёртвый жук", "Велосипед", "Подъёмы прямых ног лёжа"],
        "cardio": ["Марш на месте с высоким подниманием колен", "Джампинг джек", "Берпи"],
    },
    Equipment.DUMBBELLS: {
        "squat": [
            "Гоблет-присед с гантелью",
            "Гоблет-присед с гантелью",
            "Фронтальные приседания с гантелями",
        ],
        "squat2": [
            "Присед «плие» с гантелью",
            "Зашагивания на стул с гантелями",
            "Зашагивания на стул с гантелями",
        ],
        "hinge": [
            "Румынская тяга с гантелями",
            "Румынская тяга с гантелями",
            "Румынская тяга на одной ноге с гантелью",
        ],
        "bridge": [
            "Ягодичный мостик с гантелью",
            "Ягодичный мост с плечами на диване и гантелью",
            "Ягодичный мост с плечами на диване и гантелью",
        ],
        "lunge": [
            "Выпады назад с гантелями",
            "Болгарские сплит-приседания с гантелями",
            "Выпады в ходьбе с гантелями",
        ],
        "push_h": [
            "Жим гантелей лёжа на полу",
            "Жим гантелей лёжа на полу",
            "Жим гантелей лёжа на полу с паузой",
        ],
        "push_h2": ["Отжимания с колен", "Отжимания от пола", "Отжимания с ногами на опоре"],
        "push_v": ["Жим гантелей сидя", "Жим гантелей стоя", "Жим Арнольда"],
        "pull_v": [
            "Пуловер с гантелью лёжа на полу",
            "Пуловер с гантелью лёжа на полу",
            "Пуловер с гантелью лёжа поперёк дивана",
        ],
        "pull_h": [
            "Тяга гантели одной рукой с опорой на стул",
            "Тяга гантелей в наклоне",
            "Тяга гантелей в наклоне",
        ],
        "delts": [
            "Махи гантелями в стороны",
            "Махи гантелями в стороны",
            "Махи гантелями в наклоне",
        ],
        "biceps": [
            "Сгибание рук с гантелями",
            "Сгибание рук «молот»",
            "Концентрированное сгибание руки с гантелью",
        ],
        "triceps": [
            "Французский жим с гантелью сидя",
            "Французский жим с гантелью сидя",
            "Разгибание руки с гантелью в наклоне",
        ],
        "glute": [
            "Отведение ноги назад на четвереньках",
            "Махи ногой назад с гантелью под коленом",
            "Махи ногой назад с гантелью под коленом",
        ],
        "calves": [
            "Подъёмы на носки с гантелями",
            "Подъёмы на носки с гантелями на ступеньке",
            "Подъёмы на носки на одной ноге с гантелью",
        ],
        "core": [
            "Планка на предплечьях",
            "Русские скручивания с гантелью",
            "Русские скручивания с гантелью",
        ],
        "core2": ["Мёртвый жук", "Боковые наклоны с гантелью", "Подъёмы прямых ног лёжа"],
        "cardio": ["Джампинг джек", "Трастеры с лёгкими гантелями", "Берпи"],
    },
    Equipment.BANDS: {
        "squat": [
            "Приседания с резинкой над коленями",
            "Приседания с эспандером (петля под стопами)",
            "Приседания с эспандером (петля под стопами)",
        ],
        "squat2": [
            "Присед «плие» с резинкой",
            "Сплит-приседания с эспандером",
            "Сплит-приседания с эспандером",
        ],
        "hinge": [
            "Румынская тяга с эспандером",
            "Румынская тяга с эспандером",
            "Румынская тяга на одной ноге с эспандером",
        ],
        "bridge": [
            "Ягодичный мостик с резинкой над коленями",
            "Ягодичный мостик с резинкой над коленями",
            "Ягодичный мост на одной ноге с резинкой",
        ],
        "lunge": [
            "Выпады назад",
            "Выпады назад с эспандером",
            "Болгарские сплит-приседания с эспандером",
        ],
        "push_h": [
            "Отжимания от опоры (стол или подоконник)",
            "Жим эспандера от груди стоя",
            "Отжимания с эспандером на спине",
        ],
        "push_h2": [
            "Отжимания с колен",
            "Разведение рук с эспандером перед грудью",
            "Отжимания от пола",
        ],
        "push_v": [
            "Жим эспандера над головой сидя",
            "Жим эспандера над головой стоя",
            "Жим эспандера над головой стоя",
        ],
        "pull_v": [
            "Тяга эспандера сверху (закреплён на двери)",
            "Тяга эспандера сверху (закреплён на двери)",
            "Тяга эспандера сверху одной рукой",
        ],
        "pull_h": [
            "Тяга эспандера к поясу сидя",
            "Тяга эспандера к поясу сидя",
            "Тяга эспандера в наклоне",
        ],
        "delts": [
            "Разведение эспандера перед грудью",
            "Тяга эспандера к лицу",
            "Тяга эспандера к лицу",
        ],
        "biceps": [
            "Сгибание рук с эспандером",
            "Сгибание рук с эспандером",
            "Сгибание рук с эспандером «молот»",
        ],
        "triceps": [
            "Разгибание рук с эспандером над головой",
            "Разгибание рук с эспандером над головой",
            "Разгибание рук с эспандером вниз (закреплён на двери)",
        ],
        "glute": [
            "Отведение ноги в сторону с резинкой",
            "Боковые шаги с резинкой",
            "Отведение ноги назад с резинкой стоя",
        ],
        "calves": [
            "Подъёмы на носки",
            "Подъёмы на носки на ступеньке",
            "Подъёмы на носки с эспандером",
        ],
        "core": [
            "Планка на предплечьях",
            "Дровосек с эспандером",
            "Планка с разведением ног (резинка на лодыжках)",
        ],
        "core2": ["Мёртвый жук", "Паллоф-пресс с эспандером", "Паллоф-пресс с эспандером"],
        "cardio": ["Марш на месте с высоким подниманием колен", "Джампинг джек", "Берпи"],
    },
}

COMPOUND = {"squat", "squat2", "hinge", "lunge", "push_h", "push_v", "pull_v", "pull_h"}
# Exercises written as time, not repetitions.
TIMED_WORDS = ("Планка", "статика", "изометрия")

# Technique cues, shown in the first week of each phase.
CUES = {
    "squat": "Колени смотрят туда же, куда носки; спина нейтральная, вес на всей стопе",
    "squat2": "Полная амплитуда без отрыва пяток",
    "hinge": "Движение тазом назад, спина прямая, лёгкий сгиб в коленях",
    "bridge": "Вверху пауза 1 сек и сжать ягодицы; поясницу не прогибать",
    "lunge": "Шаг достаточно широкий, колено задней ноги почти касается пола",
    "push_h": "Лопатки сведены, локти под углом 45° к корпусу",
    "push_h2": "Корпус — одна линия от головы до пяток",
    "push_v": "Пресс напряжён, не прогибайтесь в пояснице",
    "pull_v": "Тяните локтями вниз, плечи не поднимайте к ушам",
    "pull_h": "Тяга к поясу, в конце свести лопатки",
    "delts": "Без рывков, локти чуть согнуты",
    "biceps": "Локти прижаты к корпусу, опускайте медленно",
    "triceps": "Локти неподвижны, полное разгибание",
    "glute": "Корпус неподвижен, работает только ягодица",
    "calves": "Пауза вверху и полное растяжение внизу",
    "core": "Поясница прижата, дыхание ровное",
    "core2": "Движение медленное и под контролем",
    "cardio": "Пульс 130–150, можно говорить короткими фразами",
}

# The movements of each training day: (day title, movements), by gender and days per week.
SPLITS: dict[str, dict[int, list[tuple[str, list[str]]]]] = {
    Gender.MALE: {
        2: [
            ("Всё тело A", ["squat", "push_h", "pull_v", "bridge", "delts", "core"]),
            ("Всё тело B", ["hinge", "push_v", "pull_h", "lunge", "triceps", "core2"]),
        ],
        3: [
            ("Всё тело A", ["squat", "push_h", "pull_v", "bridge", "biceps", "core"]),
            ("Всё тело B", ["hinge", "push_v", "pull_h", "lunge", "triceps", "core2"]),
            ("Всё тело C", ["squat2", "push_h2", "pull_v", "delts", "calves", "core"]),
        ],
        4: [
            (
                "Верх A: грудь и спина",
                ["push_h", "pull_v", "push_v", "pull_h", "biceps", "triceps"],
            ),
            ("Низ A: квадрицепс", ["squat", "hinge", "lunge", "calves", "core"]),
            ("Верх B: плечи и руки", ["push_v", "pull_h", "push_h2", "delts", "biceps", "triceps"]),
            ("Низ B: задняя цепь", ["hinge", "squat2", "bridge", "calves", "core2"]),
        ],
        5: [
            ("Ноги: квадрицепс", ["squat", "squat2", "lunge", "calves", "core"]),
            ("Жим: грудь и плечи", ["push_h", "push_v", "push_h2", "delts", "triceps"]),
            ("Тяга: спина и бицепс", ["pull_v", "pull_h", "hinge", "delts", "biceps"]),
            ("Ноги: задняя цепь", ["hinge", "bridge", "lunge", "calves", "core2"]),
            ("Верх: объём", ["push_h2", "pull_h", "push_v", "biceps", "triceps", "core"]),
        ],
    },
    Gender.FEMALE: {
        2: [
            ("Всё тело A", ["squat", "bridge", "push_h", "pull_v", "glute", "core"]),
            ("Всё тело B", ["hinge", "lunge", "pull_h", "push_v", "glute", "core2"]),
        ],
        3: [
            ("Ягодицы и ноги", ["squat", "bridge", "lunge", "glute", "core"]),
            ("Верх тела", ["push_h", "pull_v", "push_v", "pull_h", "triceps", "core2"]),
            ("Всё тело", ["hinge", "squat2", "pull_h", "push_h2", "glute", "core"]),
        ],
        4: [
            ("Ноги: квадрицепс и ягодицы", ["squat", "lunge", "squat2", "glute", "core"]),
            ("Верх тела A", ["push_h", "pull_v", "push_v", "pull_h", "core2"]),
            ("Ягодицы и задняя поверхность", ["hinge", "bridge", "lunge", "glute", "calves"]),
            ("Верх тела B", ["pull_h", "push_h2", "delts", "biceps", "triceps", "core"]),
        ],
        5: [
            ("Ноги: квадрицепс", ["squat", "squat2", "lunge", "calves", "core"]),
            ("Верх тела: жим", ["push_h", "push_v", "delts", "triceps", "core2"]),
            ("Ягодицы", ["hinge", "bridge", "glute", "lunge", "core"]),
            ("Верх тела: тяга", ["pull_v", "pull_h", "delts", "biceps", "core2"]),
            ("Всё тело", ["squat2", "bridge", "push_h2", "pull_h", "glute", "core"]),
        ],
    },
}

# Per goal: (sets, reps, rest seconds) for [phase 1, 2, 3], compound and accessory movements.
SCHEMES = {
    Goal.MUSCLE_GAIN: {
        "compound": [(3, "10-12", 90), (4, "8-10", 120), (4, "6-8", 150)],
        "accessory": [(3, "12-15", 60), (3, "10-12", 75), (4, "10-12", 75)],
    },
    Goal.STRENGTH: {
        "compound": [(4, "8", 120), (5, "5", 180), (5, "3", 180)],
        "accessory": [(3, "10", 90), (3, "8", 90), (3, "8", 90)],
    },
    Goal.WEIGHT_LOSS: {
        "compound": [(3, "15", 45), (3, "12-15", 45), (4, "12", 40)],
        "accessory": [(2, "15-20", 30), (3, "15", 30), (3, "15", 30)],
    },
    Goal.TONING: {
        "compound": [(3, "12-15", 60), (3, "12", 60), (4, "10-12", 60)],
        "accessory": [(3, "15", 45), (3, "15-20", 45), (4, "15", 45)],
    },
}
# Without weights "5 reps" means nothing: strength at home is harder variations in 6–10 reps.
BODYWEIGHT_STRENGTH = [(4, "10", 90), (4, "8", 120), (5, "6-8", 120)]
PHASE_RU = ["Адаптация", "Развитие", "Интенсив"]


def _progress_note(week: int, *, weighted: bool) -> str:
    if week in (4, 8):
        return (
            "Разгрузка: вес на 20% меньше, без отказа"
            if weighted
            else "Разгрузка: темп спокойный, без отказа"
        )
    if week == 12:
        return "Контрольная неделя: запишите рабочие веса и повторы"
    step = (week - 1) % 4
    if step == 0:
        return (
            "Подберите вес с запасом 2–3 повтора" if weighted else "Оставляйте 2–3 повтора в запасе"
        )
    if weighted:
        return (
            "+2,5 кг или +1 повтор к прошлой неделе"
            if step == 1
            else "Последний подход — на пределе с чистой техникой"
        )
    return "+1–2 повтора к прошлой неделе" if step == 1 else "Медленный негатив 3 сек"


def prescribe(
    movement: str, name: str, *, goal: str, level: str, week: int, equipment: str
) -> tuple[int, str, str, str]:
    """(sets, reps, rest, notes) of one exercise in one week."""
    phase = (week - 1) // 4
    step = (week - 1) % 4
    weighted = equipment in (Equipment.FULL_GYM, Equipment.DUMBBELLS)
    if movement == "cardio":
        minutes = (8 if goal == Goal.WEIGHT_LOSS else 5) + 2 * phase + (1 if step in (1, 2) else 0)
        return (
            1,
            f"{minutes} мин",
            "—",
            CUES["cardio"] if step == 0 else "Финишер после силовой части",
        )
    kind = "compound" if movement in COMPOUND else "accessory"
    if goal == Goal.STRENGTH and kind == "compound" and not weighted:
        sets, reps, rest = BODYWEIGHT_STRENGTH[phase]
    else:
        sets, reps, rest = SCHEMES[goal][kind][phase]
    if level == Level.BEGINNER:
        sets, rest = max(2, sets - 1), rest + 15
    elif level == Level.ADVANCED and phase > 0 and kind == "compound":
        sets += 1
    if week in (4, 8):
        sets = max(2, sets - 1)
    timed = any(word in name for word in TIMED_WORDS)
    if timed:
        seconds = 20 + 10 * LEVELS.index(level) + 15 * phase + 5 * min(step, 2)
        reps = f"{seconds} сек"
        rest = min(rest, 60)
    elif movement.startswith("core"):
        reps = "12-15" if goal != Goal.STRENGTH else "10-12"
    if movement.startswith("core") or timed:
        if week in (4, 8):
            notes = "Разгрузка: полегче, без отказа"
        elif step == 0:
            notes = CUES[movement]
        else:
            notes = "+5 сек к прошлой неделе" if timed else "+1–2 повтора к прошлой неделе"
        return sets, reps, _rest_text(rest), notes
    notes = _progress_note(week, weighted=weighted)
    if step == 0 and week != 12:
        notes = f"{CUES[movement]}. {notes}"
    if goal == Goal.WEIGHT_LOSS and kind == "accessory":
        notes += ". Можно выполнять кругом с соседними упражнениями"
    return sets, reps, _rest_text(rest), notes


def _rest_text(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} сек"
    half_minutes = round(seconds / 30)
    return f"{half_minutes // 2},5 мин" if half_minutes % 2 else f"{half_minutes // 2} мин"


def program_code(gender: str, level: str, goal: str, equipment: str, days: int) -> str:
    return "-".join(
        [CODE_PARTS[gender], CODE_PARTS[level], CODE_PARTS[goal], CODE_PARTS[equipment], str(days)]
    )


def program_title(gender: str, level: str, goal: str, equipment: str, days: int) -> str:
    who = "Мужская" if gender == Gender.MALE else "Женская"
    return (
        f"{who} программа: {GOAL_RU[goal]}, {LEVEL_RU[level]}, {SETUP_RU[equipment]}, "
        f"{days} трен. в неделю"
    )


def _day_movements(movements: list[str], *, goal: str) -> list[str]:
    if goal == Goal.STRENGTH:
        # Strength work needs long rests: fewer movements, the small ones go first.
        movements = [m for m in movements if m not in ("glute", "delts", "calves")] or movements
        return movements[:5]
    if goal == Goal.WEIGHT_LOSS:
        return [*movements[:6], "cardio"]
    return movements


def template_rows(
    gender: str, level: str, goal: str, location: str, equipment: str, days: int
) -> Iterator[dict]:
    code = program_code(gender, level, goal, equipment, days)
    title = program_title(gender, level, goal, equipment, days)
    pool = EXERCISES[equipment]
    variant = LEVELS.index(level)
    for week in range(1, 13):
        phase_title = PHASE_RU[(week - 1) // 4]
        for day_number, (day_title, movements) in enumerate(SPLITS[gender][days], start=1):
            for order, movement in enumerate(_day_movements(movements, goal=goal), start=1):
                # In the last phase a beginner moves up to the intermediate variation.
                level_variant = min(2, variant + (1 if level == Level.BEGINNER and week > 8 else 0))
                name = pool[movement][level_variant]
                sets, reps, rest, notes = prescribe(
                    movement, name, goal=goal, level=level, week=week, equipment=equipment
                )
                yield {
                    "program_code": code,
                    "title": title,
                    "level": level,
                    "goal": goal,
                    "location": location,
                    "equipment": equipment,
                    "days_per_week": str(days),
                    "week": str(week),
                    "day": str(day_number),
                    "day_title": f"{day_title} · {phase_title}",
                    "order": str(order),
                    "exercise": name,
                    "sets": str(sets),
                    "reps": reps,
                    "rest": rest,
                    "notes": notes,
                    "video": "",
                }


@lru_cache(maxsize=1)
def bundled_rows() -> dict[str, tuple[tuple[str, ...], ...]]:
    """Every tab of the bundled library as sheet rows (header first), like a sheet export."""
    tabs: dict[str, tuple[tuple[str, ...], ...]] = {}
    for tab, gender in TABS.items():
        rows: list[tuple[str, ...]] = [tuple(COLUMNS)]
        for level in LEVELS:
            for goal in GOALS:
                for location, equipment in SETUPS:
                    for days in DAYS_BY_LEVEL[level]:
                        for row in template_rows(gender, level, goal, location, equipment, days):
                            rows.append(tuple(row[column] for column in COLUMNS))
        tabs[tab] = tuple(rows)
    return tabs
