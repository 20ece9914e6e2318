"""Reads that pages rely on; each takes the user and applies the ownership rule."""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from pipeline.models import PipelineStage, StageMove
from ui.paging import Capped, Counted, IdsFirst

from .access import scope_to_user, visible_clients
from .extensions import TimelineItem, client_timeline
from .models import Client, ClientContact, Lead, Notification, Task, User, search_fold
from .phones import phone_search_digits
from .tally import stage_tallies, unassigned_leads

UNASSIGNED = "none"  # the trainer filter's value for clients without a trainer


@dataclass
class StageCount:
    stage: PipelineStage
    clients: int


# A count beyond this shows as "100+" (see `counts_capped`): enough to tell a lot from a little, and
# bounded work — PostgreSQL finds each task's client by scanning clients, so the cap is its price.
COUNT_CAP = 100


def _counts(querysets: dict, limit: int | None) -> dict:
    """Each queryset's count (up to `limit` rows each when given), all in one query: each branch
    is counted on its own — a range of its index — where one query with an OR of their conditions
    reads the whole table."""
    parts, params, names = [], [], []
    for index, (name, queryset) in enumerate(querysets.items()):
        rows = queryset.order_by().values("pk")
        try:
            sql, branch_params = (rows[:limit] if limit else rows).query.sql_with_params()
        except EmptyResultSet:  # a filter that nothing can match
            continue
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS branch_{index})")
        params.extend(branch_params)
        names.append(name)
    counted = dict.fromkeys(querysets, 0)
    if parts:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {', '.join(parts)}", params)
            counted.update(zip(names, cursor.fetchone(), strict=True))
    return counted


def counts_capped(querysets: dict, cap: int | None = None) -> dict[object, Capped]:
    """Each queryset's count up to `cap` (COUNT_CAP): at most `cap` + 1 index entries each
    whatever the size of the business, where an exact count reads them all."""
    cap = cap or COUNT_CAP
    return {name: Capped.of(n, cap) for name, n in _counts(querysets, cap + 1).items()}


def _stale_capped(branches: list[QuerySet]) -> Capped:
    counted = counts_capped(dict(enumerate(branches))).values()
    return Capped.of(sum(counted), COUNT_CAP, more=any(n.more for n in counted))


@dataclass
class Dashboard:
    stages: list[StageCount]
    total_clients: int
    unstaged_clients: int
    new_leads_this_week: int
    new_clients_this_week: int
    follow_ups: list[Client]
    follow_ups_total: Capped
    stale: list[Client]
    stale_total: Capped
    week_start: datetime


def week_start(now: datetime | None = None) -> datetime:
    """Monday 00:00 of the current week in the site's time zone."""
    local = timezone.localtime(now)
    monday = local - timedelta(days=local.weekday())
    return monday.replace(hour=0, minute=0, second=0, microsecond=0)


def end_of_today(now: datetime | None = None) -> datetime:
    local = timezone.localtime(now)
    return local.replace(hour=23, minute=59, second=59, microsecond=999999)


def follow_ups_due(user: User, *, now: datetime | None = None) -> QuerySet[Client]:
    """Clients whose next contact is due today or overdue, oldest first."""
    return (
        visible_clients(user)
        .filter(next_contact_at__lte=end_of_today(now))
        .select_related("stage", "trainer")
        .order_by("next_contact_at", "id")
    )


