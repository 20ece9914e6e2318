"""Reads for the board, the analytics page and the history API; each applies the ownership rule."""

import functools
import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import ModuleType

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Lead as NextValue
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.text import Truncator
from django.utils.translation import get_language, gettext, ngettext

from crm.access import scope_to_user, visible_clients
from crm.extensions import board_money
from crm.models import Client, Task, User, client_name, source_label, staff_name
from crm.models import Lead as LeadModel
from crm.selectors import clients_filter, week_start
from crm.tally import stage_tallies
from ui import periods
from ui.formatting import format_money

from .models import LostReason, PipelineStage, StageMove

# Cards per column and per "Show more": what a screen shows and a little more. Rendering the
# cards is most of the board's time (80 % in a profile at any size), so this is its price.
COLUMN_PAGE = 20
ANALYTICS_DAYS = 90  # the analytics page's default period
ANALYTICS_MAX_DAYS = 732  # the longest period it computes (two years)
CARD_ORDER = ("-stage_changed_at", "-id")


# --- Board ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CardText:
    """The words every card repeats, translated once per language rather than once per card (a
    {% translate %} costs about as much as the rest of a card's line)."""

    actions: str
    move: str
    stale: str
    take: str
    no_trainer: str
    next_contact: str


@functools.lru_cache(maxsize=16)
def _card_text(language: str) -> CardText:
    return CardText(
        actions=gettext("Actions"),
        move=gettext("Move…"),
        stale=gettext("stale"),
        take=gettext("Take this lead"),
        no_trainer=gettext("No trainer"),
        next_contact=gettext("Next contact"),
    )


# A card's words depend on the language and one value each; these caches make them a dict lookup.
@functools.lru_cache(maxsize=1024)
def _days_label(language: str, days: int) -> str:
    return ngettext("%(days)s d", "%(days)s d", days) % {"days": days}


@functools.lru_cache(maxsize=1024)
def _day_label(language: str, day: date) -> str:
    return date_format(day, "j E")


@functools.lru_cache(maxsize=256)
def _source_label(language: str, source: str) -> str:
    return source_label(source)


@functools.lru_cache(maxsize=64)
def _task_kind_label(language: str, kind: str) -> str:
    return str(Task.Kind(kind).label) if kind in Task.Kind.values else ""


@dataclass
class Card:
    """A client's card on the board, with every text it shows already formatted: the board renders
    140 of them, and each template tag or filter per card adds up (most of the page's time)."""

    days_in_stage: int | None
    stale: bool
    text: CardText
    next_stage: PipelineStage | None = None
    detail_url: str = ""
    move_url: str = ""
    next_label: str = ""  # the next open task: its title, or its type
    next_overdue: bool = False
    paid: Decimal | None = None
    lost_reason: str = ""  # on Неактивен cards: why the client was lost
    # Display-ready:
    pk: str = ""
    name: str = ""
    source: str = ""
    days_label: str = ""
    trainer_label: str = ""
    paid_label: str = ""
    next_text: str = ""  # "Call · 5 December"
    lost_short: str = ""
    next_stage_id: str = ""
    next_is_inactive: bool = False
    take_url: str = ""  # an unassigned client a trainer may take


@dataclass
class Column:
    stage: PipelineStage
    count: int
    total: Decimal | None
    cards: list[Card] = field(default_factory=list)
    next_offset: int | None = None


@dataclass
class Board:
    columns: list[Column]
    sums_available: bool


def money_source() -> ModuleType | None:
    """Where the board's paid sums come from (payments' selectors), None when no app offers them."""
    return board_money()


def _next_stages(stages: list[PipelineStage]) -> dict[int, PipelineStage]:
    return {stage.pk: after for stage, after in itertools.pairwise(stages)}


@functools.lru_cache(maxsize=8)
def _url_pattern(name: str) -> str:
    # Reversing once and filling the id in is ~10x cheaper than {% url %} on 350 cards.
    return reverse(name, args=[987654321]).replace("987654321", "{}")


