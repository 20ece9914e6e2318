"""Writes of the bot: storing updates, clients arriving through Telegram, the outbox and the inbox.

The outbox is how every message leaves: a handler (inside the update's transaction) queues
`OutboundMessage` rows; after commit `outbox_flush_task` sends a chat's messages in order, one worker
per chat at a time (a lease on `BotChat`), within Telegram's limits (`botapp.ratelimit`), and records
each sent message as an outbound `ClientContact`. A message is claimed before it is sent and marked
sent after, so a retried task never sends it twice.
"""

import contextvars
import logging
import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import CharField, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from config.celery import enqueue_on_commit
from crm.models import Client, ClientContact, Lead, User
from crm.notifications import staff_notify, telegram_unreachable_reason
from crm.services import lead_register
from pipeline.services import stage_apply_event

from . import client as tg
from . import ratelimit
from .models import BotChat, OutboundMessage, StaffLink, TelegramUpdate
from .replies import back_markup, money, pay_markup, tariffs_message
from .texts import Texts

logger = logging.getLogger(__name__)
# Set while update_process runs: chats whose queued replies it sends itself after commit.
_inline_flush: contextvars.ContextVar[set[int] | None] = contextvars.ContextVar(
    "botapp_inline_flush", default=None
)

UPDATE_TASK = "botapp.update_process"
FLUSH_TASK = "botapp.outbox_flush"
DRAIN_TASK = "botapp.outbox_drain"
MAX_SEND_ATTEMPTS = 5
MAX_UPDATE_ATTEMPTS = 4  # tries of one update that end in a database error
MAX_INLINE_WAIT = 0.1  # a chat's own slot further than this: the loop lets go and comes back then
LEASE_SECONDS = 60  # a chat's lease, renewed before every send (see _claim_seconds)
SEND_BATCH = 20  # messages one flush sends before it lets other chats' work run
SEND_BUDGET = 10.0  # seconds one flush spends before it lets other chats' work run
DIGEST_MIN = 5  # this many staff notes waiting go out as one digest
DIGEST_MAX = 50
MAX_FLUSH_DELAY = 300.0  # well inside the broker's visibility timeout
Status = OutboundMessage.Status


class InboxError(Exception):
    """A reply that cannot be sent; the message is safe to show to staff."""


# --- updates ----------------------------------------------------------------------------------------


def update_store(
    *, payload: dict, source: str = TelegramUpdate.Source.WEBHOOK
) -> TelegramUpdate | None:
    """Store an update and enqueue its processing after commit.

    Returns None for an update already stored (a replay: nothing is processed again).
    Raises ValueError for a body that is not a Telegram update.
    """
    update = tg.parse_update(payload)
    chat = update.effective_chat
    kind = next((key for key in payload if key != "update_id"), "")
    try:
        with transaction.atomic():
            row = TelegramUpdate.objects.create(
                update_id=update.update_id,
                chat_id=chat.id if chat else None,
                kind=kind[:32],
                payload=payload,
                source=source,
            )
    except IntegrityError:
        return None
    enqueue_on_commit(UPDATE_TASK, update_id=row.update_id)
    return row


def update_process(*, update_id: int, handle: Callable[[TelegramUpdate], None]) -> int:
    """Run `handle` (the dispatcher, passed in by the layer above) for this update — first for any earlier unprocessed update of the same chat,
    so a chat's updates are handled in the order they arrived. Each update is processed once:
    its row is locked and marked processed in the handler's own transaction. Returns how many ran.

    The replies are sent right after the commit, in this same call (no second trip through the
    broker); a chat that must wait (flood control, another worker sending) gets a flush task.
    """
    row = TelegramUpdate.objects.filter(update_id=update_id).only("pk", "chat_id").first()
    if row is None:
        return 0
    backlog = TelegramUpdate.objects.filter(processed_at__isnull=True, pk__lte=row.pk)
    backlog = (
        backlog.filter(chat_id=row.chat_id)
        if row.chat_id is not None
        else backlog.filter(pk=row.pk)
    )
    chats: set[int] = set()
    token = _inline_flush.set(chats)
    done = 0
    try:
        for pk in backlog.order_by("pk").values_list("pk", flat=True):
            done += _process_one(pk, handle)
    finally:
        _inline_flush.reset(token)
    logger.info(
        "bot update %s processed", update_id, extra={"update_id": update_id, "chat_id": row.chat_id}
    )
    for chat_id in sorted(chats):
        try:
            retry_in = outbox_flush(chat_id=chat_id)
        except Exception:
            enqueue_flush_later(chat_id=chat_id, seconds=5)  # the update is done; its replies not
            raise
        if retry_in is not None:
            enqueue_flush_later(chat_id=chat_id, seconds=retry_in)
    return done