def dashboard_get(*, user: User, follow_up_limit: int = 10, exact: bool = False) -> Dashboard:
    """Numbers for the dashboard, in a constant number of queries. Clients per stage come from the
    tally; follow-ups due and stuck clients are counted up to COUNT_CAP ("100+") unless `exact`
    (the API's overview, where an integration wants the number whatever it costs)."""
    since = week_start()
    clients = visible_clients(user, for_analytics=True)
    per_stage = {key: t.clients for key, t in stage_tallies(user, for_analytics=True).items()}
    all_stages = list(PipelineStage.objects.all())
    stages = [StageCount(stage=stage, clients=per_stage.get(stage.pk, 0)) for stage in all_stages]
    # Stale: per stage, an index range of (stage, stage_changed_at) — one OR over the stages read
    # the whole table. The longest-waiting: the first few of each stage, merged.
    now = timezone.now()
    stale_by_stage = [
        clients.filter(stage=stage, stage_changed_at__lt=now - timedelta(days=stage.expected_days))
        for stage in all_stages
        if stage.expected_days
    ]
    stale_ids = merged_ids(
        [stale.order_by("stage_changed_at", "id") for stale in stale_by_stage],
        key="stage_changed_at",
        descending=False,
        offset=0,
        limit=follow_up_limit,
    )
    due = follow_ups_due(user)
    stale_clients = (
        list(
            Client.objects.filter(pk__in=stale_ids)
            .select_related("stage", "trainer")
            .order_by("stage_changed_at", "id")
        )
        if stale_ids
        else []
    )
    for client in stale_clients:
        client.days_in_stage = (now - client.stage_changed_at).days
    return Dashboard(
        stages=stages,
        total_clients=sum(per_stage.values()),
        unstaged_clients=per_stage.get(None, 0),
        new_leads_this_week=scope_to_user(
            Lead.objects, user, client_path="client", for_analytics=True
        )
        .filter(created_at__gte=since)
        .count(),
        new_clients_this_week=clients.filter(created_at__gte=since).count(),
        follow_ups=list(due[:follow_up_limit]),
        follow_ups_total=Capped(due.count()) if exact else counts_capped({"due": due})["due"],
        stale=stale_clients,
        stale_total=Capped(counts_summed(stale_by_stage))
        if exact
        else _stale_capped(stale_by_stage),
        week_start=since,
    )


# --- Client list ----------------------------------------------------------------------------------


def clients_search(queryset: QuerySet[Client], text: str) -> QuerySet[Client]:
    """Match by name words, phone digits in any format, @username or e-mail (ё = е, any case).

    A query that looks like a phone ("8 (916) 123-45", "+7 916…") is one run of digits; otherwise
    every word must appear in the client's folded search text (see `Client.build_search_text`).
    """
    text = text.strip()
    if not text:
        return queryset
    digits = phone_search_digits(text)
    if len(digits) >= 3 and re.fullmatch(r"[\d\s()+\-.]+", text):
        return queryset.filter(search_text__contains=digits)
    for word in search_fold(text).split():
        queryset = queryset.filter(search_text__contains=word)
    return queryset


def clients_filter(
    queryset: QuerySet[Client],
    *,
    q: str = "",
    trainer: str = "",
    source: str = "",
    stage: PipelineStage | None = None,
    follow_up_due: bool = False,
    owes: bool = False,
    created_from: date | None = None,
    created_to: date | None = None,
) -> QuerySet[Client]:
    """The filters of the client list and the board; empty values do not filter.

    `owes` and the "debt" sort read the front desk's per-client account (`account`, kept by
    desk.services) by its relation name: crm imports no other app."""
    queryset = clients_search(queryset, q)
    if trainer == UNASSIGNED:
        queryset = queryset.filter(trainer__isnull=True)
    elif trainer:
        queryset = queryset.filter(trainer_id=trainer)
    if source:
        queryset = queryset.filter(source=source)
    if stage is not None:
        queryset = queryset.filter(stage=stage)
    if follow_up_due:
        queryset = queryset.filter(next_contact_at__lte=end_of_today())
    if owes:
        queryset = queryset.filter(account__debt__gt=0)
    tz = timezone.get_current_timezone()
    if created_from:
        queryset = queryset.filter(
            created_at__gte=datetime.combine(created_from, time.min, tzinfo=tz)
        )
    if created_to:
        queryset = queryset.filter(
            created_at__lt=datetime.combine(created_to + timedelta(days=1), time.min, tzinfo=tz)
        )
    return queryset


CLIENT_SORTS: dict[str, list] = {
    "name": ["last_name", "first_name", "id"],
    "created": ["created_at", "id"],
    "stage": [F("stage__order").asc(nulls_first=True), "id"],
    "next_contact": [F("next_contact_at").asc(nulls_last=True), "id"],
    "last_contact": [F("last_contact_at").asc(nulls_first=True), "id"],
    "debt": [F("account__debt").asc(nulls_first=True), "id"],
}


def clients_sorted(queryset: QuerySet[Client], sort: str) -> QuerySet[Client]:
    """Order by a column of the list: `name`, `-created` (default), …; unknown keys fall back."""
    key = sort.lstrip("-")
    if key not in CLIENT_SORTS:
        return queryset.order_by("-created_at", "-id")
    fields = CLIENT_SORTS[key]
    if sort.startswith("-"):
        fields = [_reverse(f) for f in CLIENT_SORTS[key]]
    return queryset.order_by(*fields)


def _reverse(field):
    if isinstance(field, str):
        return field[1:] if field.startswith("-") else f"-{field}"
    # An OrderBy(F(...)): flip the direction and keep empty values at the end.
    return F(field.expression.name).desc(nulls_last=True)