def _card(
    row: dict, stage: PipelineStage, now: datetime, next_stages: dict[int, PipelineStage]
) -> Card:
    """A card from a row of `_with_card_facts` (values, not model instances: building 140 clients
    and their trainers was a fifth of the board's time)."""
    language = get_language()
    text = _card_text(language)
    pk = row["id"]
    changed_at = row["stage_changed_at"]
    days = (now - changed_at).days if changed_at else None
    stale = bool(stage.expected_days and days is not None and days > stage.expected_days)
    lost = ""
    if stage.code == PipelineStage.Code.INACTIVE:
        lost = row["lost_reason_name"] or row["lost_notes"] or ""
    next_label = row["next_task_title"] or _task_kind_label(language, row["next_task_kind"] or "")
    paid = row["paid_total"] if money_source() is not None else None
    next_stage = next_stages.get(stage.pk)
    next_contact_at = row["next_contact_at"]
    next_text = ""
    if next_contact_at:
        when = _day_label(language, timezone.localtime(next_contact_at).date())
        next_text = f"{next_label or text.next_contact} · {when}"
    name = client_name(
        pk, row["first_name"], row["last_name"], row["telegram_username"], row["phone"]
    )
    trainer = text.no_trainer
    if row["trainer_id"]:
        trainer = staff_name(
            row["trainer__first_name"], row["trainer__last_name"], row["trainer__username"]
        )
    return Card(
        days_in_stage=days,
        stale=stale,
        text=text,
        next_stage=next_stage,
        detail_url=_url_pattern("crm:client-detail").format(pk),
        move_url=_url_pattern("pipeline:client-move").format(pk),
        next_label=next_label,
        next_overdue=bool(next_contact_at and next_contact_at < now),
        paid=paid,
        lost_reason=lost,
        pk=str(pk),
        name=name,
        source=_source_label(language, row["source"]),
        days_label=_days_label(language, days) if days is not None else "",
        trainer_label=trainer,
        paid_label=format_money(paid) if paid else "",
        next_text=next_text,
        lost_short=Truncator(lost).chars(60) if lost else "",
        next_stage_id=str(next_stage.pk) if next_stage else "",
        next_is_inactive=bool(next_stage and next_stage.code == PipelineStage.Code.INACTIVE),
        take_url="" if row["trainer_id"] else _url_pattern("crm:client-take").format(pk),
    )


def board_clients(*, user: User, filters: dict) -> QuerySet[Client]:
    filters = {k: v for k, v in filters.items() if k in ("q", "trainer", "source")}
    return clients_filter(visible_clients(user), **filters)


def column_counts(*, user: User, filters: dict, stages: list[PipelineStage]) -> list[Column]:
    """Every stage with its client count and (where payments exist) paid sum. Unfiltered, from the
    tally the database keeps (`crm.tally`: a few dozen rows whatever the number of clients);
    filtered, one grouped query over the clients that match."""
    money = money_source()
    if not any(filters.get(name) for name in ("q", "trainer", "source")):
        tallies = stage_tallies(user)
        rows = {key: {"n": t.clients, "paid": t.paid} for key, t in tallies.items()}
    else:
        sums = {"n": Count("id")}
        if money is not None:
            sums["paid"] = money.board_paid_total()
        rows = {
            row["stage"]: row
            for row in board_clients(user=user, filters=filters)
            .filter(stage__isnull=False)
            .order_by()
            .values("stage")
            .annotate(**sums)
        }
    empty = {"n": 0, "paid": None}
    return [
        Column(
            stage=stage,
            count=rows.get(stage.pk, empty)["n"],
            total=(rows.get(stage.pk, empty)["paid"] or Decimal(0)) if money is not None else None,
        )
        for stage in stages
    ]


# The columns a card reads (a client row has 50; loading them all was half the board's queries' time).
CARD_FIELDS = (
    "id",
    "first_name",
    "last_name",
    "telegram_username",
    "phone",
    "source",
    "stage_id",
    "stage_changed_at",
    "next_contact_at",
    "paid_total",
    "trainer_id",
    "trainer__first_name",
    "trainer__last_name",
    "trainer__username",
)


