"""Reads of the progress journal: the table of changes, targets, BMI, photos, analytics."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import BigIntegerField, Case, Count, Max, Min, Q, QuerySet, When
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.access import scope_to_user, visible_clients
from crm.models import Client, User
from programs.selectors import HEAVY as PROGRAM_CONTENT
from ui import charts

from .metrics import METRICS, Metric, change_tone, good_direction
from .models import PERIOD_ORDER, ProgressJournal, ProgressPhoto, ProgressTarget


@dataclass(frozen=True)
class Cell:
    metric: Metric
    value: Decimal | None
    from_previous: Decimal | None = None
    previous_tone: str = "neutral"
    from_before: Decimal | None = None
    before_tone: str = "neutral"


@dataclass(frozen=True)
class Row:
    entry: ProgressJournal
    cells: list[Cell]


@dataclass(frozen=True)
class TargetProgress:
    metric: Metric
    target: Decimal
    start: Decimal | None
    current: Decimal | None
    remaining: Decimal | None
    percent: int | None  # 0–100 of the way from the start to the target


@dataclass(frozen=True)
class Bmi:
    value: Decimal
    measured_on: date | None
    category: str  # "under", "normal", "over", "obese"


@dataclass
class ClientProgress:
    client: Client
    program: object  # the TrainingProgram of this journal, or None
    journals: list["Journal"]
    entries: list[ProgressJournal]
    rows: list[Row]
    metrics: list[Metric]  # metrics with at least one value, in table order
    first: dict[str, Decimal]  # per metric, the earliest value ("before" when there is one)
    latest: dict[str, tuple[Decimal, ProgressJournal]]
    first_entry: dict[str, ProgressJournal]
    targets: list[TargetProgress]
    bmi: Bmi | None
    photos_by_date: list[tuple[date, list[ProgressPhoto]]] = field(default_factory=list)

    @property
    def photo_pairs(self) -> list[tuple[ProgressPhoto, ProgressPhoto]]:
        """Per pose with photos on two dates or more: (the first, the latest), to show side by
        side. From the photos already loaded, no query."""
        first: dict[str, ProgressPhoto] = {}
        latest: dict[str, ProgressPhoto] = {}
        for _day, photos in self.photos_by_date:  # newest first
            for photo in photos:
                latest.setdefault(photo.pose, photo)
                first[photo.pose] = photo
        return [
            (first[pose], latest[pose])
            for pose in ProgressPhoto.Pose.values
            if pose in first and first[pose].taken_on != latest[pose].taken_on
        ]


AUTO = "auto"  # the journal a page opens with: the one measured last, else the current program's


def on_axis(entries) -> list[ProgressJournal]:
    """Entries on the time axis: before, week 1…12, after (date breaks ties)."""
    return sorted(entries, key=lambda e: (PERIOD_ORDER[e.period], e.measured_on, e.pk))


def entries_for(*, client: Client, program=None) -> list[ProgressJournal]:
    """One journal of the client (the program's, or the one outside programs), on the time axis."""
    return on_axis(ProgressJournal.objects.filter(client=client, program=program))


def program_current(*, client: Client):
    """The program a new measurement belongs to: the client's latest paid program, or None."""
    return (
        client.programs.filter(kind="paid")
        .defer(*PROGRAM_CONTENT)
        .order_by("-assigned_at", "-id")
        .first()
    )


@dataclass(frozen=True)
class Journal:
    program: object  # TrainingProgram or None
    count: int

    @property
    def key(self) -> str:
        return str(self.program.pk) if self.program else "none"


def _pick_journal(programs: list, entries: list[ProgressJournal], wanted) -> object:
    by_id = {p.pk: p for p in programs}
    if wanted is None or (isinstance(wanted, int) and wanted in by_id):
        return by_id.get(wanted)
    if entries:
        latest = max(entries, key=lambda e: (e.measured_on, e.pk))
        return by_id.get(latest.program_id)
    return next((p for p in programs if p.kind == "paid"), None)


def journal_rows(*, entries: list[ProgressJournal], goal: str = "") -> list[Row]:
    """Each entry with, per metric, the change from the previous entry that has the metric and the
    change from "before" (or from the earliest value when there is no "before" entry)."""
    rows: list[Row] = []
    previous: dict[str, Decimal] = {}
    first: dict[str, Decimal] = {}
    for entry in entries:
        cells = []
        for metric in METRICS:
            value = getattr(entry, metric.field)
            if value is None:
                cells.append(Cell(metric, None))
                continue
            direction = good_direction(metric, goal)
            prev = previous.get(metric.field)
            start = first.get(metric.field)
            d_prev = value - prev if prev is not None else None
            d_start = value - start if start is not None else None
            cells.append(
                Cell(
                    metric,
                    value,
                    d_prev,
                    change_tone(d_prev, direction),
                    d_start,
                    change_tone(d_start, direction),
                )
            )
            previous[metric.field] = value
            first.setdefault(metric.field, value)
        rows.append(Row(entry, cells))
    return rows


def _bmi(client: Client, latest: dict) -> Bmi | None:
    if not client.height_cm:
        return None
    if "weight" in latest:
        weight, entry = latest["weight"]
        measured_on = entry.measured_on
    elif client.weight_kg:
        weight, measured_on = client.weight_kg, None
    else:
        return None
    metres = Decimal(client.height_cm) / 100
    value = (weight / (metres * metres)).quantize(Decimal("0.1"))
    category = (
        "under"
        if value < Decimal("18.5")
        else "normal"
        if value < 25
        else "over"
        if value < 30
        else "obese"
    )
    return Bmi(value, measured_on, category)


def _target_progress(metric: Metric, target: Decimal, start, current) -> TargetProgress:
    remaining = target - current if current is not None else None
    percent = None
    if start is not None and current is not None:
        if start == target:
            percent = 100
        else:
            percent = round(float((current - start) / (target - start)) * 100)
            percent = max(0, min(100, percent))
    return TargetProgress(metric, target, start, current, remaining, percent)


def client_progress_get(
    *, client: Client, program: object = AUTO, with_photos: bool = True
) -> ClientProgress:
    """Everything the progress page and the report show for one journal of the client, in a
    constant number of queries (4 with photos).

    `program`: a TrainingProgram id, None for the measurements outside programs, or AUTO (the
    journal measured last, else the current paid program's). An id of another client's program
    falls back to AUTO.
    """
    # The journal picker shows a program's title and dates: its weeks' JSON stays in the database.
    programs = list(client.programs.defer(*PROGRAM_CONTENT).order_by("-assigned_at", "-id"))
    everything = list(ProgressJournal.objects.filter(client=client))
    chosen = _pick_journal(programs, everything, program)
    counts: dict = {}
    for entry in everything:
        counts[entry.program_id] = counts.get(entry.program_id, 0) + 1
    journals = [Journal(p, counts.get(p.pk, 0)) for p in programs]
    if None in counts or not programs:
        journals.append(Journal(None, counts.get(None, 0)))
    entries = on_axis(e for e in everything if e.program_id == (chosen.pk if chosen else None))
    rows = journal_rows(entries=entries, goal=client.goal)
    first: dict[str, Decimal] = {}
    latest: dict[str, tuple[Decimal, ProgressJournal]] = {}
    first_entry: dict[str, ProgressJournal] = {}
    for entry in entries:
        for metric in METRICS:
            value = getattr(entry, metric.field)
            if value is not None:
                first.setdefault(metric.field, value)
                first_entry.setdefault(metric.field, entry)
                latest[metric.field] = (value, entry)
    metrics = [m for m in METRICS if m.field in latest]
    # The table shows only the metrics this client measures.
    shown = [i for i, m in enumerate(METRICS) if m.field in latest]
    rows = [Row(row.entry, [row.cells[i] for i in shown]) for row in rows]
    by_field = {m.field: m for m in METRICS}
    targets = [
        _target_progress(
            by_field[t.metric],
            t.value,
            first.get(t.metric),
            latest[t.metric][0] if t.metric in latest else None,
        )
        for t in ProgressTarget.objects.filter(client=client)
    ]
    targets.sort(key=lambda t: METRICS.index(t.metric))
    photos_by_date: list[tuple[date, list[ProgressPhoto]]] = []
    if with_photos:
        for photo in ProgressPhoto.objects.filter(client=client).order_by("-taken_on", "pose"):
            if photos_by_date and photos_by_date[-1][0] == photo.taken_on:
                photos_by_date[-1][1].append(photo)
            else:
                photos_by_date.append((photo.taken_on, [photo]))
        pose_order = {value: index for index, value in enumerate(ProgressPhoto.Pose.values)}
        for _day, photos in photos_by_date:
            photos.sort(key=lambda p: pose_order[p.pose])
    return ClientProgress(
        client=client,
        program=chosen,
        journals=journals,
        entries=entries,
        rows=rows,
        metrics=metrics,
        first=first,
        latest=latest,
        first_entry=first_entry,
        targets=targets,
        bmi=_bmi(client, latest),
        photos_by_date=photos_by_date,
    )


def client_summary_get(*, client: Client) -> dict:
    """For the client page: the journal measured last — its entry count, last entry and the change
    of weight and waist since its start (1 query)."""
    everything = list(ProgressJournal.objects.filter(client=client))
    if everything:
        latest = max(everything, key=lambda e: (e.measured_on, e.pk))
        everything = [e for e in everything if e.program_id == latest.program_id]
    entries = on_axis(everything)
    progress = journal_rows(entries=entries, goal=client.goal)
    changes = {}
    for metric in METRICS:
        if metric.field not in ("weight", "waist"):
            continue
        index = METRICS.index(metric)
        for row in reversed(progress):
            cell = row.cells[index]
            if cell.value is not None:
                changes[metric] = cell
                break
    return {
        "count": len(entries),
        "last": max(entries, key=lambda e: e.measured_on) if entries else None,
        "changes": list(changes.items()),
    }


def photo_get_for(*, user: User, pk: int) -> ProgressPhoto | None:
    return (
        scope_to_user(ProgressPhoto.objects.select_related("client"), user, client_path="client")
        .filter(pk=pk)
        .first()
    )


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class MetricAverage:
    metric: Metric
    average: Decimal
    clients: int
    tone: str


@dataclass(frozen=True)
class ProgressAnalytics:
    finished_clients: int
    averages: list[MetricAverage]
    active_clients: int
    checked_in_this_week: int
    week_start: date
    start: date | None = None
    end: date | None = None

    @property
    def checkin_share(self) -> int:
        if not self.active_clients:
            return 0
        return round(self.checked_in_this_week * 100 / self.active_clients)


# A measurement and where it stands in its series packed into one integer, so that the first and
# the last measurement of every series are a MIN and a MAX in one GROUP BY (no rows come to Python):
# (period order × 10^6 + days since 2000-01-01) × 10^4 + value × 10 (values have one decimal and
# stay below 1000, so the last four digits are the value; the total stays far below 2^53).
_DAYS = {
    "sqlite": "CAST(julianday({}) - julianday('2000-01-01') AS INTEGER)",
    "postgresql": "({} - DATE '2000-01-01')",
}


def _packed(field: str) -> RawSQL:
    order = " ".join(f"WHEN '{period}' THEN {n}" for period, n in PERIOD_ORDER.items())
    days = _DAYS.get(connection.vendor, _DAYS["postgresql"]).format('"measured_on"')
    return RawSQL(
        f'(CAST(CASE "period" {order} ELSE 99 END AS BIGINT) * 1000000 + {days}) * 10000 '
        f'+ CAST(ROUND("{field}" * 10) AS BIGINT)',
        [],
        output_field=BigIntegerField(),
    )


def _series_changes(journals: QuerySet[ProgressJournal]) -> list[MetricAverage]:
    """Average change from first to last measurement per metric over the series (client,
    program) with at least two measurements of it: one grouped query inside one aggregate."""
    per_series = {}
    for metric in METRICS:
        packed = Case(When(**{f"{metric.field}__isnull": False}, then=_packed(metric.field)))
        per_series[f"f_{metric.field}"] = Min(packed)
        per_series[f"l_{metric.field}"] = Max(packed)
        per_series[f"n_{metric.field}"] = Count(metric.field)
    inner = (journals.order_by().values("client_id", "program_id").annotate(**per_series)).values(
        *per_series
    )
    try:
        sql, params = inner.query.sql_with_params()
    except EmptyResultSet:
        return []
    columns = []
    for metric in METRICS:
        f, last, n = (f"{k}_{metric.field}" for k in ("f", "l", "n"))
        columns.append(
            f"SUM(CASE WHEN {n} >= 2 THEN ({last} %% 10000) - ({f} %% 10000) END), "
            f"SUM(CASE WHEN {n} >= 2 THEN 1 ELSE 0 END)"
        )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM ({sql}) AS series", params)
        row = cursor.fetchone()
    averages = []
    for index, metric in enumerate(METRICS):
        total, series = row[2 * index], row[2 * index + 1]
        if series:
            average = (Decimal(int(total)) / 10 / series).quantize(Decimal("0.1"))
            averages.append(
                MetricAverage(metric, average, series, change_tone(average, metric.good))
            )
    return averages


def analytics_get(
    *,
    user: User,
    today: date | None = None,
    start: date | None = None,
    end: date | None = None,
) -> ProgressAnalytics:
    """Average change per metric (first to last entry) of the clients the user sees who finished
    a program in [start, end] (default: the last 90 days), and the share of active clients with a
    check-in this week. Four queries; the database does the sums (nothing per measurement comes
    back), over the period's finished clients only."""
    today = today or timezone.localdate()
    end = end or today
    start = start or end - timedelta(days=89)
    monday = week_start(today)
    clients = visible_clients(user, for_analytics=True)
    tz = timezone.get_current_timezone()
    finished = clients.filter(
        stage__code="finished",
        stage_changed_at__gte=datetime.combine(start, time.min, tzinfo=tz),
        stage_changed_at__lt=datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz),
    )
    averages = _series_changes(ProgressJournal.objects.filter(client__in=finished.values("pk")))
    active = clients.filter(stage__code="active")
    counts = active.aggregate(
        total=Count("pk", distinct=True),
        checked=Count(
            "pk",
            distinct=True,
            filter=Q(
                progress_entries__source=ProgressJournal.Source.BOT,
                progress_entries__measured_on__gte=monday,
            ),
        ),
    )
    return ProgressAnalytics(
        finished_clients=finished.count(),
        averages=averages,
        active_clients=counts["total"],
        checked_in_this_week=counts["checked"],
        week_start=monday,
        start=start,
        end=end,
    )