def updates_reconcile(*, older_than: timedelta = timedelta(minutes=2)) -> int:
    """Hand to the worker again every chat with an update stored but not processed (its task was
    lost with a worker, or never reached the broker). Returns how many chats."""
    from config.celery import app

    cutoff = timezone.now() - older_than
    stale = TelegramUpdate.objects.filter(processed_at__isnull=True, received_at__lt=cutoff)
    # The newest stale update of each chat: processing it runs the chat's earlier ones first.
    latest: dict[int | None, int] = {}
    for chat_id, update_id in stale.order_by("pk").values_list("chat_id", "update_id")[:5000]:
        latest[chat_id if chat_id is not None else -update_id] = update_id
    for update_id in latest.values():
        app.tasks[UPDATE_TASK].apply_async(kwargs={"update_id": update_id})
    if latest:
        logger.warning("Re-queued %s stored but unprocessed Telegram update(s)", len(latest))
    return len(latest)


def outbox_sweep(*, older_than: timedelta = timedelta(seconds=60)) -> int:
    """Hand to a flush task every chat with messages left pending (a worker died between commit and
    send) or stuck "sending" past their claim (a worker died mid-send). Returns how many chats."""
    now = timezone.now()
    stuck = Q(status=Status.PENDING, created_at__lt=now - older_than) | Q(
        status=Status.SENDING, claimed_until__lt=now
    )
    chats = list(
        OutboundMessage.objects.filter(stuck).values_list("chat_id", flat=True).distinct()[:1000]
    )
    for chat_id in chats:
        enqueue_flush_later(chat_id=chat_id, seconds=0, force=True)
    return len(chats)


def enqueue_flush_later(*, chat_id: int, seconds: float, force: bool = False) -> bool:
    """Schedule a flush of the chat in `seconds` — unless one is already due no later (one
    scheduled flush per chat, however many messages or retries ask). Returns whether it enqueued."""
    from config.celery import app

    seconds = min(max(0.0, seconds), MAX_FLUSH_DELAY)
    now = timezone.now()
    due = now + timedelta(seconds=seconds)
    BotChat.objects.get_or_create(chat_id=chat_id)
    claimed = (
        BotChat.objects.filter(chat_id=chat_id)
        .filter(
            Q(outbox_flush_due_at__isnull=True)
            | Q(outbox_flush_due_at__gt=due)
            # A flush due long ago never ran (the broker lost it): schedule anew.
            | Q(outbox_flush_due_at__lt=now - timedelta(seconds=LEASE_SECONDS))
        )
        .update(outbox_flush_due_at=due)
    )
    if not claimed and not force:
        return False
    try:
        # To the tenth of a second: a chat's next slot is often under a second away.
        app.tasks[FLUSH_TASK].apply_async(
            kwargs={"chat_id": chat_id}, countdown=round(seconds, 1) or None
        )
    except Exception:
        # Not scheduled after all (the broker is down): the next request may schedule it.
        BotChat.objects.filter(chat_id=chat_id, outbox_flush_due_at=due).update(
            outbox_flush_due_at=None
        )
        raise
    return True


def outbox_flush_started(*, chat_id: int) -> None:
    """A scheduled flush began: the next request to flush schedules a new one."""
    BotChat.objects.filter(
        chat_id=chat_id, outbox_flush_due_at__lte=timezone.now() + timedelta(seconds=1)
    ).update(outbox_flush_due_at=None)


def _process_one(pk: int, handle: Callable[[TelegramUpdate], None]) -> int:
    # Counted in its own transaction, so a try that fails still counts.
    TelegramUpdate.objects.filter(pk=pk, processed_at__isnull=True).update(
        attempts=F("attempts") + 1
    )
    with transaction.atomic():
        row = TelegramUpdate.objects.select_for_update().get(pk=pk)
        if row.processed_at is not None:
            return 0
        try:
            with transaction.atomic():
                handle(row)
        except DatabaseError as exc:
            if row.attempts < MAX_UPDATE_ATTEMPTS:
                raise  # the database hiccuped: the task retries the whole update
            # The same error every time: give the update up, so the chat's next ones go on.
            logger.exception("Update %s given up after %s tries", row.update_id, row.attempts)
            row.error = f"gave up after {row.attempts} tries: {type(exc).__name__}: {exc}"[:2000]
        except Exception as exc:
            logger.exception("Update %s failed", row.update_id)
            row.error = f"{type(exc).__name__}: {exc}"[:2000]
        row.processed_at = timezone.now()
        row.save(update_fields=["processed_at", "error"])
    return 1


# --- clients ----------------------------------------------------------------------------------------


def chat_lock(*, chat_id: int, client: Client | None = None) -> BotChat:
    """The chat's conversation row, locked for this transaction (created on first use)."""
    chat, _ = BotChat.objects.get_or_create(chat_id=chat_id, defaults={"client": client})
    chat = BotChat.objects.select_for_update().get(pk=chat.pk)
    if client is not None and chat.client_id != client.pk:
        chat.client = client
        chat.save(update_fields=["client", "updated_at"])
    return chat


