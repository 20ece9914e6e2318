"""Tariffs, the promo code and Buy. The payment itself is created by a task after the update
commits (payments calls YooKassa outside any transaction); that task sends the link."""

from config.celery import enqueue_on_commit
from payments.models import Tariff

from .. import callbacks as cb
from .. import replies
from ..context import Ctx
from ..models import BotChat

PAYMENT_START_TASK = "botapp.payment_start"


def show_tariffs(ctx: Ctx) -> None:
    text, markup = replies.tariffs_message(ctx.texts, promo=ctx.chat.promo_code)
    ctx.say(text, markup)


def on_promo_button(ctx: Ctx) -> None:
    ctx.chat.state = BotChat.State.PROMO
    ctx.chat.save()
    ctx.say(ctx.texts.get("promo_ask"))


def on_promo_text(ctx: Ctx) -> None:
    chat = ctx.chat
    chat.state, chat.promo_code = BotChat.State.IDLE, ctx.text.strip()[:32]
    chat.save()
    show_tariffs(ctx)


def on_buy(ctx: Ctx) -> None:
    pk = cb.payload_id(ctx.data, cb.BUY)
    tariff = Tariff.objects.filter(pk=pk, is_active=True).first() if pk else None
    if tariff is None:
        text, markup = replies.tariffs_message(ctx.texts)
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
