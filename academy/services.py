"""Every write in the academy: schedule, bookings and the waitlist, roll call, memberships.

Each function checks first and then writes in one transaction, so a refusal (`AcademyError`, its
message safe to show to a trainer or a client) leaves nothing half-saved. Messages to clients go out
after commit through `crm.notifications`.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from audit.services import Action, audit_record
from crm.models import Client, User
from crm.notifications import client_message
from payments.models import Payment, Tariff

from .models import (
    Attendance,
    Booking,
    Discipline,
    Hall,
    Membership,
    MembershipPlan,
    Session,
    TrainingGroup,
)

logger = logging.getLogger(__name__)


class AcademyError(Exception):
    """Refused: the message says why, in words a trainer or a client understands."""


def _local(moment: datetime) -> datetime:
    return timezone.localtime(moment)


def session_label(session: Session) -> str:
    starts = _local(session.starts_at)
    return _("%(title)s, %(day)s at %(time)s") % {
        "title": session.title,
        "day": date_format(starts.date(), "D j E"),
        "time": starts.strftime("%H:%M"),
    }


# --- Schedule -------------------------------------------------------------------------------------


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def group_check(*, group: TrainingGroup) -> None:
    """Refuse a weekly pattern that overlaps another active group's in the same hall."""
    group.full_clean()
    if not group.is_active:
        return
    start = _minutes(group.start_time)
    end = start + group.duration_minutes
    others = TrainingGroup.objects.filter(hall=group.hall, is_active=True).exclude(pk=group.pk)
    for other in others:
        common = set(group.weekdays) & set(other.weekdays)
        other_start = _minutes(other.start_time)
        other_end = other_start + other.duration_minutes
        if common and start < other_end and other_start < end:
            raise AcademyError(
                _(
                    "Hall “%(hall)s” is taken by “%(other)s” at %(time)s on the same weekday. "
                    "Choose another hall or time."
                )
                % {
                    "hall": group.hall,
                    "other": other.title,
                    "time": other.start_time.strftime("%H:%M"),
                }
            )


@transaction.atomic
def group_save(*, group: TrainingGroup, actor: User | None = None) -> TrainingGroup:
    """Create or change a group class. Future sessions already generated keep their times;
    changes to capacity are carried to them where bookings allow."""
    Hall.objects.select_for_update().filter(pk=group.hall_id).first()  # one writer per hall
    group_check(group=group)
    created = group.pk is None
    group.save()
    audit_record(
        actor=actor, action=Action.ACADEMY_GROUP, obj=group, note="created" if created else ""
    )
    return group


def _hall_clash(*, hall_id: int, starts_at: datetime, ends_at: datetime, exclude_pk=None):
    clash = Session.objects.filter(
        hall_id=hall_id,
        status=Session.Status.SCHEDULED,
        starts_at__lt=ends_at,
        ends_at__gt=starts_at,
    )
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    return clash.first()


def _clash_error(clash: Session) -> AcademyError:
    return AcademyError(
        _("Hall “%(hall)s” is taken at that time: %(session)s.")
        % {"hall": clash.hall, "session": session_label(clash)}
    )


@transaction.atomic
def session_create(
    *,
    title: str,
    discipline: Discipline,
    trainer: User,
    hall: Hall,
    starts_at: datetime,
    duration_minutes: int,
    capacity: int,
    level: str = "all",
    now: datetime | None = None,
    actor: User | None = None,
) -> Session:
    """A one-off session (a seminar, an open mat). Refuses the past and a busy hall."""
    now = now or timezone.now()
    if starts_at <= now:
        raise AcademyError(_("A session cannot start in the past."))
    Hall.objects.select_for_update().filter(pk=hall.pk).first()
    ends_at = starts_at + timedelta(minutes=duration_minutes)
    clash = _hall_clash(hall_id=hall.pk, starts_at=starts_at, ends_at=ends_at)
    if clash:
        raise _clash_error(clash)
    session = Session(
        title=title,
        discipline=discipline,
        trainer=trainer,
        hall=hall,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        level=level,
    )
    session.full_clean()
    session.save()
    audit_record(actor=actor, action=Action.ACADEMY_SESSION, obj=session, note="created")
    return session


