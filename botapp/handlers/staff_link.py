"""`/start staff_<token>`: a staff member links their own Telegram chat (the one-time link from
their page), so notes about their clients reach them personally. Handled before any client is
registered: a staff member opening the link never becomes a lead."""

from ..context import Ctx
from ..services import STAFF_LINK_PREFIX, staff_link_claim

LINKED = (
    "Готово, {name}! Теперь сюда будут приходить ваши уведомления: новые клиенты, оплаты, сообщения "
    "клиентов и низкие оценки."
)
EXPIRED = "Ссылка устарела или уже использована. Создайте новую на странице «Мой Telegram» в CRM."


def is_link(ctx: Ctx) -> bool:
    if ctx.update.message is None:
        return False
    parts = ctx.text.split(maxsplit=1)
    return (
        len(parts) == 2
        and parts[0].split("@", 1)[0] == "/start"
        and parts[1].startswith(STAFF_LINK_PREFIX)
    )


def link(ctx: Ctx) -> None:
    token = ctx.text.split(maxsplit=1)[1][len(STAFF_LINK_PREFIX) :].strip()
    user = staff_link_claim(token=token, chat_id=ctx.chat_id)
    ctx.say(LINKED.format(name=user.get_full_name() or user.username) if user else EXPIRED)
