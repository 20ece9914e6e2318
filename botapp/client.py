"""The only code that talks to the Telegram Bot API (python-telegram-bot), with timeouts.

- One asyncio event loop per process, on a background thread: PTB's httpx client is bound to the loop
  it first ran on, so every call in this process goes through that one loop (thread-safe, fork-safe:
  a forked worker child starts its own).
- The API root is `TELEGRAM_API_BASE_URL` (`<root>/bot<token>/<method>`, files under `<root>/file/bot`).
- Preview chats (ids below `PREVIEW_CHAT_BASE`, never a real Telegram id) go to the preview transport:
  rows in `PreviewMessage` that the web preview page shows, no HTTP and no token needed.
- Errors come out as this module's exceptions, so callers never import `telegram`.
"""

import asyncio
import logging
import os
import threading
import warnings
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram import error as tg_error
from telegram.request import HTTPXRequest

from .models import PreviewMessage

logger = logging.getLogger(__name__)

MAX_DOCUMENT_BYTES = 50 * 1024 * 1024  # Bot API limit for sendDocument
MAX_TEXT_CHARS = 4096
# Telegram ids fit in 52 bits; anything at or below -2**53 can only be one of our preview chats.
PREVIEW_CHAT_BASE = -(2**53)


class BotError(Exception):
    """Sending failed; the message is safe to log and to show to staff."""


class BotDisabled(BotError):
    """No TELEGRAM_BOT_TOKEN: the bot is off (preview chats still work)."""


class BotRetryAfter(BotError):
    def __init__(self, seconds: float):
        super().__init__(f"Flood control: retry in {seconds:g} s")
        self.seconds = seconds


class BotForbidden(BotError):
    """The user blocked the bot (or never started it)."""


class BotNetworkError(BotError):
    """Timeout or connection problem: safe to retry later."""


class BotTimedOut(BotNetworkError):
    """No answer in time: the request may still have been carried out."""


class BotBadRequest(BotError):
    """Telegram refused the request; retrying the same request will not help."""


class DocumentTooLarge(BotBadRequest):
    pass


def preview_chat_id(user_id: int) -> int:
    return PREVIEW_CHAT_BASE - user_id


def is_preview_chat(chat_id: int | None) -> bool:
    return chat_id is not None and chat_id <= PREVIEW_CHAT_BASE


def bot_enabled() -> bool:
    return bool(settings.TELEGRAM_BOT_TOKEN)


Button = tuple[str, str]  # (label, callback data) — or (label, "https://…") for a link button


def keyboard(rows: list[list[Button]]) -> dict:
    """An inline keyboard as Bot API JSON (what we store and what Telegram receives)."""
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(label, url=data)
                if data.startswith(("https://", "http://"))
                else InlineKeyboardButton(label, callback_data=data[:64])
                for label, data in row
            ]
            for row in rows
        ]
    )
    return markup.to_dict()


# Telegram's ids fit in 52 bits (preview chats sit just below -2**53); what is beyond is forged.
MAX_ID = 2**62