@transaction.atomic
def session_update(
    *,
    session: Session,
    capacity: int | None = None,
    trainer: User | None = None,
    actor: User | None = None,
) -> Session:
    """Change a session's capacity or trainer; capacity never goes below the places booked."""
    locked = Session.objects.select_for_update().get(pk=session.pk)
    before = (locked.capacity, str(locked.trainer))
    if capacity is not None:
        if capacity < 1:
            raise AcademyError(_("Capacity must be at least 1."))
        if capacity < locked.booked_count:
            raise AcademyError(
                _(
                    "%(booked)s places are already booked; capacity cannot be less. "
                    "Cancel bookings first."
                )
                % {"booked": locked.booked_count}
            )
        locked.capacity = capacity
    if trainer is not None:
        locked.trainer = trainer
    locked.save(update_fields=["capacity", "trainer"])
    audit_record(
        actor=actor,
        action=Action.ACADEMY_SESSION,
        obj=locked,
        changes={
            name: [old, new]
            for name, old, new in (
                ("capacity", before[0], locked.capacity),
                ("trainer", before[1], str(locked.trainer)),
            )
            if old != new
        },
    )
    if capacity is not None:
        _waitlist_promote(session=locked)
    return locked


@transaction.atomic
def session_cancel(*, session: Session, reason: str = "", actor: User | None = None) -> int:
    """Cancel a session: its bookings and waitlist are cancelled and every one of those clients
    is told (after commit). Returns how many were told; cancelling twice tells nobody again."""
    locked = Session.objects.select_for_update().get(pk=session.pk)
    if locked.status == Session.Status.CANCELLED:
        return 0
    if locked.attendances.exists():
        raise AcademyError(
            _("The roll call has been taken for this session; it cannot be cancelled.")
        )
    now = timezone.now()
    bookings = list(
        Booking.objects.filter(
            session=locked, status__in=[Booking.Status.BOOKED, Booking.Status.WAITLISTED]
        ).select_related("client")
    )
    Booking.objects.filter(pk__in=[b.pk for b in bookings]).update(
        status=Booking.Status.CANCELLED, cancelled_at=now
    )
    locked.status = Session.Status.CANCELLED
    locked.cancel_reason = reason[:255]
    locked.booked_count = 0
    locked.save(update_fields=["status", "cancel_reason", "booked_count"])
    audit_record(
        actor=actor,
        action=Action.ACADEMY_SESSION,
        obj=locked,
        changes={"status": [Session.Status.SCHEDULED, Session.Status.CANCELLED]},
        note=reason[:200],
    )
    text = _("Cancelled: %(session)s.") % {"session": session_label(locked)}
    if reason:
        text += " " + _("Reason: %(reason)s.") % {"reason": reason.rstrip(".")}
    text += " " + _("We are sorry! Choose another class in /schedule.")
    for booking in bookings:
        client_message(client=booking.client, text=text)
    session.status = locked.status
    return len(bookings)


def sessions_generate(*, weeks: int | None = None, today: date | None = None) -> int:
    """Create the dated sessions of every active group for the coming weeks. Idempotent (one
    session per group and start); a slot whose hall is taken by a one-off session is skipped and
    logged. Returns the number of sessions created."""
    weeks = weeks if weeks is not None else settings.ACADEMY_SCHEDULE_WEEKS
    today = today or timezone.localdate()
    last = today + timedelta(days=7 * weeks)
    tz = timezone.get_current_timezone()
    groups = list(TrainingGroup.objects.filter(is_active=True))
    if not groups:
        return 0
    window_start = datetime.combine(today, time.min, tzinfo=tz)
    window_end = datetime.combine(last, time.max, tzinfo=tz)
    existing = list(
        Session.objects.filter(
            starts_at__gte=window_start,
            starts_at__lte=window_end,
            status=Session.Status.SCHEDULED,
        ).values_list("group_id", "hall_id", "starts_at", "ends_at")
    )
    taken = {(g, s) for g, _h, s, _e in existing if g}
    busy: dict[int, list[tuple[datetime, datetime]]] = {}
    for _g, hall_id, starts, ends in existing:
        busy.setdefault(hall_id, []).append((starts, ends))
    now = timezone.now()
    new: list[Session] = []
    day = today
    while day <= last:
        for group in groups:
            if str(day.weekday()) not in group.weekdays:
                continue
            starts = datetime.combine(day, group.start_time, tzinfo=tz)
            if starts <= now or (group.pk, starts) in taken:
                continue
            ends = starts + timedelta(minutes=group.duration_minutes)
            if any(s < ends and starts < e for s, e in busy.get(group.hall_id, [])):
                logger.warning("Session of group %s at %s skipped: hall busy", group.pk, starts)
                continue
            busy.setdefault(group.hall_id, []).append((starts, ends))
            new.append(
                Session(
                    group=group,
                    title=group.title,
                    discipline_id=group.discipline_id,
                    trainer_id=group.trainer_id,
                    hall_id=group.hall_id,
                    starts_at=starts,
                    ends_at=ends,
                    capacity=group.capacity,
                    level=group.level,
                )
            )
        day += timedelta(days=1)
    created = Session.objects.bulk_create(new, ignore_conflicts=True)
    return len(created)


