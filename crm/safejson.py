"""JSON from outside (webhooks, the website form) parsed so that what the database cannot store never
gets past the door: a ValueError (→ 400) instead of a 500 from deep inside a save.

Refused: NaN/Infinity (and numbers too big for a float), integers outside 64 bits (every id column is
a bigint; Telegram's ids fit in 52 bits), nesting deeper than any real payload. NUL characters —
PostgreSQL stores none — are removed from strings and keys.
"""

import json
import math
from typing import Any

INT64 = 2**63
MAX_DEPTH = 64


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("number out of range")
    return value


def _bounded_int(text: str) -> int:
    if len(text) > 20:
        raise ValueError("integer out of range")
    value = int(text)
    if not -INT64 <= value < INT64:
        raise ValueError("integer out of range")
    return value


def _clean(value: Any, depth: int = 0) -> Any:
    if depth > MAX_DEPTH:
        raise ValueError("nested too deep")
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_clean(item, depth + 1) for item in value]
    if isinstance(value, dict):
        return {key.replace("\x00", ""): _clean(item, depth + 1) for key, item in value.items()}
    return value


def loads(body: bytes | str) -> Any:
    """Parse JSON from outside; ValueError for anything our database or code should not see."""
    try:
        data = json.loads(
            body,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
            parse_int=_bounded_int,
        )
    except RecursionError as exc:
        raise ValueError("nested too deep") from exc
    return _clean(data)
