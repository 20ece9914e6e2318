"""The academy's reports for a date range, filtered by discipline and trainer.

Every figure is an SQL aggregate or one bounded read of the range (the number of queries does not grow
with students or history); per-student rows are paginated.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils import timezone

from crm.models import Client, User
from payments.models import Payment
from ui.periods import local_totals

from .models import Attendance, Membership, Session

STUDENTS_PER_PAGE = 50


@dataclass
class Filters:
    start: date
    end: date
    discipline_id: int | None = None
    trainer_id: int | None = None

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=timezone.get_current_timezone())

    @property
    def until(self) -> datetime:
        return datetime.combine(
            self.end + timedelta(days=1), time.min, tzinfo=timezone.get_current_timezone()
        )


def filters_for(
    *, user: User, start: date, end: date, discipline_id=None, trainer_id=None
) -> Filters:
    """A trainer's reports cover only their own groups, whatever the request asks for."""
    if user.is_trainer:
        trainer_id = user.pk
    return Filters(start=start, end=end, discipline_id=discipline_id, trainer_id=trainer_id)


def _sessions(f: Filters) -> QuerySet[Session]:
    qs = Session.objects.filter(
        starts_at__gte=f.since, starts_at__lt=f.until, status=Session.Status.SCHEDULED
    )
    if f.discipline_id:
        qs = qs.filter(discipline_id=f.discipline_id)
    if f.trainer_id:
        qs = qs.filter(trainer_id=f.trainer_id)
    return qs


def _attendance(f: Filters) -> QuerySet[Attendance]:
    qs = Attendance.objects.filter(session_starts_at__gte=f.since, session_starts_at__lt=f.until)
    if f.discipline_id:
        qs = qs.filter(session__discipline_id=f.discipline_id)
    if f.trainer_id:
        qs = qs.filter(session__trainer_id=f.trainer_id)
    return qs


def _week(moment: datetime) -> date:
    day = timezone.localtime(moment).date()
    return day - timedelta(days=day.weekday())


@dataclass
class ClassRow:
    title: str
    sessions: int = 0
    visits: int = 0
    absent: int = 0
    by_week: dict[date, int] = field(default_factory=dict)
    cells: list[int] = field(default_factory=list)  # visits per week, in the report's week order

    @property
    def average(self) -> float:
        return round(self.visits / self.sessions, 1) if self.sessions else 0.0


@dataclass
class ByClass:
    weeks: list[date]
    rows: list[ClassRow]
    totals: ClassRow