# --- Bookings and the waitlist --------------------------------------------------------------------


@dataclass(frozen=True)
class BookingResult:
    booking: Booking
    waitlisted: bool
    position: int = 0  # place in the waitlist, 1 = next


def _waitlist_position(booking: Booking) -> int:
    return Booking.objects.filter(
        session_id=booking.session_id,
        status=Booking.Status.WAITLISTED,
        queued_at__lte=booking.queued_at,
    ).count()


@transaction.atomic
def booking_create(
    *, session: Session, client: Client, now: datetime | None = None
) -> BookingResult:
    """Book a place, or join the waitlist when the session is full.

    The place is taken by one conditional UPDATE (`booked_count < capacity`) on the locked session
    row, and the database refuses `booked_count > capacity` in any case: two clients racing for the
    last place get one place and one waitlist entry, never an overbooked session.
    """
    now = now or timezone.now()
    locked = Session.objects.select_for_update().get(pk=session.pk)
    if locked.status == Session.Status.CANCELLED:
        raise AcademyError(_("This session has been cancelled."))
    if locked.starts_at <= now:
        raise AcademyError(_("This session has already started; booking is closed."))
    booking = Booking.objects.select_for_update().filter(session=locked, client=client).first()
    if booking is not None and booking.status == Booking.Status.BOOKED:
        raise AcademyError(_("You are already booked for this session."))
    if booking is not None and booking.status == Booking.Status.WAITLISTED:
        raise AcademyError(_("You are already on the waitlist for this session."))
    got_place = bool(
        Session.objects.filter(pk=locked.pk, booked_count__lt=F("capacity")).update(
            booked_count=F("booked_count") + 1
        )
    )
    status = Booking.Status.BOOKED if got_place else Booking.Status.WAITLISTED
    if booking is None:
        booking = Booking(session=locked, client=client)
    booking.status = status
    booking.queued_at = now
    booking.cancelled_at = None
    booking.reminded_at = None
    booking.save()
    if got_place:
        return BookingResult(booking=booking, waitlisted=False)
    return BookingResult(booking=booking, waitlisted=True, position=_waitlist_position(booking))


def _waitlist_promote(*, session: Session) -> list[Booking]:
    """Give free places to the waitlist, first come first served, and tell each promoted client.
    Runs inside the caller's transaction with the session row locked."""
    promoted = []
    free = session.capacity - Session.objects.values_list("booked_count", flat=True).get(
        pk=session.pk
    )
    if free <= 0 or session.status != Session.Status.SCHEDULED:
        return promoted
    waiting = list(
        Booking.objects.select_for_update()
        .filter(session=session, status=Booking.Status.WAITLISTED)
        .select_related("client")
        .order_by("queued_at", "id")[:free]
    )
    for booking in waiting:
        Session.objects.filter(pk=session.pk).update(booked_count=F("booked_count") + 1)
        booking.status = Booking.Status.BOOKED
        booking.save(update_fields=["status"])
        client_message(
            client=booking.client,
            text=_("A place has become free and you are booked: %(session)s. See you on the mat!")
            % {"session": session_label(session)},
        )
        promoted.append(booking)
    return promoted


def cancel_deadline(session: Session) -> datetime:
    return session.starts_at - timedelta(hours=settings.ACADEMY_CANCEL_HOURS)


@transaction.atomic
def booking_cancel(
    *, booking: Booking, by_client: bool = True, now: datetime | None = None
) -> list[Booking]:
    """Cancel a booking or leave the waitlist; a freed place goes to the waitlist at once.

    A client may cancel up to ACADEMY_CANCEL_HOURS before the start; staff at any time.
    Returns the bookings promoted from the waitlist.
    """
    now = now or timezone.now()
    session = Session.objects.select_for_update().get(pk=booking.session_id)
    locked = Booking.objects.select_for_update().get(pk=booking.pk)
    if locked.status == Booking.Status.CANCELLED:
        raise AcademyError(_("This booking is already cancelled."))
    if session.starts_at <= now:
        raise AcademyError(_("This session has already started; the booking cannot be cancelled."))
    was_booked = locked.status == Booking.Status.BOOKED
    if by_client and was_booked and now > cancel_deadline(session):
        raise AcademyError(
            _(
                "Bookings can be cancelled up to %(hours)s h before the start; please tell the trainer."
            )
            % {"hours": settings.ACADEMY_CANCEL_HOURS}
        )
    locked.status = Booking.Status.CANCELLED
    locked.cancelled_at = now
    locked.save(update_fields=["status", "cancelled_at"])
    booking.status = locked.status
    if not was_booked:
        return []
    Session.objects.filter(pk=session.pk).update(booked_count=F("booked_count") - 1)
    return _waitlist_promote(session=session)


