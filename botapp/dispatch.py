"""The top of the bot: one stored update in, the right handler run.

`dispatch` runs inside the update's transaction (`services.update_process` passes each update here):
everything a handler does — conversation state, client answers, stage moves, queued messages —
commits together or not at all, and the replies leave only after commit. The conversation state is
the `BotChat` row, locked for the update, so any worker process can handle the next message.

The routing table (`ROUTES`) is the one place that knows every feature; a new bot feature is a new
`handlers/<feature>.py` plus its rows here.
"""

import logging
from collections.abc import Callable

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.models import ClientContact
from privacy.models import ConsentKind

from . import callbacks as cb
from . import client as tg
from .context import Ctx
from .handlers import (
    after_sale,
    buying,
    checkin,
    menu,
    privacy,
    questionnaire,
    schedule,
    staff,
    staff_link,
)
from .models import BotChat, OutboundMessage, TelegramUpdate
from .services import _admin_chat_id, chat_lock, client_from_telegram, contact_record, message_queue
from .services import update_process as _update_process

logger = logging.getLogger(__name__)
State = BotChat.State
INBOUND = ClientContact.Direction.INBOUND

# How a message without text is shown in the client's history (trainer-facing).
NON_TEXT_LABELS = {
    "sticker": gettext_lazy("[sticker]"),
    "photo": gettext_lazy("[photo]"),
    "video": gettext_lazy("[video]"),
    "voice": gettext_lazy("[voice message]"),
    "video_note": gettext_lazy("[video message]"),
    "audio": gettext_lazy("[audio]"),
    "document": gettext_lazy("[file]"),
    "location": gettext_lazy("[location]"),
    "contact": gettext_lazy("[contact]"),
    "animation": gettext_lazy("[GIF]"),
}


def update_process(*, update_id: int) -> int:
    """Handle a stored update (and any earlier one of its chat) with this dispatcher."""
    return _update_process(update_id=update_id, handle=dispatch)


