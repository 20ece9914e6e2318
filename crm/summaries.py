"""Pages' aggregates computed in the background: the analytics pages' default period (the last 90
days) and the payments page's revenue read one stored row per viewer's scope instead of scanning a
business's history on every view, so they answer as fast at 100,000 clients as at 1,000.

A summary is a function `(user) -> value` named by its dotted path in `settings.SUMMARIES`. The
periodic job (`summaries_refresh`, every `SUMMARY_REFRESH_SECONDS`) computes each of them for
everyone's scope (administrators, operators and read-only users see every client) and for each
active trainer's scope (own and unassigned clients), and stores the pickled value. A page asks
`summary_get`: the stored value while it is fresh — computed today (the default period moves at
midnight) and at most two refresh periods ago (the worker may be down) — else the value computed
live, as before. The page shows when its numbers were computed; a chosen period is always live.
"Recompute now" posts to `crm:summary-recompute` (`summary_recompute`), which stores the viewer's
scope and sends them back, so a reload reads the row instead of computing again.

Django's database cache would pickle the same way, but it needs `createcachetable` outside the
migrations, and the admin could not show what is stored and how long each one took.
"""

import logging
import pickle
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import Summary, User

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Summarised:
    value: Any
    computed_at: datetime | None  # None: computed for this request
    name: str = ""  # what "Recompute now" asks for

    @property
    def refresh_minutes(self) -> int:
        return settings.SUMMARY_REFRESH_SECONDS // 60


def scope_of(user: User) -> int:
    return user.pk if user.is_trainer else 0


def _everyone() -> User:
    """The viewer of everyone's scope: an unsaved administrator (the access rules look at the role
    only), so the job needs no real account."""
    return User(username="summaries", role=User.Role.ADMIN, is_active=True)


def _fresh(computed_at: datetime, now: datetime) -> bool:
    age = now - computed_at
    return timedelta(0) <= age <= timedelta(
        seconds=2 * settings.SUMMARY_REFRESH_SECONDS
    ) and timezone.localdate(computed_at) == timezone.localdate(now)


def summary_get(name: str, *, user: User) -> Summarised:
    """`name`'s value for what `user` may see: the stored one while fresh, else computed now."""
    row = Summary.objects.filter(name=name, scope=scope_of(user)).first()
    if row is not None and _fresh(row.computed_at, timezone.now()):
        try:
            return Summarised(pickle.loads(row.data), row.computed_at, name)
        except (pickle.UnpicklingError, AttributeError, ImportError, TypeError, EOFError):
            # Stored by an older release whose classes have changed since.
            logger.warning("summary %s of scope %s could not be read", name, row.scope)
    return Summarised(import_string(name)(user), None, name)


def summary_or_compute(
    name: str, *, user: User, stored: bool, compute: Callable[[], Any]
) -> Summarised:
    """What a page shows: the summary `name` when the page asks for what it holds (`stored`: the
    default period, nothing filtered), else `compute()` for this request."""
    if not stored:
        return Summarised(compute(), None)
    return summary_get(name, user=user)


def summary_recompute(name: str, *, user: User) -> datetime:
    """Compute `name` for `user`'s scope and store it ("Recompute now"); when it was computed.
    Raises KeyError for a name that is not in settings.SUMMARIES."""
    if name not in settings.SUMMARIES:
        raise KeyError(name)
    started = time.perf_counter()
    value = import_string(name)(user)
    took_ms = round((time.perf_counter() - started) * 1000)
    return _store(name, scope_of(user), value, took_ms=took_ms)


def _store(name: str, scope: int, value: Any, *, took_ms: int) -> datetime:
    """One upsert (two refreshes at once cannot collide); returns when the value was computed."""
    row = Summary(
        name=name,
        scope=scope,
        computed_at=timezone.now(),
        took_ms=took_ms,
        data=pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL),
    )
    Summary.objects.bulk_create(
        [row],
        update_conflicts=True,
        unique_fields=["name", "scope"],
        update_fields=["computed_at", "took_ms", "data"],
    )
    return row.computed_at


def summaries_refresh(names: Iterable[str] | None = None) -> dict[str, int]:
    """Compute and store every summary for everyone's scope and each active trainer's; returns
    the milliseconds each name took over all scopes. Summaries of trainers who left are deleted."""
    names = list(names or settings.SUMMARIES)
    trainers = list(User.objects.filter(role=User.Role.TRAINER, is_active=True))
    viewers = [(0, _everyone()), *((trainer.pk, trainer) for trainer in trainers)]
    took: dict[str, int] = {}
    for name in names:
        produce: Callable[[User], Any] = import_string(name)
        took[name] = 0
        for scope, viewer in viewers:
            started = time.perf_counter()
            value = produce(viewer)
            ms = round((time.perf_counter() - started) * 1000)
            _store(name, scope, value, took_ms=ms)
            took[name] += ms
    Summary.objects.exclude(scope__in=[scope for scope, _ in viewers]).delete()
    return took
