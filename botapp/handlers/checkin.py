"""The weekly progress check-in; its state machine lives in `progress.checkin`."""

import logging

from progress import checkin
from progress.services import PHOTO_MAX_BYTES

from .. import callbacks as cb
from .. import client as tg
from .. import replies
from ..context import Ctx
from .menu import inbox

logger = logging.getLogger(__name__)
# What a check-in button means, in the words progress.checkin understands.
ANSWERS = {cb.Checkin.SKIP: checkin.SKIP, cb.Checkin.CANCEL: checkin.CANCEL}


def _say(ctx: Ctx, reply: checkin.CheckinReply) -> None:
    ctx.say(reply.text, replies.checkin_markup(reply.buttons))


def start(ctx: Ctx) -> None:
    _say(ctx, checkin.checkin_start(client=ctx.client))


def is_open(ctx: Ctx) -> bool:
    if ctx.update.message is None or not ctx.text:
        return False
    word = ctx.text.split(maxsplit=1)[0].split("@", 1)[0]
    if word.startswith("/") and word not in ("/cancel", "/skip"):
        return False  # other commands keep working during a check-in
    return checkin.checkin_open(client=ctx.client)


def on_text(ctx: Ctx) -> None:
    reply = checkin.checkin_answer(client=ctx.client, text=ctx.text)
    if reply is None:  # finished by another worker a moment ago
        inbox(ctx)
        return
    _say(ctx, reply)


def photo_awaited(ctx: Ctx) -> bool:
    message = ctx.update.message
    return (
        message is not None
        and bool(message.photo)
        and ctx.client is not None
        and checkin.checkin_wants_photo(client=ctx.client)
    )


def on_photo(ctx: Ctx) -> None:
    largest = ctx.update.message.photo[-1]  # Telegram lists the sizes smallest first
    try:
        content = tg.download_file(largest.file_id, max_bytes=PHOTO_MAX_BYTES)
    except tg.BotError as exc:
        logger.warning("Progress photo of client %s not downloaded: %s", ctx.client.pk, exc)
        ctx.say(ctx.texts.get("checkin_photo_failed"))
        return
    reply = checkin.checkin_photo(client=ctx.client, content=content)
    if reply is not None:
        _say(ctx, reply)


def on_button(ctx: Ctx) -> None:
    reply = checkin.checkin_answer(client=ctx.client, text=ANSWERS.get(ctx.data, ""))
    if reply is not None:  # None: a button of a finished check-in
        _say(ctx, reply)