def _with_card_facts(queryset: QuerySet[Client]) -> QuerySet:
    """The cards' clients as rows of only what a card shows, plus, as subqueries over the (capped)
    cards, the next open task's type and why an inactive client was lost."""
    next_task = Task.objects.filter(client=OuterRef("pk"), done_at__isnull=True).order_by("due_at")
    lost = (
        StageMove.objects.filter(client=OuterRef("pk"))
        .exclude(lost_reason__isnull=True, notes="")
        .order_by("-moved_at", "-id")
    )
    return queryset.values(
        *CARD_FIELDS,
        next_task_kind=Subquery(next_task.values("kind")[:1]),
        next_task_title=Subquery(next_task.values("title")[:1]),
        lost_reason_name=Subquery(lost.values("lost_reason__name")[:1]),
        lost_notes=Subquery(lost.values("notes")[:1]),
    )


def _column_heads(
    clients: QuerySet[Client], stages: list[PipelineStage], per_column: int
) -> list[int]:
    """The ids of the first `per_column` cards of every column, in one query: a LIMIT per stage,
    each served by the column index (stage, -stage_changed_at, -id), joined with UNION ALL — the
    work is 7 × 20 index steps whatever the number of clients (a ROW_NUMBER() window over every
    staged client sorted them all)."""
    parts, params = [], []
    for index, stage in enumerate(stages):
        head = clients.filter(stage=stage).order_by(*CARD_ORDER).values_list("pk")[:per_column]
        try:
            sql, head_params = head.query.sql_with_params()
        except EmptyResultSet:  # nobody to see (an inactive user) or a filter nothing matches
            return []
        parts.append(f"SELECT * FROM ({sql}) AS column_{index}")
        params.extend(head_params)
    if not parts:
        return []
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return [pk for (pk,) in cursor.fetchall()]


def board_get(*, user: User, filters: dict, per_column: int = COLUMN_PAGE) -> Board:
    """Columns with counts, sums and the first `per_column` cards of each, in five queries
    whatever the number of clients (the cards' ids per column, then the cards themselves)."""
    now = timezone.now()
    stages = list(PipelineStage.objects.all())
    columns = column_counts(user=user, filters=filters, stages=stages)
    clients = board_clients(user=user, filters=filters)
    heads = _column_heads(clients, stages, per_column)
    cards = _with_card_facts(Client.objects.filter(pk__in=heads).order_by(*CARD_ORDER))
    by_stage = {column.stage.pk: column for column in columns}
    next_stages = _next_stages(stages)
    for row in cards if heads else []:
        column = by_stage.get(row["stage_id"])
        if column is not None:
            column.cards.append(_card(row, column.stage, now, next_stages))
    for column in columns:
        if column.count > len(column.cards):
            column.next_offset = len(column.cards)
    return Board(columns=columns, sums_available=money_source() is not None)


def column_page(
    *, user: User, stage: PipelineStage, filters: dict, offset: int, limit: int = COLUMN_PAGE
) -> tuple[list[Card], int | None]:
    """The next cards of one column and the offset after them (None at the end): one query."""
    now = timezone.now()
    rows = list(
        _with_card_facts(board_clients(user=user, filters=filters).filter(stage=stage)).order_by(
            *CARD_ORDER
        )[offset : offset + limit + 1]
    )
    more = len(rows) > limit
    next_stages = _next_stages(list(PipelineStage.objects.all()))
    cards = [_card(row, stage, now, next_stages) for row in rows[:limit]]
    return cards, (offset + limit if more else None)


def card_get(*, client: Client, stages: list[PipelineStage]) -> Card:
    """The board card of a client on a stage (after a move): one query for its facts."""
    fresh = _with_card_facts(Client.objects.filter(pk=client.pk)).get()
    return _card(fresh, client.stage, timezone.now(), _next_stages(stages))


# --- History API ----------------------------------------------------------------------------------


def stage_history(*, client: Client) -> list[dict]:
    """The client's moves, oldest first, as the history API returns them."""
    moves = StageMove.objects.filter(client=client).select_related("actor", "lost_reason")
    return [
        {
            "id": move.pk,
            "from": move.from_stage_name or None,
            "from_stage_id": move.from_stage_id,
            "to": move.to_stage_name,
            "to_stage_id": move.to_stage_id,
            "at": move.moved_at.isoformat(),
            "by": str(move.actor) if move.actor else None,
            "by_id": move.actor_id,
            "source": "automatic" if move.is_automatic else "manual",
            "event": move.event,
            "notes": move.notes,
            "lost_reason": move.lost_reason.name if move.lost_reason else None,
        }
        for move in moves.order_by("moved_at", "id")
    ]