# --- Memberships ----------------------------------------------------------------------------------


@transaction.atomic
def membership_plan_create(
    *,
    name: str,
    kind: str,
    price,
    duration_days: int,
    visits: int | None = None,
    description: str = "",
) -> MembershipPlan:
    """A plan on sale, with its payments Tariff (the price lives there)."""
    if kind == MembershipPlan.Kind.SINGLE:
        visits = 1
    elif kind == MembershipPlan.Kind.UNLIMITED:
        visits = None
    elif not visits:
        raise AcademyError(_("Say how many visits the membership gives."))
    tariff = Tariff(name=name, description=description, price=price, duration_days=duration_days)
    tariff.full_clean()
    tariff.save()
    plan = MembershipPlan(tariff=tariff, kind=kind, visits=visits, duration_days=duration_days)
    plan.full_clean()
    plan.save()
    return plan


def membership_activate(*, payment: Payment) -> Membership | None:
    """Called by payments when a payment succeeds (inside its transaction): a payment for a
    membership plan's tariff creates that membership, once (one membership per payment)."""
    plan = MembershipPlan.objects.filter(tariff_id=payment.tariff_id).first()
    if plan is None:
        return None
    start = timezone.localdate(payment.paid_at) if payment.paid_at else timezone.localdate()
    # A promotion's bonus (payments stores it on the payment) lands here: extra days always, extra
    # visits on a visit-count plan (an unlimited one has no count to add to).
    visits = plan.visits + payment.bonus_visits if plan.visits is not None else None
    membership, created = Membership.objects.get_or_create(
        payment=payment,
        defaults={
            "client_id": payment.client_id,
            "plan": plan,
            "starts_on": start,
            "ends_on": start + timedelta(days=plan.duration_days + payment.bonus_days - 1),
            "visits_total": visits,
        },
    )
    return membership if created else None


def membership_sell(
    *, client: Client, plan: MembershipPlan, provider: str, actor: User, note: str = ""
) -> Membership:
    """A membership paid at the desk (cash or card): the payment is recorded and settled through
    payments, whose success creates the membership."""
    from payments.services import PaymentError, payment_record_manual

    if not plan.tariff.is_active:
        raise AcademyError(_("This membership is no longer sold."))
    try:
        with transaction.atomic():
            payment = payment_record_manual(
                client=client, tariff=plan.tariff, provider=provider, actor=actor, note=note
            )
    except PaymentError as exc:
        raise AcademyError(str(exc)) from exc
    return Membership.objects.get(payment=payment)


def membership_usable(*, client: Client, day: date, lock: bool = False) -> Membership | None:
    """The membership a visit on `day` is taken from: active, in its dates, not frozen, with visits
    left; the one ending first."""
    candidates = Membership.objects.filter(
        client=client,
        status=Membership.Status.ACTIVE,
        starts_on__lte=day,
        ends_on__gte=day,
    ).filter(Q(visits_total__isnull=True) | Q(visits_used__lt=F("visits_total")))
    if lock:
        candidates = candidates.select_for_update()
    for membership in candidates.order_by("ends_on", "id"):
        if not membership.is_frozen_on(day):
            return membership
    return None