class OwnedOrUnassigned(IdsFirst):
    """A trainer's list (their clients and the unassigned ones) in creation order, as Paginator's
    object list: a page is the first offset+size rows of each side — each served by the index
    (trainer, -created_at) — merged by the database (UNION ALL, then ORDER BY … LIMIT), then those
    rows loaded by id. `trainer = me OR trainer IS NULL` made SQLite sort every visible client to
    return 50."""

    def __init__(self, queryset: QuerySet[Client], user: User, ordering: list[str]):
        super().__init__(queryset.order_by(*ordering))
        self.mine = queryset.filter(trainer=user)
        self.unassigned = queryset.filter(trainer__isnull=True)
        self.ordering = ordering

    def count(self) -> int:
        return counts_summed([self.mine, self.unassigned])

    def page_ids(self, index: slice) -> list[int]:
        start, stop = index.start or 0, index.stop
        return merged_ids(
            [self.mine.order_by(*self.ordering), self.unassigned.order_by(*self.ordering)],
            key="created_at",
            descending=self.ordering[0].startswith("-"),
            offset=start,
            limit=stop - start,
        )


def merged_ids(
    branches: list[QuerySet], *, key: str, descending: bool, offset: int, limit: int
) -> list[int]:
    """Ids of rows offset..offset+limit of several ordered querysets taken as one list ordered by
    (key, id): each branch reads only its first offset+limit rows (a LIMIT its index serves), the
    database merges them (UNION ALL, ORDER BY, LIMIT). One query."""
    if limit <= 0:
        return []
    parts, params = [], []
    for index, branch in enumerate(branches):
        head = branch.values_list("pk", key)[: offset + limit]
        try:
            sql, head_params = head.query.sql_with_params()
        except EmptyResultSet:  # a filter that nothing can match
            continue
        parts.append(f"SELECT * FROM ({sql}) AS branch_{index}")
        params.extend(head_params)
    if not parts:
        return []
    direction = "DESC" if descending else "ASC"
    sql = (
        f"SELECT pk FROM ({' UNION ALL '.join(parts)}) AS merged "
        f"ORDER BY {key} {direction}, pk {direction} LIMIT %s OFFSET %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit, offset])
        return [pk for (pk,) in cursor.fetchall()]


def counts_summed(branches: list[QuerySet]) -> int:
    """The sum of several querysets' exact counts, in one query (see `_counts`)."""
    return sum(_counts(dict(enumerate(branches)), None).values())


def clients_listed(
    *, user: User, queryset: QuerySet[Client], filters: dict, sort: str
) -> QuerySet[Client] | OwnedOrUnassigned | Counted:
    """The client list's rows for Paginator: the user's visible clients, filtered and sorted; a
    trainer's list in creation order reads its two sides separately (see OwnedOrUnassigned).
    Unfiltered, the total comes from the tally instead of counting every client."""
    key = sort if sort.lstrip("-") in CLIENT_SORTS else "-created"
    if user.is_trainer and key.lstrip("-") == "created" and not filters.get("trainer"):
        ordering = ["created_at", "id"] if key == "created" else ["-created_at", "-id"]
        rows = OwnedOrUnassigned(clients_filter(queryset, **filters), user, ordering)
    else:
        rows = clients_sorted(clients_filter(scope_to_user(queryset, user), **filters), sort)
    if any(filters.values()):
        return rows
    return Counted(rows, sum(tally.clients for tally in stage_tallies(user).values()))


# --- Client page ----------------------------------------------------------------------------------


def client_timeline_get(*, client: Client, limit: int = 50) -> list[TimelineItem]:
    """Actions, contacts, stage moves and what other apps add, newest first (constant queries)."""
    items: list[TimelineItem] = []
    for action in client.actions.select_related("author")[:limit]:
        items.append(
            TimelineItem(
                at=action.happened_at,
                kind="action",
                title=f"{action.get_kind_display()}"
                + (f" · {action.author}" if action.author else ""),
                text=action.description,
            )
        )
    for contact in client.contacts.all()[:limit]:
        arrow = "←" if contact.direction == ClientContact.Direction.INBOUND else "→"
        items.append(
            TimelineItem(
                at=contact.sent_at,
                kind="contact",
                title=f"{arrow} {contact.get_channel_display()}",
                text=contact.text,
            )
        )
    for move in StageMove.objects.filter(client=client).select_related("actor", "lost_reason")[
        :limit
    ]:
        who = str(move.actor) if move.actor else move.get_event_display()
        text = " · ".join(part for part in (str(move.lost_reason or ""), move.notes) if part)
        items.append(
            TimelineItem(
                at=move.moved_at,
                kind="stage",
                title=f"{move.from_stage_name or '—'} → {move.to_stage_name} · {who}",
                text=text,
            )
        )
    items.extend(client_timeline(client=client, limit=limit))
    return sorted(items, key=lambda item: item.at, reverse=True)[:limit]


def client_duplicates(
    *, phone: str = "", telegram_username: str = "", telegram_id: int | None = None
) -> list[Client]:
    """Existing clients with this phone, Telegram username or id (whoever they belong to).

    The username is compared as LOWER(…) = lower, which the `client_tg_username_lower_idx`
    expression index answers; `__iexact` (LIKE on SQLite, UPPER() on PostgreSQL) read the whole
    table for every new client (bench/desk.py: 350 ms per imported row at 100,000 clients).
    Telegram usernames are ASCII, so both compare the same."""
    condition = Q(pk__in=[])
    if phone:
        condition |= Q(phone=phone)
    if telegram_username:
        condition |= Q(tg_lower=telegram_username.lower())
    if telegram_id:
        condition |= Q(telegram_id=telegram_id)
    clients = Client.objects.alias(tg_lower=Lower("telegram_username"))
    return list(clients.filter(condition).order_by("id")[:5])


# --- Today: my tasks, overdue first -------------------------------------------------------------------


@dataclass
class Today:
    overdue: list
    today: list
    upcoming: list
    overdue_total: Capped
    today_total: Capped
    upcoming_total: Capped
    done_today: Capped
    leads: list[Client]  # unassigned leads a trainer may take
    leads_total: int
    now: datetime


def tasks_visible(user: User) -> QuerySet[Task]:
    return scope_to_user(Task.objects.all(), user, client_path="client")


def today_get(*, user: User, limit: int = 25, upcoming_days: int = 7) -> Today:
    """The Today page in a constant number of queries, each bounded: the lists capped at `limit`,
    the counts at COUNT_CAP (a trainer's open tasks grow with the business: 8,000 at 100,000 demo
    clients, and counting them all was most of the page), the unassigned leads from the tally."""
    now = timezone.now()
    end = end_of_today(now)
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    horizon = end + timedelta(days=upcoming_days)
    mine = tasks_visible(user).filter(assignee=user)
    open_ = mine.filter(done_at__isnull=True)
    counts = counts_capped(
        {
            "overdue": open_.filter(due_at__lt=now),
            "today": open_.filter(due_at__gte=now, due_at__lte=end),
            "upcoming": open_.filter(due_at__gt=end, due_at__lte=horizon),
            "done": mine.filter(done_at__gte=start),
        }
    )
    related = open_.select_related("client", "client__stage").order_by("due_at", "id")
    leads: list[Client] = []
    leads_total = 0
    if user.is_trainer:
        unassigned = visible_clients(user).filter(trainer__isnull=True, is_preview=False)
        leads = list(unassigned.select_related("stage").order_by("-created_at", "-id")[:5])
        leads_total = unassigned_leads() if len(leads) == 5 else len(leads)
    return Today(
        overdue=list(related.filter(due_at__lt=now)[:limit]),
        today=list(related.filter(due_at__gte=now, due_at__lte=end)[:limit]),
        upcoming=list(related.filter(due_at__gt=end, due_at__lte=horizon)[:limit]),
        overdue_total=counts["overdue"],
        today_total=counts["today"],
        upcoming_total=counts["upcoming"],
        done_today=counts["done"],
        leads=leads,
        leads_total=leads_total,
        now=now,
    )


def workspace_badges_get(*, user: User) -> dict[str, int]:
    """The numbers in the navigation: my overdue tasks and unread notifications, in one query."""

    def count_of(queryset: QuerySet, owner: str) -> Coalesce:
        counted = queryset.order_by().values(owner).annotate(n=Count("id")).values("n")[:1]
        return Coalesce(Subquery(counted), 0)

    overdue = Task.objects.filter(
        assignee=OuterRef("pk"), done_at__isnull=True, due_at__lt=timezone.now()
    )
    unread = Notification.objects.filter(recipient=OuterRef("pk"), read_at__isnull=True)
    row = (
        User.objects.filter(pk=user.pk)
        .annotate(overdue=count_of(overdue, "assignee"), unread=count_of(unread, "recipient"))
        .values("overdue", "unread")
        .first()
    )
    return row or {"overdue": 0, "unread": 0}
