"""The academy's four periodic notifications, as plain services (beat runs them through
`academy.tasks`; an automations engine can call them as they are).

Each is idempotent: a row is claimed by one conditional UPDATE (or a unique row) before its message
is queued after commit, so a rerun, an overlapping beat or a retry sends nothing twice.

They write to clients first, so they keep what the automations keep: only clients we may message
(consent, not blocked, not forgotten: `privacy.selectors.clients_messageable`) get a message, and
nobody does in quiet hours (`crm.quiet`) — a job that finds itself in them claims nothing and leaves
the work for its first run after them; a class reminder that would fall in them goes the evening
before instead.
"""

import logging
from collections import defaultdict
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from crm.models import Client, ClientAction, Notification
from crm.notifications import client_message, staff_notify
from crm.quiet import quiet_next, quiet_until
from crm.services import notification_create
from privacy.selectors import clients_messageable

from .models import Attendance, Booking, Membership, MissedStreakAlert, Session
from .services import session_label

logger = logging.getLogger(__name__)
# How far back the missed-classes check looks for a streak's start.
STREAK_LOOKBACK = timedelta(days=90)
# Class reminders that would fall in the coming quiet hours go in this last stretch before them,
# for classes that start less than NOTICE after the quiet hours end (later ones are reminded of then).
EVENING = timedelta(hours=1)
NOTICE = timedelta(hours=1)


def _quiet(now: datetime) -> bool:
    return quiet_until(now) > now


def _messageable(client_ids: set[int]) -> set[int]:
    """Those of these clients we may write to first (one query)."""
    if not client_ids:
        return set()
    found = clients_messageable(Client.objects.filter(pk__in=client_ids))
    return set(found.values_list("pk", flat=True))


def _reminder_horizon(now: datetime) -> datetime:
    """Sessions starting before this are due for their reminder now: ACADEMY_REMINDER_HOURS ahead
    — and, in the last hour before quiet hours, also those starting too soon after them for a
    reminder when they end (with 21–9, a 7 am class is reminded of at 8 pm, a 10:30 one at 9)."""
    horizon = now + timedelta(hours=settings.ACADEMY_REMINDER_HOURS)
    upcoming = quiet_next(now)
    if upcoming is not None and upcoming[0] - now <= EVENING:
        horizon = max(horizon, upcoming[1] + NOTICE)
    return horizon


def booking_reminders_send(*, now: datetime | None = None) -> int:
    """Remind each booked client ACADEMY_REMINDER_HOURS before their session, once (see
    `_reminder_horizon` for quiet hours)."""
    now = now or timezone.now()
    if _quiet(now):
        return 0
    horizon = _reminder_horizon(now)
    due = list(
        Booking.objects.filter(
            status=Booking.Status.BOOKED,
            reminded_at__isnull=True,
            session__status=Session.Status.SCHEDULED,
            session__starts_at__gt=now,
            session__starts_at__lte=horizon,
        )
        .select_related("client", "session__hall")
        .order_by("session__starts_at", "id")
    )
    allowed = _messageable({booking.client_id for booking in due})
    sent = 0
    for booking in due:
        if booking.client_id not in allowed:
            continue  # not claimed: reminded if they agree before the class
        with transaction.atomic():
            claimed = Booking.objects.filter(
                pk=booking.pk, reminded_at__isnull=True, status=Booking.Status.BOOKED
            ).update(reminded_at=now)
            if not claimed:
                continue
            session = booking.session
            client_message(
                client=booking.client,
                text=_(
                    "Reminder: %(session)s, hall “%(hall)s”. Cannot come? Cancel in /schedule "
                    "so someone from the waitlist can take your place."
                )
                % {"session": session_label(session), "hall": session.hall},
            )
            sent += 1
    return sent


def _streaks(rows: list[Attendance]) -> list[Attendance]:
    """The current run of absences (newest first in `rows`): absent counts, excused neither counts
    nor breaks it, present or late ends it. Returns the absences, oldest first."""
    run = []
    for attendance in rows:
        if attendance.status in Attendance.VISITED:
            break
        if attendance.status == Attendance.Status.ABSENT:
            run.append(attendance)
    return list(reversed(run))


