"""Everything the bot says, with Russian defaults. Admins override any of them (`BotText`).

Placeholders in braces are filled by the bot; an override that breaks them falls back to the default.
"""

import logging

from .models import BotText, FaqEntry

logger = logging.getLogger(__name__)

# key: (default text, where it is used)
DEFAULTS: dict[str, tuple[str, str]] = {
    "welcome": (
        "Привет, {name}! 👋 Я бот тренера. Здесь можно получить бесплатную программу тренировок, "
        "узнать цены и задать вопрос.",
        "Ответ на /start",
    ),
    "menu": ("Главное меню. Что вас интересует?", "Текст над кнопками меню"),
    "btn_free": ("🎁 Бесплатная программа", "Кнопка меню"),
    "btn_tariffs": ("💳 Цены и тарифы", "Кнопка меню"),
    "btn_faq": ("❓ Частые вопросы", "Кнопка меню"),
    "btn_contacts": ("📞 Контакты", "Кнопка меню"),
    "btn_menu": ("⬅️ В меню", "Кнопка возврата в меню"),
    "q_intro": (
        "Ответьте на несколько вопросов — подберу программу под вас. Отменить: /cancel",
        "Начало опросника",
    ),
    "q_gender": ("Ваш пол?", "Вопрос"),
    "q_age": ("Сколько вам лет? Напишите число.", "Вопрос"),
    "q_experience": ("Какой у вас опыт тренировок?", "Вопрос"),
    "q_goal": ("Какая у вас цель?", "Вопрос"),
    "q_height": ("Ваш рост в сантиметрах? Например, 175.", "Вопрос"),
    "q_weight": ("Ваш вес в килограммах? Например, 72.5.", "Вопрос"),
    "q_lifestyle": ("Какой у вас образ жизни?", "Вопрос"),
    "q_location": ("Где вы будете тренироваться?", "Вопрос"),
    "q_equipment": ("Какое оборудование у вас есть?", "Вопрос"),
    "q_training_days": ("Сколько дней в неделю готовы тренироваться? (1–7)", "Вопрос"),
    "err_number": ("Нужно число, например {example}.", "Ответ не число"),
    "err_range": ("Введите число от {min} до {max}.", "Число вне диапазона"),
    "err_choice": ("Пожалуйста, выберите вариант кнопкой ниже.", "Текст вместо кнопки"),
    "summary": (
        "Проверьте ответы:\n\n{answers}\n\nВсё верно?",
        "Сводка перед подтверждением",
    ),
    "btn_confirm": ("✅ Всё верно", "Кнопка сводки"),
    "btn_change": ("✏️ Изменить ответ", "Кнопка сводки"),
    "change_which": ("Какой ответ изменить?", "Выбор ответа для изменения"),
    "cancelled": ("Опросник отменён. Вернуться к нему можно из меню.", "Ответ на /cancel"),
    "nothing_to_cancel": ("Сейчас нечего отменять.", "/cancel вне опросника"),
    "q_done": (
        "Спасибо! Готовлю вашу бесплатную программу — пришлю её сюда через минуту.",
        "После подтверждения анкеты",
    ),
    "program_free_caption": ("Ваша бесплатная программа тренировок 💪", "Подпись к PDF"),
    "program_paid_caption": ("Ваша полная программа на 12 недель 🔥", "Подпись к PDF"),
    "program_free_file": ("Бесплатная программа.pdf", "Имя файла бесплатной программы"),
    "program_paid_file": ("Программа на 12 недель.pdf", "Имя файла платной программы"),
    "after_free": (
        "Понравилась программа? С полной программой и сопровождением тренера результат придёт "
        "быстрее. Выберите тариф:",
        "После бесплатной программы",
    ),
    "tariffs": ("Тарифы:\n\n{tariffs}", "Список тарифов"),
    "no_tariffs": ("Тарифы скоро появятся. Напишите нам — расскажем подробности.", "Нет тарифов"),
    "tariff_promotion": ("🔥 {label}", "Акция тарифа (сейчас не действует)"),
    "tariff_promotion_now": ("🔥 {label} — сейчас {price} ₽", "Акция тарифа, действующая сейчас"),
    "btn_buy": ("Купить «{name}» — {price} ₽", "Кнопка покупки"),
    "btn_promo": ("🏷 У меня есть промокод", "Кнопка промокода"),
    "btn_pay": ("💳 Оплатить", "Кнопка-ссылка на оплату"),
    "promo_ask": ("Напишите промокод одним сообщением.", "Запрос промокода"),
    "pay_link": (
        "Счёт на {amount} ₽ создан. Оплатить можно по ссылке:\n{url}\n\n"
        "После оплаты программа придёт сюда автоматически.",
        "Ссылка на оплату",
    ),
    "pay_offer_note": ("ℹ️ {note}", "Почему промокод или акция не применены"),
    "pay_error": ("Не получилось создать платёж: {reason}", "Ошибка платежа"),
    "pay_unavailable": (
        "Оплата через бота временно недоступна. Напишите нам — поможем.",
        "Платежи не настроены",
    ),
    "faq_title": ("Частые вопросы:", "Над списком FAQ"),
    "faq_empty": ("Вопросов пока нет — просто напишите свой.", "FAQ пуст"),
    "contacts": (
        "Тренер на связи в этом чате — просто напишите сообщение.\nСайт: https://www.batoohan.ru/",
        "Контакты",
    ),
    "inbox_ack": ("Сообщение передано тренеру, он ответит здесь.", "Ответ на свободный текст"),
    "unsupported": (
        "Пока я понимаю только текст и кнопки. Напишите словами — передам тренеру.",
        "Стикер, фото и т. п.",
    ),
    "staff_questionnaire": ("📝 {name} заполнил(а) анкету:\n{answers}", "Уведомление тренеру"),
    "staff_inbox": ("💬 {name}: {text}", "Уведомление тренеру"),
    "staff_failure": ("⚠️ Не удалось отправить сообщение клиенту {name}: {error}", "Уведомление"),
    "staff_digest": (
        "🗂 Сводка: {count} уведомлений",
        "Заголовок сводки, когда их накопилось много",
    ),
    "staff_confirm_usage": ("Использование: /confirm_payment <id>", "Команда в чате тренера"),
    "staff_confirmed": ("Платёж #{id} подтверждён.", "Команда в чате тренера"),
    "staff_confirm_error": ("Платёж #{id} не подтверждён: {reason}", "Команда в чате тренера"),
    "staff_confirm_not_found": ("Платёж #{id} не найден.", "Команда в чате тренера"),
    "staff_not_delivered": (
        "программа не доставлена в Telegram",
        "Причина в уведомлении тренеру",
    ),
    "staff_too_big": ("PDF больше 50 МБ, не отправлен", "Причина в уведомлении тренеру"),
    "checkin_photo_failed": (
        "Не получилось загрузить фото. Попробуйте отправить его ещё раз.",
        "Фото замеров не скачалось",
    ),
}

