"""Durable follow-ups: a task promised in a transaction survives a broker that is down.

`followup_schedule` (what `config.celery.enqueue_on_commit` calls) writes a `FollowUp` row in the
caller's transaction and hands the task to the broker right after commit. If the broker is down the
caller never notices (a webhook still answers 200 once its event is stored): the row waits and
`followups_relay` (beat, every minute) hands it over once the broker is back. Relayed rows are kept a
week for the record.
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import FollowUp

logger = logging.getLogger(__name__)

RELAY_BATCH = 500
RELAY_GRACE = timedelta(seconds=30)  # the after-commit hand-over usually does it first
LATE_AFTER = timedelta(minutes=10)  # then the staff are told (once)
KEEP_FOR = timedelta(days=7)


def _publish(followup: FollowUp) -> None:
    from config.celery import app, import_task_modules

    task = app.tasks.get(followup.task)
    if task is None:
        import_task_modules()
        task = app.tasks[followup.task]
    task.apply_async(args=followup.args, kwargs=followup.kwargs)


def _broker_errors() -> tuple[type[BaseException], ...]:
    from kombu.exceptions import OperationalError

    errors: tuple[type[BaseException], ...] = (OperationalError, ConnectionError, TimeoutError)
    try:
        import redis

        errors += (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
    except ImportError:  # pragma: no cover - redis is a dependency
        pass
    return errors


def followup_relay_one(*, followup: FollowUp) -> bool:
    """Hand one follow-up to the broker; False (and the error kept) when the broker is down."""
    try:
        _publish(followup)
    except _broker_errors() as exc:
        logger.warning(
            "Follow-up %s (%s) waits for the broker: %s", followup.pk, followup.task, exc
        )
        FollowUp.objects.filter(pk=followup.pk).update(
            relay_attempts=followup.relay_attempts + 1, error=f"{type(exc).__name__}: {exc}"[:500]
        )
        return False
    FollowUp.objects.filter(pk=followup.pk).update(
        relayed_at=timezone.now(), relay_attempts=followup.relay_attempts + 1, error=""
    )
    return True


def followup_schedule(task_name: str, *args, **kwargs) -> FollowUp:
    """Promise to run `task_name(*args, **kwargs)` once the current transaction commits — also if
    the broker is down then (the relay job hands it over later). Arguments must be JSON."""
    followup = FollowUp.objects.create(task=task_name, args=list(args), kwargs=kwargs)
    transaction.on_commit(lambda: followup_relay_one(followup=followup))
    return followup


def followups_relay(*, grace: timedelta = RELAY_GRACE) -> dict:
    """Hand over every follow-up the broker has not taken yet (oldest first), tell the staff once
    about those late by more than LATE_AFTER, and forget relayed ones after a week."""
    now = timezone.now()
    waiting = list(
        FollowUp.objects.filter(relayed_at__isnull=True, created_at__lt=now - grace).order_by("id")[
            :RELAY_BATCH
        ]
    )
    relayed = 0
    for followup in waiting:
        if not followup_relay_one(followup=followup):
            break  # the broker is still down: the rest waits for the next run
        relayed += 1
    late = FollowUp.objects.filter(
        relayed_at__isnull=True, alerted_at__isnull=True, created_at__lt=now - LATE_AFTER
    )
    late_count = late.count()
    if late_count:
        # The staff chat is reached through the broker too; the log (and /healthz) say it now.
        logger.error("%s follow-ups wait for the broker for over %s", late_count, LATE_AFTER)
        late.update(alerted_at=now)
    recovered = FollowUp.objects.filter(
        alerted_at__isnull=False, relayed_at__gte=now - timedelta(minutes=5)
    )
    recovered_count = recovered.count()
    if recovered_count:
        from crm.notifications import staff_notify

        with transaction.atomic():
            staff_notify(
                text=_(
                    "⚠️ The task broker was down: %(count)s delayed follow-ups (programs, "
                    "messages, notifications) went out once it was back."
                )
                % {"count": recovered_count}
            )
            recovered.update(alerted_at=None)
    FollowUp.objects.filter(relayed_at__lt=now - KEEP_FOR).delete()
    return {"relayed": relayed, "waiting": len(waiting) - relayed, "late": late_count}


def followups_backlog_age() -> float | None:
    """Seconds the oldest follow-up has waited for the broker (None: nothing waits)."""
    oldest = (
        FollowUp.objects.filter(relayed_at__isnull=True)
        .order_by("created_at")
        .values_list("created_at", flat=True)
    ).first()
    return (timezone.now() - oldest).total_seconds() if oldest else None