# --- Analytics ------------------------------------------------------------------------------------


@dataclass
class FunnelStep:
    stage: PipelineStage
    reached: int
    to_next: int | None  # reached this stage and the next one
    rate: float | None  # to_next / reached


@dataclass
class SourceRow:
    source: str
    label: str
    clients: int
    paid: int

    @property
    def rate(self) -> float | None:
        return self.paid / self.clients if self.clients else None


@dataclass
class Analytics:
    now_per_stage: list[tuple[PipelineStage, int]]
    funnel: list[FunnelStep]
    median_days: list[tuple[PipelineStage, float | None, int]]
    weeks: list[tuple[datetime, int]]
    sources: list[SourceRow]
    lost_reasons: list[tuple[str, int]]
    lost_total: int
    since: datetime
    until: datetime


def _funnel(moves: QuerySet[StageMove], stages: list[PipelineStage]) -> list[FunnelStep]:
    """Per client, which stages it ever reached (one grouped row per client), summed in SQL."""
    flow = [s for s in stages if s.code != PipelineStage.Code.INACTIVE]
    if not flow:
        return []
    per_client = moves.order_by().values("client")
    reached = {}
    for index, stage in enumerate(flow):
        reached[f"r{index}"] = Max(
            # 1 when the client has a move into this stage.
            _flag(Q(to_stage=stage))
        )
    per_client = per_client.annotate(**reached)
    sums = {f"n{i}": Sum(f"r{i}") for i in range(len(flow))}
    pairs = {f"p{i}": Sum(F(f"r{i}") * F(f"r{i + 1}")) for i in range(len(flow) - 1)}
    totals = per_client.aggregate(**sums, **pairs)
    steps = []
    for index, stage in enumerate(flow):
        n = totals[f"n{index}"] or 0
        pair = totals.get(f"p{index}")
        to_next = (pair or 0) if index < len(flow) - 1 else None
        steps.append(
            FunnelStep(
                stage=stage,
                reached=n,
                to_next=to_next,
                rate=(to_next / n) if (to_next is not None and n) else None,
            )
        )
    return steps


def _flag(condition: Q) -> Case:
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