# Shown on a fresh install; admins edit or add more.
DEFAULT_FAQ: list[tuple[str, str]] = [
    (
        "Подойдёт ли программа новичку?",
        "Да. Анкета учитывает опыт, и программа подбирается под ваш уровень.",
    ),
    (
        "Нужен ли спортзал?",
        "Нет. Есть программы для дома и улицы — укажите это в анкете.",
    ),
    (
        "Как проходит оплата?",
        "Оплата картой через ЮKassa. После оплаты программа приходит в этот чат автоматически.",
    ),
    (
        "Можно ли задать вопрос тренеру?",
        "Конечно: просто напишите сообщение в этот чат, тренер ответит.",
    ),
]


class Texts:
    """The bot's texts for one update: overrides are read once, then served from memory."""

    def __init__(self) -> None:
        self._overrides: dict[str, str] | None = None

    def get(self, key: str, **values: object) -> str:
        if self._overrides is None:
            self._overrides = dict(BotText.objects.values_list("key", "text"))
        default = DEFAULTS[key][0]
        text = self._overrides.get(key) or default
        if not values:
            return text
        try:
            return text.format(**values)
        except (KeyError, IndexError, ValueError):
            logger.warning("Bot text %r has broken placeholders; using the default.", key)
            return default.format(**values)


def bot_texts_ensure_defaults() -> int:
    """Create a row for every text key and the default FAQ (if there is none). Returns rows created."""
    existing = set(BotText.objects.values_list("key", flat=True))
    rows = [
        BotText(key=key, text=text, description=where)
        for key, (text, where) in DEFAULTS.items()
        if key not in existing
    ]
    BotText.objects.bulk_create(rows, ignore_conflicts=True)
    created = len(rows)
    if not FaqEntry.objects.exists():
        FaqEntry.objects.bulk_create(
            FaqEntry(question=q, answer=a, order=i * 10) for i, (q, a) in enumerate(DEFAULT_FAQ, 1)
        )
        created += len(DEFAULT_FAQ)
    return created
