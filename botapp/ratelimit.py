"""Telegram's sending limits, shared by every worker process (PTB's own limiter is per process).

Each key holds the next free sending time. `reserve` atomically takes the next slot for the chat
(1 message/s) and then the next global slot no earlier than that (30 messages/s) and tells the caller
how long to wait. In Redis (REDIS_URL set) a Lua script makes it atomic; otherwise a row per key locked
in the database does.
"""

import math
import time
from functools import lru_cache

from django.conf import settings
from django.db import transaction

from .models import RateSlot

_RESERVE = """
local now = tonumber(ARGV[1])
local earliest = tonumber(ARGV[2])
local interval = tonumber(ARGV[3])
local stored = tonumber(redis.call('GET', KEYS[1]) or '0')
local start = math.max(now, earliest, stored)
local ttl = math.ceil((start + interval - now) * 1000) + 1000
redis.call('SET', KEYS[1], string.format('%.6f', start + interval), 'PX', ttl)
return string.format('%.6f', start)
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


def _reserve_redis(key: str, earliest: float, interval: float) -> float:
    client = _redis(settings.REDIS_URL)
    start = client.eval(_RESERVE, 1, _key(key), time.time(), earliest, interval)
    return float(start)


def _reserve_db(key: str, earliest: float, interval: float) -> float:
    RateSlot.objects.get_or_create(key=key)
    with transaction.atomic():
        slot = RateSlot.objects.select_for_update().get(key=key)
        start = max(time.time(), earliest, slot.next_at)
        slot.next_at = start + interval
        slot.save(update_fields=["next_at"])
    return start


def reserve(chat_id: int) -> float:
    """Take the next sending slot for this chat; returns seconds to wait before sending (≥ 0)."""
    take = _reserve_redis if settings.REDIS_URL else _reserve_db
    chat_start = take(f"chat:{chat_id}", 0.0, 1 / settings.TELEGRAM_RATE_PER_CHAT)
    start = take("global", chat_start, 1 / settings.TELEGRAM_RATE_GLOBAL)
    return max(0.0, start - time.time())


def hold(chat_id: int, seconds: float) -> None:
    """Telegram said 429 `retry_after`: nobody sends to this chat before then."""
    until = time.time() + max(0.0, seconds)
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