def _median_days(
    moves: QuerySet[StageMove], stages: list[PipelineStage], since: datetime, until: datetime
) -> list[tuple[PipelineStage, float | None, int]]:
    """Median days between entering a stage and the client's next move, over stays that began in
    [since, until) (stays still going are not finished, so they are left out).

    One query, medians included: each stay's length comes from the next move (LEAD over the moves
    since `since`), the stays are numbered per stage by length and the middle one (or the mean of
    the middle two) is kept — the same exact median on SQLite, which has no percentile function, and
    on PostgreSQL."""
    stays = (
        moves.filter(moved_at__gte=since)
        .annotate(
            stage_ref=F("to_stage_id"),
            entered=F("moved_at"),
            left_at=Window(
                NextValue("moved_at"), partition_by=[F("client_id")], order_by=["moved_at", "id"]
            ),
        )
        .order_by()
        .values("stage_ref", "entered", "left_at")
    )
    inner, params = stays.query.sql_with_params()
    if connection.vendor == "postgresql":
        days = "EXTRACT(EPOCH FROM (left_at - entered)) / 86400.0"
    else:
        days = "julianday(left_at) - julianday(entered)"
    sql = f"""
        SELECT stage_ref, AVG(days), MAX(n) FROM (
            SELECT stage_ref, days,
                   ROW_NUMBER() OVER (PARTITION BY stage_ref ORDER BY days) AS rn,
                   COUNT(*) OVER (PARTITION BY stage_ref) AS n
            FROM (
                SELECT stage_ref, {days} AS days FROM ({inner}) stays
                WHERE left_at IS NOT NULL AND stage_ref IS NOT NULL AND entered < %s
            ) lengths
        ) ranked
        WHERE rn IN ((n + 1) / 2, (n + 2) / 2)
        GROUP BY stage_ref
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, until])
        medians = {stage_id: (float(m), n) for stage_id, m, n in cursor.fetchall()}
    return [
        (
            stage,
            round(medians[stage.pk][0], 1) if stage.pk in medians else None,
            medians[stage.pk][1] if stage.pk in medians else 0,
        )
        for stage in stages
    ]


def _weeks(
    leads: QuerySet[LeadModel], since: datetime, until: datetime
) -> list[tuple[datetime, int]]:
    """New leads in each (local) week that overlaps [since, until) (the first one whole): one
    query over the range's leads, each week a filtered count computed by the database (boundaries are local Mondays
    worked out here, so daylight saving and the time zone are exact on every database — SQLite's
    TruncWeek would call back into Python for every row)."""
    starts = []
    start = week_start(since)
    while start < until:
        starts.append(start)
        start = week_start(start + timedelta(days=7, hours=12))
    bounds = [*starts[1:], until]
    counts = leads.filter(created_at__gte=starts[0], created_at__lt=until).aggregate(
        **{
            f"w{i}": Count("id", filter=Q(created_at__gte=a, created_at__lt=b))
            for i, (a, b) in enumerate(zip(starts, bounds, strict=True))
        }
    )
    return [(start, counts[f"w{i}"] or 0) for i, start in enumerate(starts)]


def analytics_get(
    *, user: User, since: datetime | None = None, until: datetime | None = None
) -> Analytics:
    """Everything the analytics page shows for the period [since, until) (default: the last
    `ANALYTICS_DAYS` days), in a constant number of queries whose work is bounded by the period.

    Conversion from stage k to k+1 is the share of clients that ever reached k+1 among those that
    reached k, for the clients who came in the period; median days are over stays that began in it;
    sources are the period's new clients; lost reasons are the period's losses. Clients per stage
    is the board as it is now.
    """
    until = until or timezone.now()
    since = since or until - timedelta(days=ANALYTICS_DAYS)
    stages = list(PipelineStage.objects.all())
    clients = visible_clients(user, for_analytics=True)
    moves = scope_to_user(StageMove.objects.all(), user, client_path="client", for_analytics=True)
    cohort = clients.filter(created_at__gte=since, created_at__lt=until)

    per_stage = dict(
        clients.filter(stage__isnull=False)
        .order_by()
        .values_list("stage")
        .annotate(n=Count("id"))
        .values_list("stage", "n")
    )

    leads = scope_to_user(LeadModel.objects.all(), user, client_path="client", for_analytics=True)

    labels = dict(Client.Source.choices)
    purchased = Q(stage_moves__to_stage__code=PipelineStage.Code.PURCHASED)
    sources = [
        SourceRow(
            source=row["source"],
            label=str(labels.get(row["source"], row["source"] or "—")),
            clients=row["n"],
            paid=row["paid"],
        )
        for row in cohort.order_by()
        .values("source")
        .annotate(n=Count("id", distinct=True), paid=Count("id", distinct=True, filter=purchased))
        .order_by("-n", "source")
    ]

    lost_moves = moves.filter(
        to_stage__code=PipelineStage.Code.INACTIVE,
        event=StageMove.Event.MANUAL,
        moved_at__gte=since,
        moved_at__lt=until,
    )
    lost_rows = list(
        lost_moves.order_by()
        .values_list("lost_reason__name")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    lost_reasons = [(name or "", n) for name, n in lost_rows]

    return Analytics(
        now_per_stage=[(stage, per_stage.get(stage.pk, 0)) for stage in stages],
        funnel=_funnel(moves.filter(client__in=cohort.values("pk")), stages),
        median_days=_median_days(moves, stages, since, until),
        weeks=_weeks(leads, since, until),
        sources=sources,
        lost_reasons=lost_reasons,
        lost_total=sum(n for _, n in lost_reasons),
        since=since,
        until=until,
    )


def analytics_summary(user: User) -> Analytics:
    """The default period's analytics, as `crm.summaries` stores them for each scope."""
    period = periods.default_period()
    return analytics_get(user=user, since=period.since, until=period.until)


def stage_client_counts() -> dict[int, int]:
    """Clients on each stage, everyone's: a stage with any client on it cannot be deleted."""
    return dict(
        Client.objects.filter(stage__isnull=False)
        .order_by()
        .values_list("stage")
        .annotate(n=Count("id"))
        .values_list("stage", "n")
    )


def lost_reasons_offered() -> QuerySet[LostReason]:
    return LostReason.objects.filter(is_active=True)