def parse_update(payload: dict) -> Update:
    """A python-telegram-bot Update from webhook JSON; ValueError if it is not one.

    A text of nothing but blanks (Telegram sends none) is dropped, so handlers see a message
    without text rather than an empty command.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("update_id"), int):
        raise ValueError("not a Telegram update")
    if not -MAX_ID < payload["update_id"] < MAX_ID:
        raise ValueError("update_id out of range")
    for key in ("message", "edited_message"):
        body = payload.get(key)
        if (
            isinstance(body, dict)
            and isinstance(body.get("text"), str)
            and not body["text"].strip()
        ):
            del body["text"]
            body.pop("entities", None)
    try:
        update = Update.de_json(payload, None)
    except Exception as exc:
        raise ValueError(f"malformed update: {exc}") from exc
    if update is None:
        raise ValueError("empty update")
    for value in (
        getattr(update.effective_chat, "id", 0),
        getattr(update.effective_user, "id", 0),
        getattr(update.effective_message, "message_id", 0),
    ):
        if not isinstance(value, int) or not -MAX_ID < value < MAX_ID:
            raise ValueError("id out of range")
    return update


# --- the process's event loop and Bot --------------------------------------------------------------


class _Runner:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="telegram-bot-loop", daemon=True
        )
        self.thread.start()
        self.bot: Bot | None = None
        self.bot_key: tuple[str, str] | None = None

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)


_runner: _Runner | None = None
_runner_pid: int | None = None
_runner_lock = threading.Lock()


def _get_runner() -> _Runner:
    global _runner, _runner_pid
    with _runner_lock:
        if _runner is None or _runner_pid != os.getpid():
            _runner, _runner_pid = _Runner(), os.getpid()
        return _runner


def _timeout() -> float:
    return float(settings.EXTERNAL_HTTP_TIMEOUT)


async def _bot(runner: _Runner) -> Bot:
    token = settings.TELEGRAM_BOT_TOKEN
    if not token:
        raise BotDisabled("TELEGRAM_BOT_TOKEN is not set: the bot is off.")
    root = settings.TELEGRAM_API_BASE_URL.rstrip("/")
    key = (token, root)
    if runner.bot is None or runner.bot_key != key:
        if runner.bot is not None:
            try:
                await runner.bot.shutdown()
            except Exception:
                logger.debug("Closing the previous Bot failed", exc_info=True)
        t = _timeout()
        bot = Bot(
            token,
            base_url=f"{root}/bot",
            base_file_url=f"{root}/file/bot",
            request=HTTPXRequest(
                connection_pool_size=16,
                connect_timeout=t,
                read_timeout=t,
                write_timeout=t,
                pool_timeout=t,
                media_write_timeout=max(t, 60.0),
            ),
            get_updates_request=HTTPXRequest(
                connection_pool_size=2, connect_timeout=t, read_timeout=t, write_timeout=t
            ),
        )
        runner.bot, runner.bot_key = bot, key
        await bot.initialize()
    return runner.bot


def _retry_seconds(exc: tg_error.RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _call(method: str, *, wait: float | None = None, **kwargs: Any) -> Any:
    runner = _get_runner()

    async def go() -> Any:
        bot = await _bot(runner)
        return await getattr(bot, method)(**kwargs)

    try:
        return runner.run(go(), wait or _timeout() * 3 + 5)
    except tg_error.RetryAfter as exc:
        raise BotRetryAfter(_retry_seconds(exc)) from exc
    except tg_error.Forbidden as exc:
        raise BotForbidden(str(exc)) from exc
    except tg_error.InvalidToken as exc:
        raise BotBadRequest(f"Invalid token: {exc}") from exc
    except tg_error.BadRequest as exc:  # a subclass of NetworkError in PTB: check it first
        raise BotBadRequest(str(exc)) from exc
    except (tg_error.TimedOut, TimeoutError) as exc:
        raise BotTimedOut(str(exc) or type(exc).__name__) from exc
    except tg_error.NetworkError as exc:
        raise BotNetworkError(str(exc) or type(exc).__name__) from exc
    except tg_error.TelegramError as exc:
        raise BotBadRequest(str(exc)) from exc


def _markup(reply_markup: dict | None) -> InlineKeyboardMarkup | None:
    return InlineKeyboardMarkup.de_json(reply_markup, None) if reply_markup else None


# --- what the rest of the app calls -----------------------------------------------------------------


def send_message(chat_id: int, text: str, reply_markup: dict | None = None) -> int:
    """Send a text (cut to Telegram's 4096 characters); returns the message id."""
    text = text[:MAX_TEXT_CHARS]
    if is_preview_chat(chat_id):
        return PreviewMessage.objects.create(
            chat_id=chat_id, text=text, reply_markup=reply_markup
        ).pk
    message = _call("send_message", chat_id=chat_id, text=text, reply_markup=_markup(reply_markup))
    return message.message_id


def edit_message_text(
    chat_id: int, message_id: int, text: str, reply_markup: dict | None = None
) -> None:
    text = text[:MAX_TEXT_CHARS]
    if is_preview_chat(chat_id):
        PreviewMessage.objects.filter(chat_id=chat_id, pk=message_id).update(
            text=text, reply_markup=reply_markup
        )
        return
    try:
        _call(
            "edit_message_text",
            chat_id=chat_id,
            message_id=message_id,
            text=text,
            reply_markup=_markup(reply_markup),
        )
    except BotBadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


def answer_callback_query(chat_id: int, callback_query_id: str, text: str = "") -> None:
    if is_preview_chat(chat_id):
        return
    _call("answer_callback_query", callback_query_id=callback_query_id, text=text or None)


def download_file(file_id: str, *, max_bytes: int) -> bytes:
    """The bytes of a file a user sent (a photo); refuses files over `max_bytes` before downloading."""
    file = _call("get_file", file_id=file_id)
    if file.file_size and file.file_size > max_bytes:
        raise DocumentTooLarge(f"{file_id} is {file.file_size} bytes")
    try:
        data = _get_runner().run(file.download_as_bytearray(), _timeout() * 3 + 5)
    except (tg_error.TimedOut, tg_error.NetworkError, TimeoutError) as exc:
        raise BotNetworkError(str(exc) or type(exc).__name__) from exc
    except tg_error.TelegramError as exc:
        raise BotBadRequest(str(exc)) from exc
    if len(data) > max_bytes:
        raise DocumentTooLarge(f"{file_id} is {len(data)} bytes")
    return bytes(data)


def send_document(
    chat_id: int,
    path: str,
    filename: str,
    caption: str = "",
    reply_markup: dict | None = None,
) -> int:
    """Send a file (see `document_open`); refuses files over 50 MB before uploading anything."""
    size = document_size(path)
    if size is None:
        raise BotBadRequest(f"File {path} does not exist")
    if size > MAX_DOCUMENT_BYTES:
        raise DocumentTooLarge(f"{filename} is {size // (1024 * 1024)} MB; Telegram takes 50 MB")
    if is_preview_chat(chat_id):
        return PreviewMessage.objects.create(
            chat_id=chat_id,
            text=caption,
            document=path,
            document_name=filename,
            reply_markup=reply_markup,
        ).pk
    with document_open(path) as handle:
        data = handle.read()
    message = _call(
        "send_document",
        wait=max(_timeout(), 60.0) * 2 + 5,
        chat_id=chat_id,
        document=data,
        filename=filename,
        caption=caption[:1024] or None,
        reply_markup=_markup(reply_markup),
    )
    return message.message_id


def send_channel_post(
    chat_id: str, text: str, *, photo: bytes | None = None, reply_markup: dict | None = None
) -> tuple[int, str]:
    """Post to a channel (`@name` or `-100…` id): a photo with the text as its caption (Telegram
    takes 1024 characters there) or a text. Returns (message id, link to the post)."""
    if photo:
        message = _call(
            "send_photo",
            wait=max(_timeout(), 60.0) * 2 + 5,
            chat_id=chat_id,
            photo=photo,
            caption=text[:1024] or None,
            reply_markup=_markup(reply_markup),
        )
    else:
        message = _call(
            "send_message",
            chat_id=chat_id,
            text=text[:MAX_TEXT_CHARS],
            reply_markup=_markup(reply_markup),
        )
    username = getattr(message.chat, "username", None)
    if username:
        link = f"https://t.me/{username}/{message.message_id}"
    else:  # a private channel: t.me/c/<id without -100>/<message>
        link = f"https://t.me/c/{str(message.chat.id).removeprefix('-100')}/{message.message_id}"
    return message.message_id, link


def document_size(path: str) -> int | None:
    """Size in bytes of a document to send: an absolute path on this machine (a FileField of any
    file-system storage, e.g. programs' private one) or a name in the default storage."""
    if os.path.isabs(path):
        return os.path.getsize(path) if os.path.isfile(path) else None
    return default_storage.size(path) if default_storage.exists(path) else None


def document_open(path: str):
    return open(path, "rb") if os.path.isabs(path) else default_storage.open(path, "rb")


def get_me(*, wait: float | None = None) -> dict:
    """The bot's own account; `wait` bounds the call (health checks must not hang)."""
    return _call("get_me", wait=wait).to_dict()


def set_webhook(url: str, secret_token: str) -> bool:
    return _call(
        "set_webhook",
        url=url,
        secret_token=secret_token or None,
        allowed_updates=["message", "edited_message", "callback_query"],
    )


def delete_webhook() -> bool:
    return _call("delete_webhook")


def get_updates(offset: int | None, timeout: int = 25) -> list[dict]:
    """Long polling: the updates after `offset`, as the JSON the webhook would have received."""
    updates = _call(
        "get_updates",
        wait=timeout + _timeout() * 2 + 5,
        offset=offset,
        timeout=timeout,
        read_timeout=timeout + _timeout(),
        allowed_updates=["message", "edited_message", "callback_query"],
    )
    return [update.to_dict() for update in updates]