def client_from_telegram(
    *,
    user_id: int,
    chat_id: int,
    first_name: str = "",
    last_name: str = "",
    username: str = "",
    source: str = "",
) -> tuple[Client, bool]:
    """Find the client with this Telegram id or register them (never two, also when two /start race).

    A new client goes through crm's one lead-registration service (Lead with the source, the
    `lead_created` stage move, a note to the staff chat). A returning client arriving through a deep
    link is registered again as a new Lead of that source. Preview clients (staff testing the bot)
    are created quietly and flagged, so they stay out of analytics and the staff chat.
    Returns (client, created).
    """
    client = Client.objects.filter(telegram_id=user_id).first()
    if client is not None and not source:
        return client, False
    if tg.is_preview_chat(chat_id):
        return _preview_client(user_id=user_id, first_name=first_name, username=username)
    registration = lead_register(
        source=(source or Client.Source.TELEGRAM)[:64],
        channel=ClientContact.Channel.TELEGRAM,
        telegram_id=user_id,
        telegram_username=username[:64],
        first_name=first_name[:100],
        last_name=last_name[:100],
    )
    return registration.client, registration.client_created


def _preview_client(*, user_id: int, first_name: str, username: str) -> tuple[Client, bool]:
    client = Client.objects.filter(telegram_id=user_id).first()
    if client is not None:
        return client, False
    try:
        with transaction.atomic():
            client = Client.objects.create(
                telegram_id=user_id,
                first_name=first_name[:100],
                telegram_username=username[:64],
                source=Client.Source.TELEGRAM,
                is_preview=True,
            )
    except IntegrityError:
        return Client.objects.get(telegram_id=user_id), False
    Lead.objects.create(client=client, source=client.source)
    stage_apply_event(client=client, event="lead_created")
    return client, True


def contact_record(
    *, client: Client, text: str, direction: str, author: User | None = None
) -> ClientContact:
    """One message in the client's history (and their last contact time)."""
    now = timezone.now()
    contact = ClientContact.objects.create(
        client=client,
        channel=ClientContact.Channel.TELEGRAM,
        contact_data=f"@{client.telegram_username}" if client.telegram_username else "",
        text=text,
        direction=direction,
        sent_at=now,
        author=author,
    )
    changes: dict = {"last_contact_at": now}
    if direction == ClientContact.Direction.INBOUND and client.bot_blocked_at:
        changes["bot_blocked_at"] = None  # they wrote to us, so they unblocked the bot
        client.bot_blocked_at = None
    Client.objects.filter(pk=client.pk).update(**changes)
    return contact


def client_mark_unreachable(*, client: Client) -> None:
    """Telegram answered 403: stop messaging the client and drop what is still queued for them."""
    now = timezone.now()
    Client.objects.filter(pk=client.pk, bot_blocked_at__isnull=True).update(bot_blocked_at=now)
    client.bot_blocked_at = client.bot_blocked_at or now
    OutboundMessage.objects.filter(chat_id=client.telegram_id, status=Status.PENDING).update(
        status=Status.SKIPPED, error="client blocked the bot"
    )


# --- outbox -----------------------------------------------------------------------------------------


