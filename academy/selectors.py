"""Reads for the academy's pages and the bot. Each runs a fixed number of queries, bounded by the
range it shows (a week, one session), never by the number of students or the years of history."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from crm.access import ensure_can_change
from crm.models import Client, User
from crm.selectors import clients_search

from .models import Attendance, Booking, Membership, Session


def sessions_for(user: User) -> QuerySet[Session]:
    """Sessions the user may see: a trainer only their own groups' sessions, other roles all."""
    if not user.is_authenticated or not user.is_active:
        return Session.objects.none()
    qs = Session.objects.all()
    if user.is_trainer:
        qs = qs.filter(trainer=user)
    return qs


def session_get_for(user: User, pk: int, *, for_change: bool = False) -> Session:
    if for_change:
        ensure_can_change(user)
    session = (
        sessions_for(user)
        .select_related("discipline", "hall", "trainer", "group")
        .filter(pk=pk)
        .first()
    )
    if session is None:
        raise Http404
    return session


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass
class CalendarDay:
    day: date
    sessions: list[Session] = field(default_factory=list)
    is_today: bool = False


def week_calendar(
    *, user: User, start: date, discipline_id: int | None = None, trainer_id: int | None = None
) -> list[CalendarDay]:
    """The seven days from `start` with their sessions (one query)."""
    tz = timezone.get_current_timezone()
    since = datetime.combine(start, time.min, tzinfo=tz)
    qs = sessions_for(user).filter(starts_at__gte=since, starts_at__lt=since + timedelta(days=7))
    if discipline_id:
        qs = qs.filter(discipline_id=discipline_id)
    if trainer_id:
        qs = qs.filter(trainer_id=trainer_id)
    today = timezone.localdate()
    days = [CalendarDay(day=start + timedelta(days=i)) for i in range(7)]
    for day in days:
        day.is_today = day.day == today
    for session in qs.select_related("discipline", "hall", "trainer").order_by("starts_at", "id"):
        local = timezone.localtime(session.starts_at).date()
        days[(local - start).days].sessions.append(session)
    return days


@dataclass
class RollRow:
    client: Client
    status: str = ""  # attendance status, "" = not marked yet
    booked: bool = False
    regular: bool = False
    walk_in: bool = False
    membership: Membership | None = None


@dataclass
class RollCall:
    session: Session
    rows: list[RollRow]

    @property
    def counts(self) -> dict[str, int]:
        counts = defaultdict(int)
        for row in self.rows:
            counts[row.status or "unmarked"] += 1
        counts["expected"] = len(self.rows)
        return counts


def memberships_current(*, client_ids: list[int], day: date) -> dict[int, Membership]:
    """Each client's membership usable on `day` (the one ending first), in one query."""
    found: dict[int, Membership] = {}
    rows = (
        Membership.objects.filter(
            client_id__in=client_ids,
            status=Membership.Status.ACTIVE,
            starts_on__lte=day,
            ends_on__gte=day,
        )
        .filter(Q(visits_total__isnull=True) | Q(visits_used__lt=F("visits_total")))
        .select_related("plan__tariff")
        .order_by("ends_on", "id")
    )
    for membership in rows:
        if not membership.is_frozen_on(day):
            found.setdefault(membership.client_id, membership)
    return found


def roll_call(*, session: Session) -> RollCall:
    """Everyone expected at a session — booked, regulars of its group, and those already marked
    (walk-ins) — with their mark and the membership a visit would use. Five queries."""
    rows: dict[int, RollRow] = {}
    for booking in (
        Booking.objects.filter(session=session, status=Booking.Status.BOOKED)
        .select_related("client")
        .order_by("queued_at")
    ):
        rows[booking.client_id] = RollRow(client=booking.client, booked=True)
    if session.group_id:
        for client in session.group.regulars.all():
            rows.setdefault(client.pk, RollRow(client=client)).regular = True
    for attendance in Attendance.objects.filter(session=session).select_related("client"):
        row = rows.setdefault(attendance.client_id, RollRow(client=attendance.client))
        row.status = attendance.status
        row.walk_in = attendance.walk_in
    day = timezone.localtime(session.starts_at).date()
    current = memberships_current(client_ids=list(rows), day=day)
    ordered = sorted(rows.values(), key=lambda r: (r.client.last_name, r.client.first_name))
    for row in ordered:
        row.membership = current.get(row.client.pk)
    return RollCall(session=session, rows=ordered)


def roll_member(*, session: Session, client_id: int) -> Client | None:
    """The client if they are on this session's roll call (booked, a regular, or already marked)."""
    on_roll = Q(academy_bookings__session=session, academy_bookings__status=Booking.Status.BOOKED)
    on_roll |= Q(academy_attendances__session=session)
    if session.group_id:
        on_roll |= Q(academy_groups=session.group_id)
    return Client.objects.filter(on_roll, pk=client_id).distinct().first()


def client_memberships(*, client: Client, limit: int = 10) -> list[Membership]:
    return list(
        Membership.objects.filter(client=client)
        .select_related("plan__tariff")
        .order_by("-ends_on", "-id")[:limit]
    )


def walk_in_candidates(*, clients: QuerySet[Client], query: str, limit: int = 10) -> list[Client]:
    """Clients (of those the user may see) matching the search box, for adding a walk-in."""
    if len(query.strip()) < 2:
        return []
    return list(clients_search(clients, query).order_by("last_name", "first_name", "id")[:limit])


@dataclass
class ClientSession:
    session: Session
    booking_status: str = ""  # "", booked, waitlisted
    waitlist_position: int = 0


def client_week(
    *, client: Client, now: datetime | None = None, days: int = 7, limit: int = 40
) -> list[ClientSession]:
    """The coming `days` of scheduled sessions with the client's booking on each (three queries)."""
    now = now or timezone.now()
    sessions = list(
        Session.objects.filter(
            status=Session.Status.SCHEDULED,
            starts_at__gt=now,
            starts_at__lt=now + timedelta(days=days),
        )
        .select_related("hall", "trainer")
        .order_by("starts_at", "id")[:limit]
    )
    mine = {
        b.session_id: b
        for b in Booking.objects.filter(
            client=client,
            session__in=[s.pk for s in sessions],
            status__in=[Booking.Status.BOOKED, Booking.Status.WAITLISTED],
        )
    }
    waiting = [b for b in mine.values() if b.status == Booking.Status.WAITLISTED]
    positions = {}
    if waiting:
        ahead = (
            Booking.objects.filter(
                session__in=[b.session_id for b in waiting], status=Booking.Status.WAITLISTED
            )
            .values_list("session_id", "queued_at", "id")
            .order_by("session_id", "queued_at", "id")
        )
        for session_id, queued_at, pk in ahead:
            positions.setdefault(session_id, 0)
            booking = mine[session_id]
            if (queued_at, pk) <= (booking.queued_at, booking.pk):
                positions[session_id] += 1
    return [
        ClientSession(
            session=s,
            booking_status=mine[s.pk].status if s.pk in mine else "",
            waitlist_position=positions.get(s.pk, 0),
        )
        for s in sessions
    ]
