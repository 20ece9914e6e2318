"""Attribution: which source (and which post, `post_<id>`) brought the bot starts, the questionnaires,
the payments and the revenue; ad spend per source and month gives CAC and revenue per rouble.

A payment belongs to the client's latest lead before it (last touch). Everything is computed for the
leads created in the chosen period, so the work is bounded by that period, not by the tables.
"""

import bisect
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from crm.models import Client, Lead
from payments.models import Payment
from payments.selectors import PAID

from .models import AdSpend, LeadFunnel, SocialPost

POST_SOURCE = re.compile(r"^post_(\d+)$")
ZERO = Decimal("0.00")


# --- recording (the bot calls these) --------------------------------------------------------------------


def _latest_lead(client: Client) -> Lead | None:
    return client.leads.order_by("-created_at", "-id").first()


@transaction.atomic
def funnel_questionnaire_started(
    *, client: Client, at: datetime | None = None
) -> LeadFunnel | None:
    """The client began the questionnaire (again): the clock for the completion time starts."""
    lead = _latest_lead(client)
    if lead is None:
        return None
    funnel, _created = LeadFunnel.objects.select_for_update().get_or_create(lead=lead)
    if funnel.questionnaire_completed_at is None:
        funnel.questionnaire_started_at = at or timezone.now()
        funnel.save(update_fields=["questionnaire_started_at"])
    return funnel


@transaction.atomic
def funnel_questionnaire_completed(
    *, client: Client, at: datetime | None = None
) -> LeadFunnel | None:
    """The client finished it; a repeat (a replayed update) changes nothing."""
    lead = _latest_lead(client)
    if lead is None:
        return None
    funnel, _created = LeadFunnel.objects.select_for_update().get_or_create(lead=lead)
    if funnel.questionnaire_completed_at is None:
        funnel.questionnaire_completed_at = at or timezone.now()
        if funnel.questionnaire_started_at is None:
            funnel.questionnaire_started_at = funnel.questionnaire_completed_at
        funnel.save(update_fields=["questionnaire_started_at", "questionnaire_completed_at"])
    return funnel


# --- the report ---------------------------------------------------------------------------------------


@dataclass
class SourceRow:
    source: str
    post: SocialPost | None = None
    starts: int = 0
    questionnaires_started: int = 0
    questionnaires_completed: int = 0
    completion_seconds: list[float] = field(default_factory=list)
    payments: int = 0
    paying_clients: set[int] = field(default_factory=set)
    revenue: Decimal = ZERO
    spend: Decimal = ZERO

    @property
    def average_completion(self) -> timedelta | None:
        if not self.completion_seconds:
            return None
        return timedelta(seconds=round(sum(self.completion_seconds) / len(self.completion_seconds)))

    @property
    def customers(self) -> int:
        return len(self.paying_clients)

    @property
    def cac(self) -> Decimal | None:
        """Spend per paying client."""
        if not self.spend or not self.customers:
            return None
        return (self.spend / self.customers).quantize(Decimal("0.01"))

    @property
    def revenue_per_rouble(self) -> Decimal | None:
        if not self.spend:
            return None
        return (self.revenue / self.spend).quantize(Decimal("0.01"))

    @property
    def conversion(self) -> float | None:
        return self.customers / self.starts * 100 if self.starts else None


@dataclass
class AttributionReport:
    date_from: date
    date_to: date
    sources: list[SourceRow]
    posts: list[SourceRow]


def _months(date_from: date, date_to: date) -> list[date]:
    months, current = [], date_from.replace(day=1)
    while current <= date_to:
        months.append(current)
        current = (current + timedelta(days=32)).replace(day=1)
    return months


def attribution_report(*, date_from: date, date_to: date) -> AttributionReport:
    """Leads created from `date_from` to `date_to` (local dates, inclusive), by source and by post.

    A fixed number of queries whatever the period holds (six)."""
    tz = timezone.get_current_timezone()
    start = datetime.combine(date_from, datetime.min.time(), tzinfo=tz)
    end = datetime.combine(date_to + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    leads = list(
        Lead.objects.filter(created_at__gte=start, created_at__lt=end, client__is_preview=False)
        .values("id", "client_id", "source", "created_at")
        .order_by("created_at", "id")
    )
    rows: dict[str, SourceRow] = {}

    def row(source: str) -> SourceRow:
        if source not in rows:
            rows[source] = SourceRow(source=source)
        return rows[source]

    for lead in leads:
        row(lead["source"] or "—").starts += 1
    lead_ids = [lead["id"] for lead in leads]
    source_of = {lead["id"]: lead["source"] or "—" for lead in leads}
    for funnel in LeadFunnel.objects.filter(lead_id__in=lead_ids).values(
        "lead_id", "questionnaire_started_at", "questionnaire_completed_at"
    ):
        target = row(source_of[funnel["lead_id"]])
        if funnel["questionnaire_started_at"]:
            target.questionnaires_started += 1
        if funnel["questionnaire_completed_at"]:
            target.questionnaires_completed += 1
            if funnel["questionnaire_started_at"]:
                target.completion_seconds.append(
                    (
                        funnel["questionnaire_completed_at"] - funnel["questionnaire_started_at"]
                    ).total_seconds()
                )
    # Last touch: each paid payment of these clients goes to their latest lead before it — which
    # counts here only when that lead is one of the period's.
    clients = {lead["client_id"] for lead in leads}
    touches: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    for lead in (
        Lead.objects.filter(client_id__in=clients)
        .values("id", "client_id", "created_at")
        .order_by("created_at", "id")
    ):
        touches[lead["client_id"]].append((lead["created_at"], lead["id"]))
    in_period = set(lead_ids)
    for payment in Payment.objects.filter(
        client_id__in=clients, status__in=PAID, paid_at__isnull=False
    ).values("client_id", "paid_at", net=F("amount") - F("refunded_amount")):
        history = touches[payment["client_id"]]
        index = bisect.bisect_right([at for at, _pk in history], payment["paid_at"]) - 1
        if index < 0 or history[index][1] not in in_period:
            continue
        target = row(source_of[history[index][1]])
        target.payments += 1
        target.paying_clients.add(payment["client_id"])
        target.revenue += payment["net"]
    for spend in (
        AdSpend.objects.filter(month__in=_months(date_from, date_to))
        .values("source")
        .annotate(total=Sum("amount"))
    ):
        row(spend["source"]).spend += spend["total"]
    post_ids = {int(match.group(1)) for source in rows if (match := POST_SOURCE.match(source))}
    titles = SocialPost.objects.in_bulk(post_ids)
    posts = []
    for source, item in rows.items():
        match = POST_SOURCE.match(source)
        if match:
            item.post = titles.get(int(match.group(1)))
            posts.append(item)
    ordered = sorted(rows.values(), key=lambda r: (-r.revenue, -r.starts, r.source))
    return AttributionReport(
        date_from=date_from,
        date_to=date_to,
        sources=ordered,
        posts=sorted(posts, key=lambda r: (-r.revenue, -r.starts, r.source)),
    )


@transaction.atomic
def adspend_set(*, source: str, month: date, amount: Decimal) -> AdSpend:
    """Enter (or correct) what a source cost in a month."""
    spend, _created = AdSpend.objects.update_or_create(
        source=source.strip(), month=month.replace(day=1), defaults={"amount": amount}
    )
    return spend
