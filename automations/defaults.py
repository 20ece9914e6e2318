"""The rules that ship with the product (seed 002, "Система напоминаний"): Russian texts, editable.

Each is keyed by a code so the data migration (and tests that flush tables) can recreate what is
missing without touching a trainer's edits.
"""

from django.utils import timezone

DEFAULT_RULES: list[dict] = [
    {
        "code": "nudge-first-contact",
        "name": "Напоминание: анкета не заполнена",
        "description": "Клиент открыл бота, но сутки не проходит анкету.",
        "trigger": "stage_stuck",
        "stage": "first_contact",
        "delay_value": 1,
        "delay_unit": "days",
        "message": (
            "{name}, вы начали знакомство с ботом, но не ответили на вопросы анкеты. Это займёт "
            "пару минут — и я пришлю бесплатную программу тренировок под вашу цель. "
            "Нажмите /menu и выберите «Бесплатная программа»."
        ),
    },
    {
        "code": "nudge-consultation",
        "name": "Напоминание: тарифы после бесплатной программы",
        "description": "Через 2 дня после бесплатной программы клиент всё ещё думает.",
        "trigger": "stage_stuck",
        "stage": "consultation",
        "delay_value": 2,
        "delay_unit": "days",
        "message": (
            "{name}, как вам бесплатная программа? Если хотите заниматься с тренером и получить "
            "полную программу на 12 недель — выберите тариф:"
        ),
        "buttons": ["buy", "trainer"],
    },
    {
        "code": "nudge-pending-payment",
        "name": "Напоминание: оплата не завершена",
        "description": "Платёж создан, но не оплачен за час.",
        "trigger": "payment_pending",
        "delay_value": 60,
        "delay_unit": "minutes",
        "if_stage": "deciding",
        "message": (
            "{name}, ваша оплата ещё не завершена. Оплатить можно по ссылке: {pay_link}\n"
            "Если что-то не получается — напишите, помогу."
        ),
    },
    {
        "code": "motivation-weekly",
        "name": "Мотивация каждую неделю программы",
        "description": "На второй день каждой недели программы.",
        "trigger": "program_week",
        "delay_value": 1,
        "delay_unit": "days",
        "if_stage": "active",
        "message": (
            "{name}, идёт {week}-я неделя из {weeks}! 💪 Каждая тренировка приближает к цели — "
            "не пропускайте. Если что-то не получается, напишите тренеру."
        ),
    },
    {
        "code": "checkin-weekly",
        "name": "Еженедельные замеры",
        "description": "В последний день каждой недели программы бот просит записать замеры.",
        "trigger": "program_week",
        "delay_value": 6,
        "delay_unit": "days",
        "if_stage": "active",
        "message": (
            "{name}, пора записать замеры за неделю! Нажмите кнопку — бот спросит вес и обхваты "
            "по очереди, любой замер можно пропустить."
        ),
        "buttons": ["checkin"],
    },
    {
        "code": "program-end",
        "name": "Программа закончилась → Завершен",
        "description": "Когда прошла последняя неделя платной программы, клиент переходит в «Завершен».",
        "trigger": "program_ended",
        "if_stage": "active",
        "stage_event": "program_finished",
    },
    {
        "code": "finished-nps",
        "name": "Спасибо и оценка (NPS)",
        "description": "Клиент перешёл в «Завершен»: благодарность и вопрос NPS 0–10.",
        "trigger": "stage_entered",
        "stage": "finished",
        "message": (
            "{name}, программа завершена — поздравляю! 🎉 Спасибо, что занимались со мной.\n\n"
            "Насколько вероятно, что вы порекомендуете меня друзьям? "
            "0 — точно нет, 10 — обязательно."
        ),
        "buttons": ["nps"],
    },
    {
        "code": "nps-offer",
        "name": "Следующий пакет после высокой оценки",
        "description": "Оценка 7–10: предложение следующего пакета (3 месяца, план питания).",
        "trigger": "nps_answered",
        "nps_min": 7,
        "nps_max": 10,
        "message": (
            "{name}, рад, что программа понравилась! Готовы продолжить? Следующий шаг — "
            "3 месяца с тренером или план питания под вашу цель:"
        ),
        "buttons": ["buy"],
    },
    {
        "code": "nps-detractor",
        "name": "Низкая оценка: тренеру",
        "description": "Оценка 0–6: тренер узнаёт сразу и получает задачу связаться.",
        "trigger": "nps_answered",
        "nps_min": 0,
        "nps_max": 6,
        "message": (
            "{name}, спасибо за честную оценку. Тренер свяжется с вами, чтобы разобраться, "
            "что можно сделать лучше."
        ),
        "trainer_note": "⚠️ {full_name} оценил(а) программу на {score} из 10. Свяжитесь с клиентом.",
        "task_text": "Связаться после низкой оценки NPS ({score}/10)",
        "task_due_days": 1,
    },
    {
        "code": "membership-ends-soon",
        "name": "Абонемент заканчивается через 3 дня",
        "description": "За 3 дня до конца абонемента (тарифы без программы).",
        "trigger": "membership_ends",
        "delay_value": 3,
        "delay_unit": "days",
        "message": (
            "{name}, ваш абонемент заканчивается {membership_end}. Продлите заранее, чтобы не "
            "прерывать занятия:"
        ),
        "buttons": ["buy"],
    },
    {
        "code": "membership-ended",
        "name": "Абонемент закончился",
        "description": "В день окончания абонемента.",
        "trigger": "membership_ends",
        "delay_value": 0,
        "delay_unit": "days",
        "message": "{name}, сегодня последний день вашего абонемента. Продлить:",
        "buttons": ["buy"],
    },
]


def create_default_rules(rule_model, stage_model) -> int:
    """Create the shipped rules that are missing (switched on from now); returns how many."""
    stages = dict(stage_model.objects.exclude(code=None).values_list("code", "pk"))
    now = timezone.now()
    created = 0
    for order, spec in enumerate(DEFAULT_RULES, 1):
        spec = dict(spec)
        code = spec.pop("code")
        for key in ("stage", "if_stage"):
            if key in spec:
                spec[f"{key}_id"] = stages.get(spec.pop(key))
        _rule, made = rule_model.objects.get_or_create(
            code=code,
            defaults={**spec, "order": order * 10, "is_active": True, "active_since": now},
        )
        created += made
    return created