def dispatch(row: TelegramUpdate) -> None:
    update = tg.parse_update(row.payload)
    chat = update.effective_chat
    user = update.effective_user
    if chat is None or user is None:
        return
    ctx = Ctx(row=row, update=update, chat_id=chat.id)
    if chat.id == _admin_chat_id():
        for matches, handler in STAFF_ROUTES:
            if matches(ctx):
                handler(ctx)
                return
        return
    if chat.type != "private":
        return  # the bot talks to clients one to one
    if staff_link.is_link(ctx):  # a staff member, not a lead: no client is registered
        staff_link.link(ctx)
        return
    if privacy.forgotten_chat(ctx):  # /forget twice: answered, no new client registered
        if update.callback_query is not None:
            _answer_callback(ctx)
        return
    source = ""
    if update.message and ctx.text.startswith("/start"):
        parts = ctx.text.split(maxsplit=1)
        source = parts[1].strip()[:64] if len(parts) > 1 else ""
    ctx.client, _created = client_from_telegram(
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
            break
    if not any(_is_command(word)(ctx) for word in ("/forget", "/mydata", "/consent")):
        privacy.ask_if_due(ctx)  # clients from before consents: asked once, after the answer


def _record_inbound(ctx: Ctx) -> None:
    update = ctx.update
    if update.edited_message is not None:
        mark = _("(edited)")
        text = f"{mark} {update.edited_message.text or ''}".strip()
    elif update.callback_query is not None:
        mark = _("[button]")
        text = f"{mark} {_button_label(update.callback_query) or ctx.data}"
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
            return str(label) + (f" {message.caption}" if message.caption else "")
    return _("[message]")


# --- matchers -----------------------------------------------------------------------------------


def _is_command(name: str) -> Callable[[Ctx], bool]:
    def matches(ctx: Ctx) -> bool:
        if ctx.update.message is None:
            return False
        word = ctx.text.split(maxsplit=1)[0] if ctx.text else ""
        return word.split("@", 1)[0] == name

    return matches


def _callback(prefix: str) -> Callable[[Ctx], bool]:
    return lambda ctx: ctx.update.callback_query is not None and ctx.data.startswith(prefix)


def _callback_is(value: str) -> Callable[[Ctx], bool]:
    return lambda ctx: ctx.update.callback_query is not None and ctx.data == value


def _in_state(state: str) -> Callable[[Ctx], bool]:
    return lambda ctx: ctx.update.message is not None and bool(ctx.text) and ctx.chat.state == state


def _edited(ctx: Ctx) -> bool:
    return ctx.update.edited_message is not None


def _no_text(ctx: Ctx) -> bool:
    return ctx.update.message is not None and not ctx.text


def _any_message(ctx: Ctx) -> bool:
    return ctx.update.message is not None


def _answer_callback(ctx: Ctx) -> None:
    query = ctx.update.callback_query
    message_queue(
        chat_id=ctx.chat_id,
        kind=OutboundMessage.Kind.CALLBACK_ANSWER,
        callback_query_id=query.id,
    )


def _button(handler: Callable[[Ctx], None]) -> Callable[[Ctx], None]:
    def run(ctx: Ctx) -> None:
        _answer_callback(ctx)  # stops the button's spinner in the client's app
        handler(ctx)

    return run


Route = tuple[Callable[[Ctx], bool], Callable[[Ctx], None]]
PERSONAL, HEALTH = ConsentKind.PERSONAL, ConsentKind.HEALTH
Then = cb.ConsentNext

ROUTES: list[Route] = [
    (_edited, menu.on_edited),
    # buttons
    (
        _callback_is(cb.Menu.FREE),
        _button(privacy.needs(PERSONAL, Then.QUESTIONNAIRE, questionnaire.start)),
    ),
    (_callback_is(cb.Menu.TARIFFS), _button(buying.show_tariffs)),
    (_callback_is(cb.Menu.FAQ), _button(menu.show_faq)),
    (_callback_is(cb.Menu.CONTACTS), _button(menu.show_contacts)),
    (_callback(cb.MENU), _button(menu.show_menu)),
    (_callback(cb.FAQ), _button(menu.on_faq)),
    (_callback(cb.ANSWER), _button(questionnaire.on_answer_button)),
    (_callback(cb.SUMMARY), _button(questionnaire.on_summary)),
    (_callback(cb.EDIT), _button(questionnaire.on_edit_answer)),
    (_callback(cb.BUY), _button(buying.on_buy)),
    (_callback_is(cb.PROMO), _button(buying.on_promo_button)),
    (_callback(cb.CHECKIN), _button(checkin.on_button)),
    (_callback(cb.NPS), _button(after_sale.on_nps)),
    (
        _callback_is(cb.Auto.CHECKIN),
        _button(privacy.needs(HEALTH, Then.CHECKIN, after_sale.on_checkin)),
    ),
    (_callback_is(cb.Auto.TRAINER), _button(after_sale.on_write_to_trainer)),
    (_callback(cb.SCHEDULE), _button(schedule.on_button)),
    (_callback(cb.CONSENT), _button(privacy.on_consent)),
    (_callback(cb.FORGET), _button(privacy.on_forget)),
    (_callback(""), _button(menu.on_stale_callback)),
    # messages
    (_is_command("/start"), menu.start),
    (checkin.photo_awaited, checkin.on_photo),
    (_no_text, menu.unsupported),
    (_is_command("/progress"), privacy.needs(HEALTH, Then.CHECKIN, checkin.start)),
    (_is_command("/mydata"), privacy.mydata),
    (_is_command("/forget"), privacy.forget),
    (_is_command("/consent"), privacy.consents),
    (_is_command("/schedule"), schedule.show_week),
    (checkin.is_open, checkin.on_text),
    (after_sale.comment_awaited, after_sale.on_comment),
    (_is_command("/cancel"), menu.cancel),
    (_is_command("/menu"), menu.show_menu),
    (_in_state(State.QUESTIONNAIRE), questionnaire.on_answer_text),
    (_in_state(State.PROMO), buying.on_promo_text),
    (_in_state(State.SUMMARY), questionnaire.show_summary),
    (_any_message, menu.inbox),
]

STAFF_ROUTES: list[Route] = [
    (_is_command(staff.CONFIRM_PAYMENT), staff.confirm_payment),
]