def attendance_by_class(f: Filters) -> ByClass:
    """Per class (group, or title for one-offs): sessions held, visits, no-shows, visits per week
    and the average attendance per session. Two queries, each a GROUP BY over the range."""
    now = timezone.now()
    held = (
        _sessions(f).filter(starts_at__lte=now).values("group_id", "title", "starts_at").order_by()
    )
    rows: dict[tuple, ClassRow] = {}
    weeks: set[date] = set()

    def row_for(group_id, title) -> ClassRow:
        key = (group_id,) if group_id else (None, title)
        return rows.setdefault(key, ClassRow(title=title))

    for session in held:
        row = row_for(session["group_id"], session["title"])
        row.sessions += 1
        weeks.add(_week(session["starts_at"]))
    marks = (
        _attendance(f)
        .values("session__group_id", "session__title", "session_starts_at", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for mark in marks:
        row = row_for(mark["session__group_id"], mark["session__title"])
        week = _week(mark["session_starts_at"])
        weeks.add(week)
        if mark["status"] in Attendance.VISITED:
            row.visits += mark["n"]
            row.by_week[week] = row.by_week.get(week, 0) + mark["n"]
        elif mark["status"] == Attendance.Status.ABSENT:
            row.absent += mark["n"]
    ordered_weeks = sorted(weeks)
    totals = ClassRow(title="")
    for row in rows.values():
        totals.sessions += row.sessions
        totals.visits += row.visits
        totals.absent += row.absent
        for week, n in row.by_week.items():
            totals.by_week[week] = totals.by_week.get(week, 0) + n
    for row in [*rows.values(), totals]:
        row.cells = [row.by_week.get(week, 0) for week in ordered_weeks]
    return ByClass(
        weeks=ordered_weeks,
        rows=sorted(rows.values(), key=lambda r: (-r.visits, r.title)),
        totals=totals,
    )


@dataclass
class StudentRow:
    client: Client | None
    client_id: int
    visits: int = 0
    late: int = 0
    absent: int = 0
    excused: int = 0
    current_streak: int = 0  # visits in a row, most recent first
    longest_streak: int = 0
    missed_in_a_row: int = 0  # absences since the last visit
    last_visit: datetime | None = None


@dataclass
class StudentsPage:
    rows: list[StudentRow]
    page: int
    pages: int
    total: int


def attendance_by_student(f: Filters, *, page: int = 1) -> StudentsPage:
    """Per student: visits, late, no-shows, excused, streaks; most visits first, paginated. The counts
    are one SQL aggregate; streaks are read from the marks of the page's students only."""
    visited = Q(status__in=Attendance.VISITED)
    totals = (
        _attendance(f)
        .values("client_id")
        .annotate(
            visits=Count("id", filter=visited),
            late=Count("id", filter=Q(status=Attendance.Status.LATE)),
            absent=Count("id", filter=Q(status=Attendance.Status.ABSENT)),
            excused=Count("id", filter=Q(status=Attendance.Status.EXCUSED)),
            last_visit=Max("session_starts_at", filter=visited),
        )
        .order_by("-visits", "absent", "client_id")
    )
    total = totals.count()
    pages = max(1, -(-total // STUDENTS_PER_PAGE))
    page = min(max(page, 1), pages)
    rows = [
        StudentRow(client=None, **values)
        for values in totals[(page - 1) * STUDENTS_PER_PAGE : page * STUDENTS_PER_PAGE]
    ]
    by_id = {row.client_id: row for row in rows}
    marks = (
        _attendance(f)
        .filter(client_id__in=list(by_id))
        .values_list("client_id", "status")
        .order_by("client_id", "session_starts_at", "id")
    )
    run, previous = 0, None
    for client_id, status in marks:
        row = by_id[client_id]
        if previous != client_id:
            run, previous = 0, client_id
        if status in Attendance.VISITED:
            run += 1
            row.longest_streak = max(row.longest_streak, run)
            row.missed_in_a_row = 0
        elif status == Attendance.Status.ABSENT:
            run = 0
            row.missed_in_a_row += 1
        row.current_streak = run
    clients = Client.objects.in_bulk(list(by_id))
    for row in rows:
        row.client = clients.get(row.client_id)
    return StudentsPage(rows=rows, page=page, pages=pages, total=total)


def active_members_by_day(f: Filters) -> list[tuple[date, int]]:
    """Students with a membership in force on each day of the range (one read of the memberships
    overlapping the range, swept day by day). Discipline and trainer filters do not apply:
    a membership is for the whole academy."""
    delta: dict[date, int] = defaultdict(int)
    spans = (
        Membership.objects.filter(starts_on__lte=f.end, ends_on__gte=f.start)
        .exclude(status=Membership.Status.CANCELLED)
        .values_list("client_id", "starts_on", "ends_on")
        .order_by("client_id", "starts_on")
    )
    # A client with two memberships at once is one member: merge each client's spans first.
    merged: list[tuple[date, date]] = []
    current_client, span = None, None
    for client_id, starts, ends in spans:
        if client_id == current_client and span and starts <= span[1] + timedelta(days=1):
            span = (span[0], max(span[1], ends))
            continue
        if span:
            merged.append(span)
        current_client, span = client_id, (starts, ends)
    if span:
        merged.append(span)
    for starts, ends in merged:
        delta[max(starts, f.start)] += 1
        delta[min(ends, f.end) + timedelta(days=1)] -= 1
    result, active, day = [], 0, f.start
    while day <= f.end:
        active += delta.get(day, 0)
        result.append((day, active))
        day += timedelta(days=1)
    return result


@dataclass
class SalesRow:
    month: date
    count: int
    amount: Decimal


def membership_sales_by_month(f: Filters) -> list[SalesRow]:
    """Memberships sold (succeeded payments for plans' tariffs) by month, net of refunds."""
    sold = Payment.objects.filter(
        tariff__academy_plan__isnull=False,
        status__in=[Payment.Status.SUCCEEDED, Payment.Status.REFUNDED],
        paid_at__gte=f.since,
        paid_at__lt=f.until,
        client__is_preview=False,
    ).order_by()
    rows = local_totals(
        sold,
        "paid_at",
        unit="month",
        count=Count("id", filter=Q(status=Payment.Status.SUCCEEDED)),
        amount=Sum("amount"),
        refunded=Sum("refunded_amount"),
    )
    sales = [
        SalesRow(
            month=month,
            count=r["count"],
            amount=(r["amount"] or Decimal("0")) - (r["refunded"] or Decimal("0")),
        )
        for month, _group, r in rows
    ]
    return sorted(sales, key=lambda row: row.month)