def message_queue(
    *,
    chat_id: int,
    text: str = "",
    client: Client | None = None,
    reply_markup: dict | None = None,
    kind: str = OutboundMessage.Kind.TEXT,
    document: str = "",
    document_name: str = "",
    edit_message_id: int | None = None,
    callback_query_id: str = "",
    dedupe_key: str | None = None,
    author: User | None = None,
) -> OutboundMessage:
    """Queue a message; it is sent after the transaction commits. With a `dedupe_key` already used,
    returns the existing message and queues nothing."""
    if dedupe_key:
        existing = OutboundMessage.objects.filter(dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
    message = OutboundMessage.objects.create(
        chat_id=chat_id,
        client=client,
        kind=kind,
        text=text,
        reply_markup=reply_markup,
        document=document,
        document_name=document_name,
        edit_message_id=edit_message_id,
        callback_query_id=callback_query_id,
        dedupe_key=dedupe_key,
        author=author,
    )
    _schedule_flush(chat_id)
    return message


def _schedule_flush(chat_id: int) -> None:
    inline = _inline_flush.get()
    if inline is not None:
        inline.add(chat_id)  # update_process sends the replies itself right after its commit
        return
    # One flush per chat per transaction, however many messages it queued. The pending callbacks
    # are the record (a rolled-back savepoint drops its callbacks, so nothing goes stale).
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(
        getattr(entry[1], "botapp_flush_chat", None) == chat_id
        for entry in connection.run_on_commit
    ):
        return

    def run() -> None:
        run.botapp_flush_chat = None  # done: a later transaction schedules its own flush
        transaction.on_commit(lambda: _flush_soon(chat_id))

    run.botapp_flush_chat = chat_id
    transaction.on_commit(run)


def _flush_soon(chat_id: int) -> None:
    from kombu.exceptions import OperationalError

    try:
        enqueue_flush_later(chat_id=chat_id, seconds=0)
    except OperationalError:
        # The broker is down: the message is safe in the outbox and the sweep sends it.
        logger.warning("Could not schedule the flush of chat %s", chat_id, exc_info=True)


def _lease_take(chat_id: int) -> bool:
    """The chat's outbox is ours for LEASE_SECONDS: one conditional UPDATE (every send of a
    broadcast starts here), or the chat's first row, made leased."""
    now = timezone.now()
    until = now + timedelta(seconds=LEASE_SECONDS)
    free = Q(outbox_lease_until__isnull=True) | Q(outbox_lease_until__lt=now)
    if BotChat.objects.filter(free, chat_id=chat_id).update(outbox_lease_until=until):
        return True
    _chat, created = BotChat.objects.get_or_create(
        chat_id=chat_id, defaults={"outbox_lease_until": until}
    )
    return created  # an existing row was not free: another worker holds the chat


def _lease_renew(chat_id: int, seconds: float) -> None:
    """Heartbeat: the chat stays ours for the next send however long it takes."""
    until = timezone.now() + timedelta(seconds=max(LEASE_SECONDS, seconds))
    BotChat.objects.filter(chat_id=chat_id).update(outbox_lease_until=until)


def _lease_release(chat_id: int) -> None:
    BotChat.objects.filter(chat_id=chat_id).update(outbox_lease_until=None)


def _admin_chat_id() -> int | None:
    try:
        return int(settings.TELEGRAM_ADMIN_CHAT_ID)
    except (TypeError, ValueError):
        return None


def _claim_seconds(kind: str) -> float:
    """How long one send may take (the client's own time limit) plus a margin: the claim's life."""
    timeout = float(settings.EXTERNAL_HTTP_TIMEOUT)
    if kind == OutboundMessage.Kind.DOCUMENT:
        return max(timeout, 60.0) * 2 + 10
    return timeout * 3 + 10


def _queue_head(chat_id: int) -> OutboundMessage | None:
    return (
        OutboundMessage.objects.filter(chat_id=chat_id, status__in=(Status.PENDING, Status.SENDING))
        .select_related("client")
        .order_by("id")
        .first()
    )


def outbox_pending(chat_id: int) -> bool:
    return OutboundMessage.objects.filter(
        chat_id=chat_id, status__in=(Status.PENDING, Status.SENDING)
    ).exists()


def outbox_flush(*, chat_id: int) -> float | None:
    """Send the chat's queued messages in order, one worker per chat at a time (a lease on the chat,
    renewed before every send). A call is bounded (SEND_BATCH messages, SEND_BUDGET seconds) so no
    chat keeps a worker from the others; it never waits long for a rate-limit slot.

    Returns None when the queue is empty (or another worker holds the chat: it looks again after
    letting go, so nothing is left behind), or the seconds after which to call again (0: the batch
    ran out; flood control, a network error, a rate-limit slot further away).
    """
    while True:
        if not _lease_take(chat_id):
            return None
        try:
            retry_in = _flush_leased(chat_id)
        finally:
            _lease_release(chat_id)
        # A message queued while we held the lease had its flush turned away: look once more.
        if retry_in is not None or not outbox_pending(chat_id):
            return retry_in


def _flush_leased(chat_id: int) -> float | None:
    deadline = time.monotonic() + SEND_BUDGET
    for _ in range(SEND_BATCH):
        if time.monotonic() >= deadline:
            return 0.0
        message = _queue_head(chat_id)
        if message is None:
            return None
        now = timezone.now()
        if message.status == Status.SENDING:
            if message.claimed_until and message.claimed_until > now:
                # Another worker's send is (or was until it died) in flight: keep the order.
                return max(1.0, (message.claimed_until - now).total_seconds())
            if message.attempts >= MAX_SEND_ATTEMPTS:
                _dead_letter(message, message.error or "the worker died while sending")
                continue
        client = message.client
        Kind = OutboundMessage.Kind
        if (
            client is not None
            and client.bot_blocked_at
            and message.kind in (Kind.TEXT, Kind.DOCUMENT)
        ):
            _finish(message, Status.SKIPPED, "client blocked the bot")
            continue
        group = _digest_group(message)
        if not tg.is_preview_chat(chat_id) and message.kind != Kind.CALLBACK_ANSWER:
            taken, wait = ratelimit.reserve_soon(
                chat_id, max_wait=MAX_INLINE_WAIT, budget=deadline - time.monotonic()
            )
            if not taken:
                return wait
            if wait > 0:
                time.sleep(wait)
        claim = _claim_seconds(message.kind)
        _lease_renew(chat_id, claim + 30)
        claimed = OutboundMessage.objects.filter(
            pk__in=[m.pk for m in group], status=message.status
        ).update(
            status=Status.SENDING,
            attempts=F("attempts") + 1,
            claimed_until=timezone.now() + timedelta(seconds=claim),
        )
        if claimed != len(group):
            continue  # the queue changed under us (a sweep, an admin): look again
        message.attempts += 1
        if len(group) > 1:
            message.text = _digest_text(group)
        try:
            retry = _send_one(message, [m.pk for m in group])
        except Exception as exc:
            # Not Telegram's answer (a file that vanished, a database hiccup): the message waits
            # out its claim and is retried, then dead-lettered, instead of blocking the chat.
            logger.exception("Sending message %s failed", message.pk)
            OutboundMessage.objects.filter(pk__in=[m.pk for m in group]).update(
                error=f"{type(exc).__name__}: {exc}"[:2000]
            )
            raise
        if retry is not None:
            return retry
    return 0.0


def _digest_group(message: OutboundMessage) -> list[OutboundMessage]:
    """The staff chat's plain notes, when DIGEST_MIN or more wait, go out as one digest."""
    if (
        message.chat_id != _admin_chat_id()
        or message.status != Status.PENDING
        or message.kind != OutboundMessage.Kind.TEXT
        or message.reply_markup
        or message.dedupe_key
    ):
        return [message]
    queued = list(
        OutboundMessage.objects.filter(chat_id=message.chat_id, id__gte=message.pk)
        .exclude(status__in=(Status.SENT, Status.FAILED, Status.SKIPPED, Status.DEAD))
        .order_by("id")[:DIGEST_MAX]
    )
    group: list[OutboundMessage] = []
    size = 0
    for item in queued:
        plain = (
            item.status == Status.PENDING
            and item.kind == OutboundMessage.Kind.TEXT
            and not item.reply_markup
            and not item.dedupe_key
        )
        size += len(item.text) + 2
        if not plain or size > tg.MAX_TEXT_CHARS - 100:
            break
        group.append(item)
    if len(group) < DIGEST_MIN:
        return [message]
    group[0] = message
    return group


def _digest_text(group: list[OutboundMessage]) -> str:
    header = Texts().get("staff_digest", count=len(group))
    return "\n\n".join([header, *(m.text for m in group)])


def _send_one(message: OutboundMessage, pks: list[int] | None = None) -> float | None:
    """Send one claimed message (or a digest standing for the claimed `pks`)."""
    pks = pks or [message.pk]
    Kind = OutboundMessage.Kind
    try:
        if message.kind == Kind.TEXT:
            message_id = tg.send_message(message.chat_id, message.text, message.reply_markup)
        elif message.kind == Kind.DOCUMENT:
            message_id = tg.send_document(
                message.chat_id,
                message.document,
                message.document_name or "document.pdf",
                caption=message.text,
                reply_markup=message.reply_markup,
            )
        elif message.kind == Kind.EDIT:
            tg.edit_message_text(
                message.chat_id, message.edit_message_id, message.text, message.reply_markup
            )
            message_id = message.edit_message_id
        else:
            tg.answer_callback_query(message.chat_id, message.callback_query_id, message.text)
            message_id = None
    except tg.BotRetryAfter as exc:
        ratelimit.hold(message.chat_id, exc.seconds)
        _requeue(pks, str(exc))
        return exc.seconds
    except tg.BotForbidden as exc:
        _finish(message, Status.FAILED, str(exc), pks)
        if message.client is not None:
            client_mark_unreachable(client=message.client)
        return None
    except tg.BotDisabled as exc:
        logger.info("Bot is off; message %s to %s not sent", message.pk, message.chat_id)
        _finish(message, Status.SKIPPED, str(exc), pks)
        return None
    except tg.BotNetworkError as exc:
        if message.attempts >= MAX_SEND_ATTEMPTS:
            _dead_letter(message, str(exc), pks)
            return None
        _requeue(pks, str(exc))
        return float(2**message.attempts)  # 2, 4, 8, 16 s
    except tg.BotError as exc:
        logger.warning("Telegram refused message %s: %s", message.pk, exc)
        _finish(message, Status.FAILED, str(exc), pks)
        _notify_failure(message, str(exc))
        return None
    if len(pks) > 1:
        OutboundMessage.objects.filter(pk__in=pks).update(
            status=Status.SENT, sent_at=timezone.now(), telegram_message_id=message_id, error=""
        )
        return None
    _mark_sent(message, message_id)
    return None


def _requeue(pks: list[int], error: str) -> None:
    OutboundMessage.objects.filter(pk__in=pks).update(
        status=Status.PENDING, claimed_until=None, error=error[:2000]
    )


def _finish(
    message: OutboundMessage, status: str, error: str, pks: list[int] | None = None
) -> None:
    OutboundMessage.objects.filter(pk__in=pks or [message.pk]).update(
        status=status, claimed_until=None, error=error[:2000]
    )
    message.status = status


def _dead_letter(message: OutboundMessage, error: str, pks: list[int] | None = None) -> None:
    """Give up on a message that keeps failing; the chat's next messages go on, the staff are told."""
    # A warning: the staff are told below, once (an error would reach the staff chat twice).
    logger.warning("Message %s to %s is a dead letter: %s", message.pk, message.chat_id, error)
    _finish(message, Status.DEAD, error, pks)
    _notify_failure(message, error)


def _notify_failure(message: OutboundMessage, error: str) -> None:
    if message.client is None or message.chat_id == _admin_chat_id():
        return  # a failure to reach the staff chat cannot be reported to the staff chat
    with transaction.atomic():
        staff_notify(
            text=Texts().get("staff_failure", name=message.client.full_name, error=error[:300]),
            client=message.client,
        )


@transaction.atomic
def _mark_sent(message: OutboundMessage, telegram_message_id: int | None) -> None:
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=Status.SENT,
        sent_at=timezone.now(),
        telegram_message_id=telegram_message_id,
        error="",
    )
    message.status = Status.SENT
    Kind = OutboundMessage.Kind
    if message.client is not None and message.kind in (Kind.TEXT, Kind.DOCUMENT):
        text = message.text
        if message.kind == Kind.DOCUMENT:
            text = f"📎 {message.document_name}" + (f"\n{text}" if text else "")
        contact_record(
            client=message.client,
            text=text,
            direction=ClientContact.Direction.OUTBOUND,
            author=message.author,
        )
    if message.dedupe_key and message.dedupe_key.startswith("program:"):
        from programs.models import TrainingProgram
        from programs.services import program_mark_delivered

        program = TrainingProgram.objects.get(pk=int(message.dedupe_key.split(":", 1)[1]))
        program_mark_delivered(program=program)


