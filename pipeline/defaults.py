"""The seven stages of the journey (SPEC.md, "Sales pipeline").

Codes let automatic moves find a stage whatever a trainer renames it to.
(code, name, colour, expected days in stage, description)
"""

DEFAULT_STAGES: list[tuple[str, str, str, int | None, str]] = [
    ("first_contact", "Первичный контакт", "#3b82f6", 2, "Новый лид из бота или с сайта."),
    ("consultation", "Консультация", "#8b5cf6", 3, "Запланирована или проведена консультация."),
    ("deciding", "Принимают решение", "#f59e0b", 3, "Клиент рассматривает предложение."),
    ("purchased", "Куплена услуга", "#10b981", 2, "Оплата получена, программа выдаётся."),
    ("active", "Активный клиент", "#059669", None, "Клиент выполняет программу."),
    ("finished", "Завершен", "#6b7280", 14, "Программа завершена."),
    ("inactive", "Неактивен", "#9ca3af", None, "Клиент не отвечает или потерян."),
]


def create_default_stages(stage_model) -> None:
    """Create the missing system stages; existing ones (maybe renamed) are left as they are."""
    for position, (code, name, color, expected_days, description) in enumerate(DEFAULT_STAGES, 1):
        stage_model.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "order": position * 10,
                "color": color,
                "expected_days": expected_days,
                "description": description,
            },
        )


# Offered when a client is moved to Неактивен; admins edit the list.
DEFAULT_LOST_REASONS: list[str] = [
    "Дорого",
    "Не отвечает",
    "Выбрал другого тренера или зал",
    "Нет времени",
    "Переехал",
    "Передумал заниматься",
]


def create_default_lost_reasons(reason_model) -> None:
    """Create the missing default lost reasons (existing ones are left as they are)."""
    for position, name in enumerate(DEFAULT_LOST_REASONS, 1):
        reason_model.objects.get_or_create(name=name, defaults={"order": position * 10})
