"""The router and the handlers: one stored update in, queued replies and service calls out.

`dispatch` runs inside the update's transaction (see `services.update_process`): everything a handler
does — conversation state, client answers, stage moves, queued messages — commits together or not at
all, and the replies leave only after commit. The conversation state is the `BotChat` row, locked for
the update, so any worker process can handle the next message.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from config.celery import enqueue_on_commit
from crm.models import Client, ClientContact, Lead, User
from crm.notifications import staff_notify
from pipeline.services import stage_apply_event

from . import after_sale
from . import client as tg
from . import questionnaire as q
from .models import BotChat, FaqEntry, OutboundMessage, TelegramUpdate
from .services import (
    _admin_chat_id,
    chat_lock,
    client_from_telegram,
    contact_record,
    message_queue,
)
from .texts import Texts

logger = logging.getLogger(__name__)
State = BotChat.State
PAYMENT_START_TASK = "botapp.payment_start"
INBOUND = ClientContact.Direction.INBOUND

NON_TEXT_LABELS = {
    "sticker": "[стикер]",
    "photo": "[фото]",
    "video": "[видео]",
    "voice": "[голосовое сообщение]",
    "video_note": "[видеосообщение]",
    "audio": "[аудио]",
    "document": "[файл]",
    "location": "[геопозиция]",
    "contact": "[контакт]",
    "animation": "[GIF]",
}


@dataclass
class Ctx:
    row: TelegramUpdate
    update: object  # telegram.Update (parsed by botapp.client)
    chat_id: int
    texts: Texts = field(default_factory=Texts)
    client: Client | None = None
    chat: BotChat | None = None

    @property
    def message(self):
        return self.update.message

    @property
    def text(self) -> str:
        message = self.update.message
        return (message.text or "") if message else ""

    @property
    def data(self) -> str:
        query = self.update.callback_query
        return (query.data or "") if query else ""

    def say(self, text: str, markup: dict | None = None) -> OutboundMessage:
        return message_queue(
            chat_id=self.chat_id, client=self.client, text=text, reply_markup=markup
        )

    def edit(self, text: str, markup: dict | None = None) -> None:
        """Replace the message whose button was pressed (drops its buttons unless new ones given)."""
        query = self.update.callback_query
        message = getattr(query, "message", None) if query else None
        if message is None or not getattr(message, "message_id", None):
            return
        message_queue(
            chat_id=self.chat_id,
            client=None,  # an edit is not a new message in the history
            kind=OutboundMessage.Kind.EDIT,
            text=text,
            reply_markup=markup,
            edit_message_id=message.message_id,
        )


# --- router ------------------------------------------------------------------------------------------


def dispatch(row: TelegramUpdate) -> None:
    update = tg.parse_update(row.payload)
    chat = update.effective_chat
    user = update.effective_user
    if chat is None or user is None:
        return
    ctx = Ctx(row=row, update=update, chat_id=chat.id)
    if chat.id == _admin_chat_id():
        staff_command(ctx)
        return
    if chat.type != "private":
        return  # the bot talks to clients one to one
    source = ""
    if update.message and ctx.text.startswith("/start"):
        parts = ctx.text.split(maxsplit=1)
        source = parts[1].strip()[:64] if len(parts) > 1 else ""
    ctx.client, _ = client_from_telegram(
        user_id=user.id,
        chat_id=chat.id,
        first_name=user.first_name or "",
        last_name=user.last_name or "",
        username=user.username or "",
        source=source,
    )
    ctx.chat = chat_lock(chat_id=chat.id, client=ctx.client)
    _record_inbound(ctx)
    for matches, handler in ROUTES:
        if matches(ctx):
            handler(ctx)
            return


def _record_inbound(ctx: Ctx) -> None:
    update = ctx.update
    if update.edited_message is not None:
        text = f"(изменено) {update.edited_message.text or ''}".strip()
    elif update.callback_query is not None:
        text = f"[кнопка] {_button_label(update.callback_query) or ctx.data}"
    elif update.message is not None:
        text = ctx.text or _non_text_label(update.message)
    else:
        return
    contact_record(client=ctx.client, text=text, direction=INBOUND)


def _button_label(query) -> str:
    message = getattr(query, "message", None)
    markup = getattr(message, "reply_markup", None)
    for row in getattr(markup, "inline_keyboard", ()) or ():
        for button in row:
            if button.callback_data == query.data:
                return button.text
    return ""


def _non_text_label(message) -> str:
    for attribute, label in NON_TEXT_LABELS.items():
        if getattr(message, attribute, None):
            return label + (f" {message.caption}" if message.caption else "")
    return "[сообщение]"


def _is_command(name: str) -> Callable[[Ctx], bool]:
    def matches(ctx: Ctx) -> bool:
        if ctx.update.message is None:
            return False
        word = ctx.text.split(maxsplit=1)[0] if ctx.text else ""
        return word.split("@", 1)[0] == name

    return matches


def _callback(prefix: str) -> Callable[[Ctx], bool]:
    return lambda ctx: ctx.update.callback_query is not None and ctx.data.startswith(prefix)


def _in_state(state: str) -> Callable[[Ctx], bool]:
    return lambda ctx: ctx.update.message is not None and bool(ctx.text) and ctx.chat.state == state


# --- menu, FAQ, contacts ----------------------------------------------------------------------------


def menu_markup(texts: Texts) -> dict:
    return tg.keyboard(
        [
            [(texts.get("btn_free"), "m:free")],
            [(texts.get("btn_tariffs"), "m:tariffs")],
            [(texts.get("btn_faq"), "m:faq"), (texts.get("btn_contacts"), "m:contacts")],
        ]
    )


def back_markup(texts: Texts) -> dict:
    return tg.keyboard([[(texts.get("btn_menu"), "m:menu")]])


def start(ctx: Ctx) -> None:
    chat = ctx.chat
    chat.state, chat.step, chat.answers, chat.editing = State.IDLE, "", {}, False
    chat.save()
    name = ctx.update.effective_user.first_name or ""
    ctx.say(ctx.texts.get("welcome", name=name))
    ctx.say(ctx.texts.get("menu"), menu_markup(ctx.texts))


def show_menu(ctx: Ctx) -> None:
    ctx.say(ctx.texts.get("menu"), menu_markup(ctx.texts))


def on_menu(ctx: Ctx) -> None:
    choice = ctx.data.split(":", 1)[1]
    if choice == "free":
        questionnaire_start(ctx)
    elif choice == "tariffs":
        text, markup = tariffs_message(ctx.texts, promo=ctx.chat.promo_code)
        ctx.say(text, markup)
    elif choice == "faq":
        entries = list(FaqEntry.objects.filter(is_active=True).values_list("pk", "question"))
        if not entries:
            ctx.say(ctx.texts.get("faq_empty"), back_markup(ctx.texts))
            return
        rows = [[(question, f"faq:{pk}")] for pk, question in entries]
        rows.append([(ctx.texts.get("btn_menu"), "m:menu")])
        ctx.say(ctx.texts.get("faq_title"), tg.keyboard(rows))
    elif choice == "contacts":
        ctx.say(ctx.texts.get("contacts"), back_markup(ctx.texts))
    else:
        show_menu(ctx)


def on_faq(ctx: Ctx) -> None:
    try:
        entry = FaqEntry.objects.get(pk=int(ctx.data.split(":", 1)[1]), is_active=True)
    except (ValueError, FaqEntry.DoesNotExist):
        show_menu(ctx)
        return
    markup = tg.keyboard(
        [[(ctx.texts.get("btn_faq"), "m:faq"), (ctx.texts.get("btn_menu"), "m:menu")]]
    )
    ctx.say(f"{entry.question}\n\n{entry.answer}", markup)


# --- questionnaire ------------------------------------------------------------------------------------


def questionnaire_start(ctx: Ctx) -> None:
    chat = ctx.chat
    chat.state, chat.step, chat.answers, chat.editing = State.QUESTIONNAIRE, q.FIRST, {}, False
    chat.save()
    ctx.say(ctx.texts.get("q_intro"))
    _ask(ctx)


def _question_markup(question: q.Question) -> dict | None:
    if not question.choices:
        return None
    buttons = [(label, f"q:{question.step}:{value}") for value, label in question.choices]
    rows = [buttons[i : i + question.columns] for i in range(0, len(buttons), question.columns)]
    return tg.keyboard(rows)


def _ask(ctx: Ctx, prefix: str = "") -> None:
    question = q.BY_STEP[ctx.chat.step]
    text = ctx.texts.get(f"q_{question.step}")
    ctx.say(f"{prefix}\n\n{text}" if prefix else text, _question_markup(question))


def _accept(ctx: Ctx, question: q.Question, value: str) -> None:
    chat = ctx.chat
    chat.answers = {**chat.answers, question.step: value}
    following = None if chat.editing else q.next_step(chat.answers)
    if following is None:
        chat.state, chat.step, chat.editing = State.SUMMARY, "", False
        chat.save()
        _summary(ctx)
        return
    chat.step = following
    chat.save()
    _ask(ctx)


def on_answer_text(ctx: Ctx) -> None:
    question = q.BY_STEP.get(ctx.chat.step)
    if question is None:  # a step that no longer exists: start over
        questionnaire_start(ctx)
        return
    try:
        value = q.validate(question, ctx.text)
    except q.AnswerError as error:
        _ask(ctx, prefix=ctx.texts.get(error.key, **error.values))
        return
    _accept(ctx, question, value)


def on_answer_button(ctx: Ctx) -> None:
    _, step, value = [*ctx.data.split(":", 2), "", ""][:3]
    question = q.BY_STEP.get(step)
    if ctx.chat.state != State.QUESTIONNAIRE or ctx.chat.step != step or question is None:
        return  # a button of an earlier question: the current one is already on screen
    try:
        value = q.validate(question, value)
    except q.AnswerError:
        _ask(ctx)
        return
    ctx.edit(f"{ctx.texts.get(f'q_{step}')}\n→ {q.display(question, value)}")
    _accept(ctx, question, value)


def _summary(ctx: Ctx) -> None:
    markup = tg.keyboard(
        [[(ctx.texts.get("btn_confirm"), "s:ok")], [(ctx.texts.get("btn_change"), "s:chg")]]
    )
    ctx.say(ctx.texts.get("summary", answers=q.summary_lines(ctx.chat.answers)), markup)


def on_summary(ctx: Ctx) -> None:
    chat = ctx.chat
    if chat.state != State.SUMMARY:
        return  # pressed twice, or after /cancel
    if ctx.data == "s:chg":
        rows = [[(question.label, f"e:{question.step}")] for question in q.QUESTIONS]
        ctx.say(ctx.texts.get("change_which"), tg.keyboard(rows))
        return
    ctx.edit(ctx.texts.get("summary", answers=q.summary_lines(chat.answers)))
    questionnaire_complete(ctx)


def on_edit_answer(ctx: Ctx) -> None:
    step = ctx.data.split(":", 1)[1]
    chat = ctx.chat
    if chat.state != State.SUMMARY or step not in q.BY_STEP:
        return
    chat.state, chat.step, chat.editing = State.QUESTIONNAIRE, step, True
    chat.save()
    _ask(ctx)


def questionnaire_complete(ctx: Ctx) -> None:
    """Answers onto the client, Lead qualified, stage move, staff note, free program requested."""
    client, chat = ctx.client, ctx.chat
    answers = dict(chat.answers)
    for name, value in q.client_values(answers).items():
        setattr(client, name, value)
    client.full_clean(validate_unique=False, validate_constraints=False)
    client.save(update_fields=[*q.client_values(answers), "updated_at"])
    lead = client.leads.order_by("-created_at", "-id").first()
    if lead is None:
        Lead.objects.create(client=client, source=client.source, status=Lead.Status.QUALIFIED)
    elif lead.status == Lead.Status.NEW:
        lead.status = Lead.Status.QUALIFIED
        lead.save(update_fields=["status", "updated_at"])
    stage_apply_event(client=client, event="questionnaire_completed")
    chat.state, chat.step, chat.answers, chat.editing = State.IDLE, "", {}, False
    chat.save()
    if not client.is_preview:
        staff_notify(
            text=ctx.texts.get(
                "staff_questionnaire", name=client.full_name, answers=q.summary_lines(answers)
            ),
            client=client,
        )
    ctx.say(ctx.texts.get("q_done"))
    _request_free_program(client)


def _request_free_program(client: Client) -> None:
    try:
        from programs.tasks import program_generate_task
    except ImportError:
        logger.warning("programs.tasks.program_generate_task is missing: no free program sent")
        staff_notify(text=f"Программа для {client.full_name} не создана: генератор не установлен")
        return
    transaction.on_commit(
        lambda: program_generate_task.delay(
            client_id=client.pk, kind="free", trigger="questionnaire"
        )
    )


def cancel(ctx: Ctx) -> None:
    chat = ctx.chat
    if chat.state == State.IDLE:
        ctx.say(ctx.texts.get("nothing_to_cancel"), menu_markup(ctx.texts))
        return
    chat.state, chat.step, chat.answers, chat.editing, chat.promo_code = (
        State.IDLE,
        "",
        {},
        False,
        "",
    )
    chat.save()
    ctx.say(ctx.texts.get("cancelled"), menu_markup(ctx.texts))


# --- buying --------------------------------------------------------------------------------------------


def tariffs_message(texts: Texts, *, intro: str = "", promo: str = "") -> tuple[str, dict]:
    """The tariffs with a Buy button each (and a promo-code button), or a "soon" text."""
    try:
        from payments.selectors import tariffs_active
    except ImportError:
        return texts.get("no_tariffs"), back_markup(texts)
    tariffs = list(tariffs_active())
    if not tariffs:
        return texts.get("no_tariffs"), back_markup(texts)
    lines = []
    for tariff in tariffs:
        line = f"• {tariff.name} — {money(tariff.price)} ₽"
        if getattr(tariff, "description", ""):
            line += f"\n  {tariff.description}"
        lines.append(line)
    text = texts.get("tariffs", tariffs="\n".join(lines))
    if intro:
        text = f"{texts.get(intro)}\n\n{text}"
    if promo:
        text += f"\n\n🏷 {promo}"
    rows = [
        [(texts.get("btn_buy", name=tariff.name, price=money(tariff.price)), f"buy:{tariff.pk}")]
        for tariff in tariffs
    ]
    rows.append([(texts.get("btn_promo"), "promo")])
    rows.append([(texts.get("btn_menu"), "m:menu")])
    return text, tg.keyboard(rows)


def money(value: Decimal) -> str:
    return f"{value:,.0f}".replace(",", " ") if value == value.to_integral() else f"{value:,.2f}"


def on_promo_button(ctx: Ctx) -> None:
    ctx.chat.state = State.PROMO
    ctx.chat.save()
    ctx.say(ctx.texts.get("promo_ask"))


def on_promo_text(ctx: Ctx) -> None:
    chat = ctx.chat
    chat.state, chat.promo_code = State.IDLE, ctx.text.strip()[:32]
    chat.save()
    text, markup = tariffs_message(ctx.texts, promo=chat.promo_code)
    ctx.say(text, markup)


def on_buy(ctx: Ctx) -> None:
    """Buy: the payment is created by a task after this update commits (payments calls YooKassa
    outside any transaction); the task sends the payment link."""
    try:
        from payments.models import Tariff
    except ImportError:
        ctx.say(ctx.texts.get("pay_unavailable"), back_markup(ctx.texts))
        return
    try:
        tariff = Tariff.objects.get(pk=int(ctx.data.split(":", 1)[1]), is_active=True)
    except (ValueError, Tariff.DoesNotExist):
        text, markup = tariffs_message(ctx.texts)
        ctx.say(text, markup)
        return
    chat = ctx.chat
    enqueue_on_commit(
        PAYMENT_START_TASK,
        client_id=ctx.client.pk,
        tariff_id=tariff.pk,
        promo_code=chat.promo_code,
        request_key=f"buy:{ctx.row.update_id}",
    )
    chat.promo_code = ""
    chat.save(update_fields=["promo_code", "updated_at"])


# --- everything else ---------------------------------------------------------------------------------


def on_edited(ctx: Ctx) -> None:
    """An edited message is kept in the history; it does not re-answer a question."""


def unsupported(ctx: Ctx) -> None:
    ctx.say(ctx.texts.get("unsupported"))


def inbox(ctx: Ctx) -> None:
    """Free text outside a flow goes to the trainer (and is already in the client's history)."""
    client = ctx.client
    if not client.is_preview:
        staff_notify(
            text=ctx.texts.get("staff_inbox", name=client.full_name, text=ctx.text[:3000]),
            client=client,
        )
    ctx.say(ctx.texts.get("inbox_ack"))


# --- progress check-in (the state machine lives in progress.checkin) ----------------------------------

CHECKIN_BUTTONS = {"pc:skip": "Пропустить", "pc:cancel": "Отменить"}


def _checkin_say(ctx: Ctx, reply) -> None:
    markup = None
    if reply.buttons:
        by_label = {label: data for data, label in CHECKIN_BUTTONS.items()}
        markup = tg.keyboard([[(label, by_label[label]) for label in reply.buttons]])
    ctx.say(reply.text, markup)


def progress_start(ctx: Ctx) -> None:
    from progress.checkin import checkin_start

    _checkin_say(ctx, checkin_start(client=ctx.client))


def _checkin_is_open(ctx: Ctx) -> bool:
    from progress.checkin import checkin_open

    if ctx.update.message is None or not ctx.text:
        return False
    word = ctx.text.split(maxsplit=1)[0].split("@", 1)[0]
    if word.startswith("/") and word not in ("/cancel", "/skip"):
        return False  # other commands keep working during a check-in
    return checkin_open(client=ctx.client)


def on_checkin_text(ctx: Ctx) -> None:
    from progress.checkin import checkin_answer

    reply = checkin_answer(client=ctx.client, text=ctx.text)
    if reply is None:  # finished by another worker a moment ago
        inbox(ctx)
        return
    _checkin_say(ctx, reply)


def _checkin_photo_awaited(ctx: Ctx) -> bool:
    from progress.checkin import checkin_wants_photo

    message = ctx.update.message
    return (
        message is not None
        and bool(message.photo)
        and ctx.client is not None
        and checkin_wants_photo(client=ctx.client)
    )


def on_checkin_photo(ctx: Ctx) -> None:
    from progress.checkin import checkin_photo
    from progress.services import PHOTO_MAX_BYTES

    largest = ctx.update.message.photo[-1]  # Telegram lists the sizes smallest first
    try:
        content = tg.download_file(largest.file_id, max_bytes=PHOTO_MAX_BYTES)
    except tg.BotError as exc:
        logger.warning("Progress photo of client %s not downloaded: %s", ctx.client.pk, exc)
        ctx.say("Не получилось загрузить фото. Попробуйте отправить его ещё раз.")
        return
    reply = checkin_photo(client=ctx.client, content=content)
    if reply is not None:
        _checkin_say(ctx, reply)


def on_checkin_button(ctx: Ctx) -> None:
    from progress.checkin import checkin_answer

    reply = checkin_answer(client=ctx.client, text=CHECKIN_BUTTONS.get(ctx.data, ""))
    if reply is not None:  # None: a button of a finished check-in
        _checkin_say(ctx, reply)


def on_stale_callback(ctx: Ctx) -> None:
    """A button we no longer know (an old keyboard): show the menu again."""
    show_menu(ctx)


def _answer_callback(ctx: Ctx) -> None:
    query = ctx.update.callback_query
    message_queue(
        chat_id=ctx.chat_id,
        kind=OutboundMessage.Kind.CALLBACK_ANSWER,
        callback_query_id=query.id,
    )


def _with_answer(handler: Callable[[Ctx], None]) -> Callable[[Ctx], None]:
    def run(ctx: Ctx) -> None:
        _answer_callback(ctx)  # stops the button's spinner in the client's app
        handler(ctx)

    return run


ROUTES: list[tuple[Callable[[Ctx], bool], Callable[[Ctx], None]]] = [
    (lambda ctx: ctx.update.edited_message is not None, on_edited),
    (_callback("m:"), _with_answer(on_menu)),
    (_callback("faq:"), _with_answer(on_faq)),
    (_callback("q:"), _with_answer(on_answer_button)),
    (_callback("s:"), _with_answer(on_summary)),
    (_callback("e:"), _with_answer(on_edit_answer)),
    (_callback("buy:"), _with_answer(on_buy)),
    (_callback("promo"), _with_answer(on_promo_button)),
    (_callback("pc:"), _with_answer(on_checkin_button)),
    (_callback("nps:"), _with_answer(after_sale.on_nps)),
    (_callback("auto:"), _with_answer(after_sale.on_auto_button)),
    (_callback(""), _with_answer(on_stale_callback)),
    (_is_command("/start"), start),
    (_checkin_photo_awaited, on_checkin_photo),
    (lambda ctx: ctx.update.message is not None and not ctx.text, unsupported),
    (_is_command("/progress"), progress_start),
    (_checkin_is_open, on_checkin_text),
    (after_sale.nps_comment_is_awaited, after_sale.on_nps_comment),
    (_is_command("/cancel"), cancel),
    (_is_command("/menu"), show_menu),
    (_in_state(State.QUESTIONNAIRE), on_answer_text),
    (_in_state(State.PROMO), on_promo_text),
    (_in_state(State.SUMMARY), lambda ctx: _summary(ctx)),
    (lambda ctx: ctx.update.message is not None, inbox),
]


# --- the staff chat ------------------------------------------------------------------------------------


def staff_command(ctx: Ctx) -> None:
    """Commands in the staff chat; only from people configured as staff (User.telegram_chat_id)."""
    if ctx.update.message is None or not ctx.text.startswith("/confirm_payment"):
        return
    user = ctx.update.effective_user
    staff = (
        User.objects.filter(telegram_chat_id=user.id, is_active=True)
        .filter(role__in=[User.Role.ADMIN, User.Role.OPERATOR])
        .first()
    )
    if staff is None:
        logger.warning("Telegram user %s is not staff; /confirm_payment ignored", user.id)
        return
    parts = ctx.text.split()
    if len(parts) != 2 or not parts[1].lstrip("#").isdigit():
        ctx.say(ctx.texts.get("staff_confirm_usage"))
        return
    payment_id = int(parts[1].lstrip("#"))
    try:
        from payments import services as payment_services
        from payments.models import Payment
    except ImportError:
        ctx.say(ctx.texts.get("staff_confirm_error", id=payment_id, reason="платежи не настроены"))
        return
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None:
        ctx.say(ctx.texts.get("staff_confirm_error", id=payment_id, reason="платёж не найден"))
        return
    try:
        with transaction.atomic():
            changed = payment_services.payment_succeed(
                payment=payment, actor=staff, source="telegram"
            )
    except payment_services.PaymentError as error:
        ctx.say(ctx.texts.get("staff_confirm_error", id=payment_id, reason=str(error)))
        return
    if not changed:
        ctx.say(ctx.texts.get("staff_confirm_error", id=payment_id, reason="уже оплачен"))
        return
    ctx.say(ctx.texts.get("staff_confirmed", id=payment_id))
