"""Bot handlers for the automations' buttons: the NPS scale, "start a check-in", "write to the
trainer", and the comment after a score. The engine and NPS live in `automations`; these only parse
the press and call its services."""

from automations.models import Run
from automations.services import NpsError, nps_comment, nps_comment_awaited, nps_record

from .services import message_queue

NPS_THANKS = (
    "Спасибо за оценку — {score}! Если хотите, напишите одним сообщением, что понравилось или что "
    "стоит улучшить. Тренер прочитает."
)
COMMENT_THANKS = "Спасибо! Передал ваш отзыв тренеру."
WRITE_TO_TRAINER = "Напишите сообщение сюда — тренер ответит в этом чате."


def on_nps(ctx) -> None:
    """`nps:<run>:<score>`: store the score (a second press changes it) and fire the NPS rules."""
    try:
        _prefix, run_id, score = ctx.data.split(":")
        run_id, score = int(run_id), int(score)
    except ValueError:
        return
    run = Run.objects.filter(pk=run_id, client=ctx.client).first()
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


def nps_comment_is_awaited(ctx) -> bool:
    if ctx.update.message is None or not ctx.text or ctx.text.startswith("/"):
        return False
    return nps_comment_awaited(client=ctx.client) is not None


def on_nps_comment(ctx) -> None:
    from config.celery import enqueue_on_commit

    response = nps_comment_awaited(client=ctx.client)
    if response is None:
        return
    nps_comment(response=response, text=ctx.text)
    if not ctx.client.is_preview:
        enqueue_on_commit(
            "botapp.trainer_notify",
            user_id=ctx.client.trainer_id,
            text=f"Отзыв {ctx.client.full_name} (NPS {response.score}): {response.comment}",
            client_id=ctx.client.pk,
        )
    ctx.say(COMMENT_THANKS)


def on_auto_button(ctx) -> None:
    """`auto:checkin` starts the weekly check-in; `auto:trainer` invites a message to the trainer."""
    if ctx.data == "auto:checkin":
        from .handlers import progress_start

        progress_start(ctx)
        return
    message_queue(chat_id=ctx.chat_id, client=ctx.client, text=WRITE_TO_TRAINER)
