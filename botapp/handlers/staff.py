"""Commands in the staff chat, only from people configured as staff (User.telegram_chat_id)."""

import logging

from crm.models import User
from payments import services as payments
from payments.models import Payment

from ..context import Ctx

logger = logging.getLogger(__name__)
CONFIRM_PAYMENT = "/confirm_payment"


def _staff(ctx: Ctx) -> User | None:
    user = ctx.update.effective_user
    return (
        User.objects.filter(telegram_chat_id=user.id, is_active=True)
        .filter(role__in=[User.Role.ADMIN, User.Role.OPERATOR])
        .first()
    )


def confirm_payment(ctx: Ctx) -> None:
    """`/confirm_payment <id>`: the same confirmation as the payment page's button — only an open
    payment staff took themselves (cash, card, transfer); online payments settle by provider."""
    staff = _staff(ctx)
    if staff is None:
        logger.warning(
            "Telegram user %s is not staff; %s ignored",
            ctx.update.effective_user.id,
            CONFIRM_PAYMENT,
        )
        return
    parts = ctx.text.split()
    if len(parts) != 2 or not parts[1].lstrip("#").isdigit():
        ctx.say(ctx.texts.get("staff_confirm_usage"))
        return
    payment_id = int(parts[1].lstrip("#"))
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None:
        ctx.say(ctx.texts.get("staff_confirm_not_found", id=payment_id))
        return
    try:
        payments.payment_confirm(payment=payment, actor=staff, source=payments.Source.STAFF_CHAT)
    except payments.PaymentError as error:
        ctx.say(ctx.texts.get("staff_confirm_error", id=payment_id, reason=str(error)))
        return
    ctx.say(ctx.texts.get("staff_confirmed", id=payment_id))