@transaction.atomic
def membership_freeze(
    *,
    membership: Membership,
    start: date,
    end: date,
    today: date | None = None,
    actor: User | None = None,
) -> Membership:
    """Freeze a membership for a period (illness, holiday): no visits are taken then and its end
    moves later by the frozen days. One freeze per membership."""
    today = today or timezone.localdate()
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    if locked.status != Membership.Status.ACTIVE:
        raise AcademyError(_("Only an active membership can be frozen."))
    if locked.frozen_from:
        raise AcademyError(_("This membership has already been frozen once."))
    if end < start:
        raise AcademyError(_("The freeze must end on or after its first day."))
    if start < today:
        raise AcademyError(_("A freeze cannot start in the past."))
    if start > locked.ends_on:
        raise AcademyError(_("The membership ends before that day."))
    days = (end - start).days + 1
    if days > settings.ACADEMY_MAX_FREEZE_DAYS:
        raise AcademyError(
            _("A freeze may last at most %(days)s days.")
            % {"days": settings.ACADEMY_MAX_FREEZE_DAYS}
        )
    if locked.attendances.filter(
        session_starts_at__date__gte=start, session_starts_at__date__lte=end
    ).exists():
        raise AcademyError(_("The client has visits in that period; it cannot be frozen."))
    locked.frozen_from, locked.frozen_to = start, end
    locked.ends_on += timedelta(days=days)
    old_end = locked.ends_on - timedelta(days=days)
    locked.full_clean()
    locked.save(update_fields=["frozen_from", "frozen_to", "ends_on"])
    audit_record(
        actor=actor,
        action=Action.ACADEMY_MEMBERSHIP,
        obj=locked,
        client=locked.client,
        changes={
            "frozen": [None, f"{start.isoformat()}–{end.isoformat()}"],
            "ends_on": [old_end.isoformat(), locked.ends_on.isoformat()],
        },
    )
    return locked


def membership_left_text(membership: Membership | None, *, day: date | None = None) -> str:
    """What the client has left, in one line (the bot and the client page)."""
    if membership is None:
        return _("No active membership.")
    parts = [str(membership.plan)]
    if membership.visits_left is not None:
        parts.append(
            _("%(left)s of %(total)s visits left")
            % {
                "left": membership.visits_left,
                "total": membership.visits_total,
            }
        )
    parts.append(_("until %(day)s") % {"day": date_format(membership.ends_on, "j E Y")})
    if day and membership.is_frozen_on(day):
        parts.append(_("frozen until %(day)s") % {"day": date_format(membership.frozen_to, "j E")})
    return ", ".join(parts)


# --- Roll call ------------------------------------------------------------------------------------


@transaction.atomic
def attendance_mark(
    *,
    session: Session,
    client: Client,
    status: str,
    actor: User | None,
    walk_in: bool = False,
) -> Attendance:
    """Mark one student at one session. Present or late takes a visit from their membership (and
    refuses when there is none left); changing back to absent or excused gives the visit back."""
    if status not in Attendance.Status.values:
        raise AcademyError(_("Unknown attendance status."))
    locked = Session.objects.select_for_update().get(pk=session.pk)
    if locked.status == Session.Status.CANCELLED:
        raise AcademyError(_("This session has been cancelled."))
    day = _local(locked.starts_at).date()
    if day > timezone.localdate():
        raise AcademyError(_("The roll call opens on the day of the session."))
    attendance = (
        Attendance.objects.select_for_update().filter(session=locked, client=client).first()
    )
    was_visit = attendance is not None and attendance.status in Attendance.VISITED
    is_visit = status in Attendance.VISITED
    membership_id = attendance.membership_id if attendance else None
    if is_visit and not was_visit:
        membership = membership_usable(client=client, day=day, lock=True)
        if membership is None:
            raise AcademyError(
                _("%(client)s has no membership with visits left on %(day)s. Sell one first.")
                % {"client": client, "day": date_format(day, "j E")}
            )
        Membership.objects.filter(pk=membership.pk).update(visits_used=F("visits_used") + 1)
        membership_id = membership.pk
    elif was_visit and not is_visit and membership_id:
        Membership.objects.filter(pk=membership_id).update(visits_used=F("visits_used") - 1)
        membership_id = None
    if attendance is None:
        attendance = Attendance(
            session=locked, client=client, walk_in=walk_in, session_starts_at=locked.starts_at
        )
    if is_visit and not was_visit:
        from .ranks import rank_start_if_missing  # ranks builds on this module

        rank_start_if_missing(client=client, discipline_id=locked.discipline_id, day=day)
    previous = attendance.status if attendance.pk else None
    attendance.status = status
    attendance.membership_id = membership_id
    attendance.marked_by = actor
    attendance.marked_at = timezone.now()
    try:
        with transaction.atomic():
            attendance.save()
    except IntegrityError as exc:  # a second tab marked the same student at the same moment
        raise AcademyError(_("Someone else has just marked this student; reload.")) from exc
    if previous != status:
        audit_record(
            actor=actor,
            action=Action.ACADEMY_ATTENDANCE,
            obj=attendance,
            client=client,
            changes={"status": [previous, status]},
        )
    return attendance