def missed_streaks_check(*, now: datetime | None = None) -> int:
    """After ACADEMY_MISSED_THRESHOLD missed sessions in a row, a message to the client and a note
    for the trainer — once per streak (a unique row names the streak by its first absence). The
    client is written to only when we may; the trainer hears of it either way."""
    now = now or timezone.now()
    if _quiet(now):
        return 0
    threshold = settings.ACADEMY_MISSED_THRESHOLD
    since = now - STREAK_LOOKBACK
    recent_absent = Attendance.objects.filter(
        status=Attendance.Status.ABSENT, session_starts_at__gte=since
    ).values("client_id")
    rows = (
        Attendance.objects.filter(client_id__in=recent_absent, session_starts_at__gte=since)
        .select_related("client", "session__trainer")
        .order_by("client_id", "-session_starts_at", "-id")
    )
    by_client: dict[int, list[Attendance]] = defaultdict(list)
    for attendance in rows:
        by_client[attendance.client_id].append(attendance)
    allowed = _messageable(set(by_client))
    alerted = 0
    for attendances in by_client.values():
        run = _streaks(attendances)
        if len(run) < threshold:
            continue
        client, first, last = run[0].client, run[0], run[-1]
        try:
            with transaction.atomic():
                alert = MissedStreakAlert.objects.create(
                    client=client, first_missed=first, missed=len(run)
                )
                if client.pk in allowed:
                    client_message(
                        client=client,
                        text=_(
                            "We missed you at the last %(count)s classes! Is everything all "
                            "right? Book your next class in /schedule — or write to us if you "
                            "need a break."
                        )
                        % {"count": len(run)},
                    )
                note = _("Missed %(count)s classes in a row (last: %(session)s).") % {
                    "count": len(run),
                    "session": session_label(last.session),
                }
                ClientAction.objects.create(
                    client=client,
                    kind=ClientAction.Kind.NOTE,
                    happened_at=now,
                    description=note,
                )
                staff_notify(
                    text=_("%(client)s, trainer %(trainer)s: %(note)s")
                    % {"client": client, "trainer": last.session.trainer, "note": note},
                    client=client,
                )
                # The trainer who teaches the class: the bell and their own Telegram, once.
                notification_create(
                    recipient=last.session.trainer or client.trainer,
                    kind=Notification.Kind.CLASSES_MISSED,
                    client=client,
                    text=_("%(client)s: %(note)s") % {"client": client.full_name, "note": note},
                    dedup_key=f"classes-missed:{alert.pk}",
                )
        except IntegrityError:
            continue  # this streak was alerted already (an overlapping run)
        alerted += 1
    return alerted


def _still_covered(membership: Membership) -> bool:
    """The client has another active membership running past this one: no reminder needed."""
    return (
        Membership.objects.filter(
            client_id=membership.client_id,
            status=Membership.Status.ACTIVE,
            ends_on__gt=membership.ends_on,
        )
        .exclude(pk=membership.pk)
        .filter(Q(visits_total__isnull=True) | Q(visits_used__lt=F("visits_total")))
        .exists()
    )


def membership_ending_remind(*, today: date | None = None, now: datetime | None = None) -> int:
    """A payment reminder when one visit is left on a visit plan — once per membership, and not
    when a newer membership already follows. (Reminders by date — N days before the end and on
    the last day — are the automations' shipped rules, which keep quiet hours and consent.)"""
    today = today or timezone.localdate()
    now = now or timezone.now()
    if _quiet(now):
        return 0
    due = list(
        Membership.objects.filter(
            status=Membership.Status.ACTIVE,
            ending_reminded_at__isnull=True,
            ends_on__gte=today,
            visits_used__gte=F("visits_total") - 1,
        ).select_related("client", "plan__tariff")
    )
    allowed = _messageable({membership.client_id for membership in due})
    sent = 0
    for membership in due:
        if membership.client_id not in allowed or _still_covered(membership):
            continue
        with transaction.atomic():
            if not Membership.objects.filter(
                pk=membership.pk, ending_reminded_at__isnull=True
            ).update(ending_reminded_at=now):
                continue
            left = membership.visits_left
            text = ngettext(
                "Your membership “%(plan)s” has %(left)s visit left.",
                "Your membership “%(plan)s” has %(left)s visits left.",
                left,
            ) % {"plan": membership.plan, "left": left}
            text += " " + _("Renew it in /schedule or at the front desk to keep training.")
            client_message(client=membership.client, text=text)
            sent += 1
    return sent


def memberships_expire(*, today: date | None = None, now: datetime | None = None) -> int:
    """Hourly outside quiet hours: close memberships past their end date or with no visits left
    (neither can be used meanwhile: a visit is taken only from a membership in its dates with
    visits left). A plan whose visits are used up says so; one that ran out of time was announced
    on its last day by the automations' shipped rule."""
    today = today or timezone.localdate()
    now = now or timezone.now()
    if _quiet(now):
        return 0
    due = list(
        Membership.objects.filter(status=Membership.Status.ACTIVE)
        .filter(Q(ends_on__lt=today) | Q(visits_used__gte=F("visits_total")))
        .select_related("client", "plan__tariff")
    )
    allowed = _messageable({membership.client_id for membership in due})
    closed = 0
    for membership in due:
        with transaction.atomic():
            if not Membership.objects.filter(
                pk=membership.pk, status=Membership.Status.ACTIVE
            ).update(status=Membership.Status.EXPIRED, closed_at=now):
                continue
            if membership.ends_on >= today and membership.client_id in allowed:
                text = _("All visits of your membership “%(plan)s” are used.") % {
                    "plan": membership.plan
                }
                text += " " + _("Thank you for training with us! Buy the next one in /schedule.")
                client_message(client=membership.client, text=text)
            closed += 1
    return closed
