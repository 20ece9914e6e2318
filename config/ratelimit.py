"""Per-address (or per-anything) counters in Django's cache: a fixed window per key.

One counter implementation for the public endpoints that let strangers create rows (the contact
form, `/pay/`, the website chat). It works on Redis and on the local-memory cache alike. When the
cache cannot be reached the request is let through and a warning logged: a dead Redis must not take
the public pages down with it (the database constraints, not the limiter, keep the data right).
"""

import logging

from django.core.cache import cache

logger = logging.getLogger(__name__)

# Tests give each test its own namespace so counters never leak between them.
NAMESPACE = "ratelimit"


def rate_exceeded(scope: str, key: str | None, *, limit: int, window: int) -> bool:
    """Count one hit for `key` in `scope`; True once more than `limit` hits fell in `window` s."""
    name = f"{NAMESPACE}:{scope}:{key or '-'}"
    try:
        cache.add(name, 0, timeout=window)
        return cache.incr(name) > limit
    except ValueError:  # the window expired between add and incr: this hit opens a new one
        return False
    except Exception:
        logger.warning(
            "Rate limit %s unavailable (cache down?): request let through", scope, exc_info=True
        )
        return False