def analytics_summary(user: User) -> ProgressAnalytics:
    """The default period's analytics, as `crm.summaries` stores them for each scope."""
    return analytics_get(user=user)


def client_charts(progress: ClientProgress, fields: Sequence[str]) -> dict:
    """The charts of one client's page and report: a line per chosen metric and before/now."""
    targets = {t.metric.field: t.target for t in progress.targets}
    lines = []
    for metric in progress.metrics:
        if metric.field not in fields:
            continue
        points = [
            (f"{entry.measured_on:%d.%m}", getattr(entry, metric.field))
            for entry in progress.entries
            if getattr(entry, metric.field) is not None
        ]
        lines.append(
            {
                "metric": metric,
                "svg": charts.trend_chart(
                    points,
                    title=str(metric.label),
                    unit=str(metric.unit),
                    target=targets.get(metric.field),
                ),
            }
        )
    pairs = []
    for metric in progress.metrics:
        start, (current, _entry) = progress.first[metric.field], progress.latest[metric.field]
        if len([e for e in progress.entries if getattr(e, metric.field) is not None]) < 2:
            continue
        tone = change_tone(current - start, good_direction(metric, progress.client.goal))
        pairs.append((f"{metric.label}, {metric.unit}", start, current, tone))
    comparison = charts.before_now_chart(
        pairs, title=_("Before and now"), before=_("Before"), now=_("Now")
    )
    return {"lines": lines, "comparison": comparison, "has_comparison": bool(pairs)}
