"""Buttons of the automations' messages: the NPS scale, "record measurements", "write to the
trainer", and the comment after a score. The engine and NPS live in `automations`; these parse the
press and call its services."""

from django.utils.translation import gettext as _

from automations.models import Run
from automations.services import NpsError, nps_comment, nps_comment_awaited, nps_record
from crm.models import Notification
from crm.notifications import staff_notify
from crm.services import notification_create

from .. import callbacks as cb
from ..context import Ctx
from . import checkin

NPS_THANKS = (
    "Спасибо за оценку — {score}! Если хотите, напишите одним сообщением, что понравилось или что "
    "стоит улучшить. Тренер прочитает."
)
COMMENT_THANKS = "Спасибо! Передал ваш отзыв тренеру."
WRITE_TO_TRAINER = "Напишите сообщение сюда — тренер ответит в этом чате."


def on_nps(ctx: Ctx) -> None:
    """`nps:<run>:<score>`: store the score (a second press changes it) and fire the NPS rules."""
    run_id, score = cb.nps_parse(ctx.data)
    if score is None:
        return
    run = Run.objects.filter(pk=run_id, client=ctx.client).first() if run_id else None
    try:
        nps_record(client=ctx.client, score=score, run=run)
    except NpsError as error:
        ctx.say(str(error))
        return
    query = ctx.update.callback_query
    original = getattr(query.message, "text", "") if query and query.message else ""
    if original:
        ctx.edit(f"{original}\n\nВаша оценка: {score}")
    ctx.say(NPS_THANKS.format(score=score))


def comment_awaited(ctx: Ctx) -> bool:
    if ctx.update.message is None or not ctx.text or ctx.text.startswith("/"):
        return False
    return nps_comment_awaited(client=ctx.client) is not None


def on_comment(ctx: Ctx) -> None:
    response = nps_comment_awaited(client=ctx.client)
    if response is None:
        return
    nps_comment(response=response, text=ctx.text)
    if not ctx.client.is_preview:
        # The client wrote to their trainer: the bell and their Telegram (the staff chat when the
        # client has no trainer); a replayed update notifies once.
        text = _("%(name)s about the program (NPS %(score)s): %(comment)s") % {
            "name": ctx.client.full_name,
            "score": response.score,
            "comment": response.comment,
        }
        if ctx.client.trainer_id:
            notification_create(
                recipient=ctx.client.trainer,
                kind=Notification.Kind.CLIENT_WROTE,
                client=ctx.client,
                text=text,
                dedup_key=f"telegram-update:{ctx.update.update_id}",
            )
        else:
            staff_notify(text=text, client=ctx.client)
    ctx.say(COMMENT_THANKS)


def on_checkin(ctx: Ctx) -> None:
    checkin.start(ctx)


def on_write_to_trainer(ctx: Ctx) -> None:
    ctx.say(WRITE_TO_TRAINER)