# --- what other domains ask the bot to do (their tasks, by name) -------------------------------------


def staff_notify_send(*, text: str, client_id: int | None = None) -> OutboundMessage | None:
    """Queue a note to the staff chat (TELEGRAM_ADMIN_CHAT_ID), with the client's page link.
    Returns the message (None, with a log line, when the staff chat is not set). A trainer hears
    about their own clients personally through notifications (`notification_send`)."""
    chat_id = _admin_chat_id()
    if chat_id is None:
        logger.info("TELEGRAM_ADMIN_CHAT_ID is not set; staff note not sent: %s", text)
        return None
    if client_id is not None:
        text = f"{text}\n{settings.SITE_URL}/clients/{client_id}/"
    with transaction.atomic():
        return message_queue(chat_id=chat_id, text=text)


def client_message_send(
    *, client_id: int, text: str, author: User | None = None
) -> OutboundMessage | None:
    """Queue a text to a client (recorded as an outbound ClientContact when sent). None when the
    client has no Telegram chat or blocked the bot."""
    client = Client.objects.filter(pk=client_id).first()
    if client is None or client.telegram_id is None or client.bot_blocked_at:
        logger.info("Client %s cannot be messaged in Telegram", client_id)
        return None
    with transaction.atomic():
        return message_queue(chat_id=client.telegram_id, client=client, text=text, author=author)


