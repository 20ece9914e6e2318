"""Telegram's sending limits, shared by every worker process (PTB's own limiter is per process).

Each key holds a theoretical arrival time (GCRA, a token bucket in one number). `try_reserve` takes,
in one atomic step, the chat's next slot (1 message/s with a short burst, so a reply of two or three
messages leaves at once; 20 a minute in a group) and the global one (30 messages/s) — or, when the
earliest common slot is further away than the caller will wait, takes nothing and says how long to
come back after. So a chat that must wait never pushes everyone else's global slot into the future.
In Redis (REDIS_URL set) a Lua script makes it atomic; otherwise rows locked in the database do.
"""

import math
import time
from functools import lru_cache

from django.conf import settings
from django.db import transaction

from .models import RateSlot

_RESERVE = """
local now = tonumber(ARGV[1])
local chat_interval = tonumber(ARGV[2])
local chat_allow = tonumber(ARGV[3])
local glob_interval = tonumber(ARGV[4])
local max_wait = tonumber(ARGV[5])
local chat_tat = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
local glob_tat = math.max(now, tonumber(redis.call('GET', KEYS[2]) or '0'))
local chat_start = math.max(now, chat_tat - chat_allow)
local start = math.max(chat_start, glob_tat)
if chat_start - now > max_wait then
  return {0, string.format('%.6f', start), 0}
end
if glob_tat - now > max_wait then
  return {0, string.format('%.6f', start), 1}
end
local new_chat = math.max(chat_tat, start) + chat_interval
local new_glob = math.max(glob_tat, start) + glob_interval
redis.call('SET', KEYS[1], string.format('%.6f', new_chat), 'PX', math.ceil((new_chat - now) * 1000) + 1000)
redis.call('SET', KEYS[2], string.format('%.6f', new_glob), 'PX', math.ceil((new_glob - now) * 1000) + 1000)
return {1, string.format('%.6f', start), 0}
"""

_PUSH = """
local now = tonumber(ARGV[1])
local until_ = tonumber(ARGV[2])
local stored = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ > stored then
  redis.call('SET', KEYS[1], string.format('%.6f', until_), 'PX', math.ceil((until_ - now) * 1000) + 1000)
end
return 1
"""


@lru_cache(maxsize=4)
def _redis(url: str):
    import redis

    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)


def _key(name: str) -> str:
    return f"tg-rate:{name}"


def chat_limits(chat_id: int | str) -> tuple[float, int]:
    """(seconds between messages, burst) for a chat: groups and channels (negative ids, "@name")
    get ~20 a minute."""
    try:
        is_group = int(chat_id) < 0
    except (TypeError, ValueError):
        is_group = True  # a channel's @username
    if is_group:
        return 60.0 / settings.TELEGRAM_RATE_PER_GROUP_MINUTE, 1
    return 1.0 / settings.TELEGRAM_RATE_PER_CHAT, settings.TELEGRAM_BURST_PER_CHAT


# Both return (taken, the slot's start as Unix time, whether only the global slot is too far).
def _reserve_redis(chat_key: str, interval: float, allowance: float, max_wait: float):
    client = _redis(settings.REDIS_URL)
    taken, wait, by_global = client.eval(
        _RESERVE,
        2,
        _key(chat_key),
        _key("global"),
        time.time(),
        interval,
        allowance,
        1.0 / settings.TELEGRAM_RATE_GLOBAL,
        max_wait if math.isfinite(max_wait) else 1e12,
    )
    return bool(int(taken)), float(wait), bool(int(by_global))


def _reserve_db(chat_key: str, interval: float, allowance: float, max_wait: float):
    # Rows are locked chat first, then global, by every caller: no deadlock.
    RateSlot.objects.get_or_create(key=chat_key)
    RateSlot.objects.get_or_create(key="global")
    with transaction.atomic():
        chat = RateSlot.objects.select_for_update().get(key=chat_key)
        glob = RateSlot.objects.select_for_update().get(key="global")
        now = time.time()
        chat_tat, glob_tat = max(now, chat.next_at), max(now, glob.next_at)
        chat_start = max(now, chat_tat - allowance)
        start = max(chat_start, glob_tat)
        if chat_start - now > max_wait:
            return False, start, False
        if glob_tat - now > max_wait:
            return False, start, True
        chat.next_at = max(chat_tat, start) + interval
        glob.next_at = max(glob_tat, start) + 1.0 / settings.TELEGRAM_RATE_GLOBAL
        chat.save(update_fields=["next_at"])
        glob.save(update_fields=["next_at"])
    return True, start, False


def try_reserve(chat_id: int | str, *, max_wait: float) -> tuple[bool, float]:
    """Take the chat's and the global sending slot if the send can start within `max_wait` seconds.

    Returns (True, seconds to wait before sending) — or (False, seconds after which to ask again),
    having taken nothing.
    """
    taken, wait, _ = _try_reserve(chat_id, max_wait)
    return taken, wait


def _try_reserve(chat_id: int | str, max_wait: float) -> tuple[bool, float, bool]:
    interval, burst = chat_limits(chat_id)
    allowance = max(0, burst - 1) * interval
    take = _reserve_redis if settings.REDIS_URL else _reserve_db
    taken, start, by_global = take(f"chat:{chat_id}", interval, allowance, max_wait)
    return taken, max(0.0, start - time.time()), by_global


def reserve_soon(chat_id: int | str, *, max_wait: float, budget: float) -> tuple[bool, float]:
    """What a send loop asks: the chat's and the global slot if the chat's own comes within
    `max_wait`. While only the global slot (everyone's) is further, wait for it — up to `budget`
    seconds, reserving nothing ahead meanwhile — since every other chat would wait for it too;
    a chat whose own slot is far is not waited for (its loop moves on and comes back).

    Returns (True, seconds to wait before sending) or (False, seconds after which to ask again).
    """
    deadline = time.monotonic() + budget
    while True:
        taken, wait, by_global = _try_reserve(chat_id, max_wait)
        left = deadline - time.monotonic()
        if taken or not by_global or left <= 0:
            return taken, wait
        time.sleep(min(max(wait - max_wait, 0.001), left))


def reserve(chat_id: int | str) -> float:
    """Take the next sending slot for this chat, however far; returns seconds to wait (≥ 0)."""
    return try_reserve(chat_id, max_wait=math.inf)[1]


def hold(chat_id: int | str, seconds: float) -> None:
    """Telegram said 429 `retry_after`: nobody sends to this chat before then."""
    # The stored time runs a burst ahead of the first allowed send: push it that much further.
    interval, burst = chat_limits(chat_id)
    until = time.time() + max(0.0, seconds) + max(0, burst - 1) * interval
    key = f"chat:{chat_id}"
    if settings.REDIS_URL:
        _redis(settings.REDIS_URL).eval(_PUSH, 1, _key(key), time.time(), until)
        return
    RateSlot.objects.get_or_create(key=key)
    with transaction.atomic():
        slot = RateSlot.objects.select_for_update().get(key=key)
        if until > slot.next_at:
            slot.next_at = math.ceil(until * 1000) / 1000
            slot.save(update_fields=["next_at"])
