"""Quiet hours (`QUIET_HOURS`, e.g. "21-9" in the business's local time; empty = none): nobody
is written to first then. A message that falls due inside them waits for their end (the automations'
runs, the academy's jobs) or, when it would be too late by then, goes before they begin (a class
reminder); it is never dropped.
"""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone


def quiet_window(value: str | None = None) -> tuple[int, int] | None:
    """(start hour, end hour) or None. Raises ImproperlyConfigured for a malformed value."""
    value = (settings.QUIET_HOURS if value is None else value).strip()
    if not value:
        return None
    try:
        start, end = (int(part) for part in value.split("-"))
    except ValueError as exc:
        raise ImproperlyConfigured(f"QUIET_HOURS={value!r}: expected HH-HH, e.g. 21-9") from exc
    if not (0 <= start <= 23 and 0 <= end <= 23) or start == end:
        raise ImproperlyConfigured(f"QUIET_HOURS={value!r}: hours 0–23, start ≠ end")
    return start, end


def quiet_until(now: datetime, window: tuple[int, int] | None = None) -> datetime:
    """`now` if it is outside quiet hours, else the moment they end (aware, local time)."""
    window = quiet_window() if window is None else window
    if window is None:
        return now
    start, end = window
    local = timezone.localtime(now)
    hour = local.hour
    inside = (start <= hour or hour < end) if start > end else (start <= hour < end)
    if not inside:
        return now
    day = local.date()
    if start > end and hour >= start:
        day += timedelta(days=1)
    return _at(day, end)


def _at(day, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)), timezone.get_current_timezone())


def quiet_next(
    now: datetime, window: tuple[int, int] | None = None
) -> tuple[datetime, datetime] | None:
    """The next quiet hours that begin after `now`: (start, end), aware; None when there are none."""
    window = quiet_window() if window is None else window
    if window is None:
        return None
    day = timezone.localtime(now).date()
    start = _at(day, window[0])
    if start <= now:
        start = _at(day + timedelta(days=1), window[0])
    return start, quiet_until(start, window)