def inbox_reply(*, client: Client, text: str, author: User) -> OutboundMessage:
    """A staff member's answer from the client page, delivered by the bot.

    Raises InboxError (safe message) when the text is empty or too long, or the client cannot be
    reached in Telegram; nothing is queued then.
    """
    from django.utils.translation import gettext as _

    text = (text or "").strip()
    if not text:
        raise InboxError(_("Write a message first."))
    if len(text) > tg.MAX_TEXT_CHARS:
        raise InboxError(
            _("A Telegram message holds at most %(max)d characters.") % {"max": tg.MAX_TEXT_CHARS}
        )
    reason = telegram_unreachable_reason(client)
    if reason:
        raise InboxError(reason)
    with transaction.atomic():
        return message_queue(chat_id=client.telegram_id, client=client, text=text, author=author)


def _file_path(field_file) -> str:
    # The program's storage is not the default one: keep the absolute path when it has one.
    try:
        return field_file.path
    except NotImplementedError:
        return field_file.name


def program_deliver(*, program_id: int) -> OutboundMessage | None:
    """Queue the program's PDF for its client, once per program whatever the retries.

    Files over 50 MB are refused (the staff chat is told). After the document is sent the program is
    marked delivered (`programs.services.program_mark_delivered`); a free program is followed by the
    tariffs with Buy buttons.
    """
    from programs.models import TrainingProgram

    with transaction.atomic():
        program = (
            TrainingProgram.objects.select_for_update().select_related("client").get(pk=program_id)
        )
        client = program.client
        if program.delivered_at is not None:
            return None
        texts = Texts()
        if client.telegram_id is None or client.bot_blocked_at or not program.pdf:
            staff_notify(
                text=texts.get(
                    "staff_failure",
                    name=client.full_name,
                    error=texts.get("staff_not_delivered"),
                ),
                client=client,
            )
            return None
        try:
            size = program.pdf.size
        except OSError:
            size = 0
        if size > tg.MAX_DOCUMENT_BYTES:
            staff_notify(
                text=texts.get(
                    "staff_failure", name=client.full_name, error=texts.get("staff_too_big")
                ),
                client=client,
            )
            return None
        key = f"program:{program.pk}"
        already = OutboundMessage.objects.filter(dedupe_key=key).exists()
        is_free = program.kind == "free"
        message = message_queue(
            chat_id=client.telegram_id,
            client=client,
            kind=OutboundMessage.Kind.DOCUMENT,
            document=_file_path(program.pdf),
            document_name=texts.get("program_free_file" if is_free else "program_paid_file"),
            text=texts.get("program_free_caption" if is_free else "program_paid_caption"),
            dedupe_key=key,
        )
        if is_free and not already:
            text, markup = tariffs_message(texts, intro="after_free")
            message_queue(chat_id=client.telegram_id, client=client, text=text, reply_markup=markup)
        return message


def payment_start(
    *, client_id: int, tariff_id: int, promo_code: str = "", request_key: str
) -> OutboundMessage | None:
    """Create the payment for a Buy press and send the link (or the reason it failed).

    Runs outside a transaction, as `payments.services.payment_create` requires; a retry reuses the
    same payment (payments' idempotence) and sends no second message (`request_key`).
    """
    from payments.models import Tariff
    from payments.services import PaymentError, Source, payment_create

    client = Client.objects.get(pk=client_id)
    tariff = Tariff.objects.get(pk=tariff_id)
    texts = Texts()
    if client.telegram_id is None:
        return None
    try:
        payment = payment_create(
            client=client, tariff=tariff, promo_code=promo_code, actor=None, source=Source.BOT
        )
    except PaymentError as error:
        text, markup = texts.get("pay_error", reason=str(error)), back_markup(texts)
    else:
        url = payment.confirmation_url or ""
        text = texts.get("pay_link", amount=money(payment.amount), url=url)
        if payment.metadata.get("offer_note"):
            text += "\n\n" + texts.get("pay_offer_note", note=payment.metadata["offer_note"])
        markup = pay_markup(texts, url) if url.startswith("http") else None
    with transaction.atomic():
        return message_queue(
            chat_id=client.telegram_id,
            client=client,
            text=text,
            reply_markup=markup,
            dedupe_key=f"{request_key}"[:64],
        )


def document_send(*, client_id: int, path: str, caption: str = "") -> OutboundMessage | None:
    """Queue a file from default storage (e.g. a progress report) for a client, once per file
    whatever the retries. None when the client cannot be reached in Telegram."""
    client = Client.objects.filter(pk=client_id).first()
    if client is None or client.telegram_id is None or client.bot_blocked_at:
        logger.info("Client %s cannot be sent a document in Telegram", client_id)
        return None
    with transaction.atomic():
        return message_queue(
            chat_id=client.telegram_id,
            client=client,
            kind=OutboundMessage.Kind.DOCUMENT,
            document=path,
            document_name=path.rsplit("/", 1)[-1],
            text=caption,
            dedupe_key=f"document:{path}",
        )


def client_data_send(*, client_id: int, request_key: str) -> list[OutboundMessage]:
    """/mydata: everything we hold about the client (`privacy.services.client_export`, the same zip
    staff download from the client page), sent as documents of at most PRIVACY_EXPORT_PART_MB each
    (Telegram takes 50 MB a file). Once per `request_key` whatever the retries; an export that
    fails tells the client and the staff chat."""
    from privacy.services import client_export

    client = Client.objects.filter(pk=client_id).first()
    if client is None or client.telegram_id is None or client.bot_blocked_at:
        logger.info("Client %s cannot be sent their data in Telegram", client_id)
        return []
    if OutboundMessage.objects.filter(dedupe_key=f"{request_key}:1").exists():
        return []  # a retried task: already queued
    texts = Texts()
    try:
        export = client_export(client=client, part_mb=settings.PRIVACY_EXPORT_PART_MB)
    except OSError as exc:  # a full disk, an unwritable export folder
        logger.exception("Export of client %s for /mydata failed", client_id)
        with transaction.atomic():
            staff_notify(
                text=texts.get("staff_mydata_failed", id=client.pk, error=str(exc)[:300]),
                client=client,
            )
            message_queue(
                chat_id=client.telegram_id,
                client=client,
                text=texts.get("mydata_failed"),
                dedupe_key=f"{request_key}:1",
            )
        return []
    parts = len(export.parts)
    with transaction.atomic():
        return [
            message_queue(
                chat_id=client.telegram_id,
                client=client,
                kind=OutboundMessage.Kind.DOCUMENT,
                document=str(path),
                document_name=path.name,
                text=texts.get("mydata_caption", part=number, parts=parts),
                dedupe_key=f"{request_key}:{number}",
            )
            for number, path in enumerate(export.parts, 1)
        ]


# --- automations (the rules engine hands its messages to the outbox) ---------------------------------


def automation_send(*, run_ids: list[int]) -> int:
    """Queue the messages of these automation runs, once each whatever the redeliveries (the
    unique dedupe key `auto:<run>`), link each run to its outbox row, and hand the chats to one
    drain task. Returns how many were queued. A few queries per batch, not per message."""
    from automations.models import Run

    with transaction.atomic():
        runs = list(
            Run.objects.filter(
                pk__in=run_ids, status=Run.Status.DONE, outbound_message__isnull=True
            )
            .exclude(text="")
            .select_related("client")
        )
        reachable = [r for r in runs if r.client.telegram_id and not r.client.bot_blocked_at]
        OutboundMessage.objects.bulk_create(
            [
                OutboundMessage(
                    chat_id=run.client.telegram_id,
                    client=run.client,
                    text=run.text,
                    reply_markup=run.reply_markup,
                    dedupe_key=f"auto:{run.pk}",
                )
                for run in reachable
            ],
            ignore_conflicts=True,  # a redelivered batch: the first copy stands
        )
        Run.objects.filter(pk__in=[run.pk for run in reachable]).update(
            outbound_message=Subquery(
                OutboundMessage.objects.filter(
                    dedupe_key=Concat(
                        Value("auto:"), Cast(OuterRef("pk"), output_field=CharField())
                    )
                ).values("pk")[:1]
            )
        )
        unreachable = [run.pk for run in runs if run not in reachable]
        Run.objects.filter(pk__in=unreachable).update(reason="клиента нельзя достичь в Telegram")
        chats = sorted({run.client.telegram_id for run in reachable})
        if chats:
            enqueue_on_commit(DRAIN_TASK, chat_ids=chats)
    return len(reachable)


def outbox_drain(*, chat_ids: list[int]) -> int:
    """Send the queues of many chats one after another (a broadcast). One sender walking the
    chats keeps to the shared global rate, where thousands of flush tasks would race for slots and
    give them up. A chat that must wait (flood control, another worker on it) gets its own flush
    task later. Returns how many chats were handed over for later."""
    later = 0
    for chat_id in chat_ids:
        retry_in = outbox_flush(chat_id=chat_id)
        if retry_in is not None:
            enqueue_flush_later(chat_id=chat_id, seconds=retry_in)
            later += 1
    return later


def notification_send(*, notification_id: int) -> OutboundMessage | None:
    """A staff member's notification (`crm.services.notification_create`) in their own Telegram:
    once per notification whatever the retries (the outbox's dedupe key). None when it is gone,
    or they are inactive or unlinked their Telegram meanwhile."""
    from crm.models import Notification

    notification = (
        Notification.objects.filter(pk=notification_id).select_related("recipient").first()
    )
    if notification is None:
        return None
    user = notification.recipient
    if not user.is_active or user.telegram_chat_id is None:
        return None
    text = notification.text
    if notification.url:
        url = notification.url
        text = f"{text}\n{url if '://' in url else settings.SITE_URL + url}"
    with transaction.atomic():
        return message_queue(
            chat_id=user.telegram_chat_id,
            text=text,
            dedupe_key=f"notification:{notification.pk}",
        )


# --- staff link their own Telegram ---------------------------------------------------------------------

STAFF_LINK_PREFIX = "staff_"
STAFF_LINK_HOURS = 24


def staff_link_create(*, user: User) -> StaffLink:
    """A fresh one-time link for this staff member (earlier unused ones stop working)."""
    import secrets

    with transaction.atomic():
        StaffLink.objects.filter(user=user, used_at__isnull=True).delete()
        return StaffLink.objects.create(user=user, token=secrets.token_urlsafe(18)[:24])


def staff_link_claim(*, token: str, chat_id: int) -> User | None:
    """Tie the chat that sent `/start staff_<token>` to the link's staff member. None when the
    token is unknown, used or older than a day (nothing changes then). One chat belongs to one
    staff member: anyone else linked to it is unlinked."""

    cutoff = timezone.now() - timedelta(hours=STAFF_LINK_HOURS)
    with transaction.atomic():
        link = (
            StaffLink.objects.select_for_update()
            .filter(token=token, used_at__isnull=True, created_at__gte=cutoff)
            .select_related("user")
            .first()
        )
        if link is None or not link.user.is_active:
            return None
        link.used_at = timezone.now()
        link.save(update_fields=["used_at"])
        User.objects.filter(telegram_chat_id=chat_id).exclude(pk=link.user_id).update(
            telegram_chat_id=None
        )
        User.objects.filter(pk=link.user_id).update(telegram_chat_id=chat_id)
        link.user.telegram_chat_id = chat_id
        return link.user


def staff_link_remove(*, user: User) -> None:
    """Stop personal notifications to this staff member's Telegram."""
    User.objects.filter(pk=user.pk).update(telegram_chat_id=None)
    user.telegram_chat_id = None


def bot_username() -> str:
    """The bot's @username for t.me links; "" when the bot is off or Telegram cannot be reached."""
    from django.core.cache import cache

    cached = cache.get("botapp:username")
    if cached is not None:
        return cached
    try:
        username = tg.get_me().get("username") or ""
    except tg.BotError:
        return ""
    cache.set("botapp:username", username, 3600)
    return username
