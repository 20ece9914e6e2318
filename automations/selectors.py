"""Who a rule applies to right now: one query (or a few) over all clients, never one per client.

`rule_candidates` returns a queryset of (`cid`, `occ`) rows — the client and the occurrence key
that makes "once per client and occurrence" checkable by the database — excluding occurrences the
rule has already fired for. The same query serves the engine, "who would receive this now" and
the live preview.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import (
    Case,
    CharField,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone

from academy.models import Membership, MembershipPlan
from crm.models import Client, ClientContact
from payments.models import Payment, Subscription
from pipeline.models import StageMove
from privacy.selectors import clients_messageable
from programs.models import TrainingProgram
from progress.models import ProgressJournal

from .models import NpsResponse, Rule, Run

Trigger = Rule.Trigger
WEEK = timedelta(days=7)


def _text(expression) -> Cast:
    return Cast(expression, output_field=CharField())


def _key(prefix: str, *parts) -> Concat:
    items: list = [Value(prefix)]
    for index, part in enumerate(parts):
        if index:
            items.append(Value(":"))
        items.append(_text(part))
    return Concat(*items, output_field=CharField())


def rule_since(rule: Rule) -> datetime:
    return rule.active_since or rule.created_at or timezone.now()


def _paid_programs(now: datetime) -> QuerySet:
    """Delivered paid programs that are the client's latest (a repeat purchase replaces the old)."""
    newer = TrainingProgram.objects.filter(
        client=OuterRef("client_id"),
        kind=TrainingProgram.Kind.PAID,
        delivered_at__gt=OuterRef("delivered_at"),
    )
    return TrainingProgram.objects.filter(
        kind=TrainingProgram.Kind.PAID, delivered_at__isnull=False, delivered_at__lte=now
    ).exclude(Exists(newer))


def _stage(rule: Rule, now: datetime, since: datetime) -> tuple[QuerySet, str]:
    last_move = (
        StageMove.objects.filter(client=OuterRef("pk"), to_stage=rule.stage_id)
        .order_by("-moved_at", "-id")
        .values("pk")[:1]
    )
    delay = rule.delay if rule.trigger == Trigger.STAGE_STUCK else timedelta(0)
    queryset = Client.objects.filter(
        stage_id=rule.stage_id,
        stage_changed_at__lte=now - delay,
        stage_changed_at__gte=since - delay,
    ).annotate(
        cid=F("pk"),
        occ=_key("m", Coalesce(Subquery(last_move), Value(0))),
    )
    return queryset, ""


def _program_delivered(rule: Rule, now: datetime, since: datetime) -> tuple[QuerySet, str]:
    queryset = _paid_programs(now).filter(
        delivered_at__lte=now - rule.delay, delivered_at__gte=since - rule.delay
    )
    return queryset.annotate(cid=F("client_id"), occ=_key("p", F("pk"))), "client__"


def _program_week(rule: Rule, now: datetime, since: datetime) -> tuple[QuerySet, str]:
    programs = _paid_programs(now)
    longest = programs.aggregate(longest=Max("weeks"))["longest"] or 0
    weeks = [rule.week] if rule.week else list(range(1, longest + 1))
    shifted = now - rule.delay  # the rule fires `delay` after the week begins
    match, whens = Q(pk__in=[]), []
    for week in weeks:
        window = Q(
            weeks__gte=week,
            delivered_at__lte=shifted - (week - 1) * WEEK,
            delivered_at__gt=shifted - week * WEEK,
            delivered_at__gte=since - rule.delay - (week - 1) * WEEK,
        )
        match |= window
        whens.append(When(window, then=Value(week)))
    queryset = programs.filter(match).annotate(
        program_week=Case(*whens, default=Value(0), output_field=IntegerField())
    )
    return (
        queryset.annotate(cid=F("client_id"), occ=_key("p", F("pk"), F("program_week"))),
        "client__",
    )


def _program_ended(rule: Rule, now: datetime, since: datetime) -> tuple[QuerySet, str]:
    programs = _paid_programs(now)
    match = Q(pk__in=[])
    for weeks in programs.values_list("weeks", flat=True).distinct().order_by():
        length = weeks * WEEK + rule.delay
        match |= Q(weeks=weeks, delivered_at__lte=now - length, delivered_at__gte=since - length)
    queryset = programs.filter(match)
    return queryset.annotate(cid=F("client_id"), occ=_key("p", F("pk"))), "client__"


def _no_checkin(rule: Rule, now: datetime, since: datetime) -> tuple[QuerySet, str]:
    latest = ProgressJournal.objects.filter(client=OuterRef("pk")).order_by("-created_at", "-id")
    queryset = (
        Client.objects.annotate(
            last_checkin_id=Subquery(latest.values("pk")[:1]),
            last_checkin_at=Subquery(latest.values("created_at")[:1]),
        )
        .filter(
            last_checkin_at__lte=now - rule.delay,
            last_checkin_at__gte=since - rule.delay,
        )
        .annotate(cid=F("pk"), occ=_key("j", F("last_checkin_id")))
    )
    return queryset, ""


def _membership_ends(rule: Rule, now: datetime, since: datetime) -> list[tuple[QuerySet, str]]:
    """Both kinds of membership: the academy's (bought as a plan; one per payment) and a tariff's
    subscription period (payments). A plan's tariff also extends a subscription: that one is the
    academy membership's shadow and is left out, so a client hears once."""
    today = timezone.localdate(now)
    days = timedelta(days=rule.delay.days)
    since_day = timezone.localdate(since)
    if days:  # "ends in N days": still running, ending within N days
        match = Q(ends_on__gt=today, ends_on__lte=today + days, ends_on__gte=since_day + days)
    else:  # "ends today / has ended"
        match = Q(ends_on__lte=today, ends_on__gte=since_day)
    plan = MembershipPlan.objects.filter(tariff=OuterRef("tariff_id"))
    # A tariff that grants the program ends with the program (the program-end rules), not here.
    subscriptions = (
        Subscription.objects.filter(match, tariff__grants_paid_program=False)
        .exclude(Exists(plan))
        .annotate(cid=F("client_id"), occ=_key("s", F("pk"), F("ends_on")))
    )
    Status = Membership.Status
    # Renewed already (a newer membership runs past this one): nothing to remind of.
    renewed = Membership.objects.filter(
        client=OuterRef("client_id"), status=Status.ACTIVE, ends_on__gt=OuterRef("ends_on")
    ).exclude(pk=OuterRef("pk"))
    memberships = (
        Membership.objects.filter(match)
        .filter(status__in=[Status.ACTIVE] if days else [Status.ACTIVE, Status.EXPIRED])
        .exclude(Exists(renewed))
        .annotate(cid=F("client_id"), occ=_key("am", F("pk"), F("ends_on")))
    )
    return [(subscriptions, "client__"), (memberships, "client__")]


def _payment_pending(rule: Rule, now: datetime, since: datetime) -> tuple[QuerySet, str]:
    queryset = Payment.objects.filter(
        status=Payment.Status.PENDING,
        created_at__lte=now - rule.delay,
        created_at__gte=since - rule.delay,
    ).annotate(cid=F("client_id"), occ=_key("pay", F("pk")))
    return queryset, "client__"


def _nps_answered(rule: Rule, now: datetime, since: datetime) -> tuple[QuerySet, str]:
    queryset = NpsResponse.objects.filter(
        score__gte=rule.nps_min,
        score__lte=rule.nps_max,
        created_at__lte=now - rule.delay,
        created_at__gte=since,
    ).annotate(cid=F("client_id"), occ=_key("n", F("pk")))
    return queryset, "client__"


TRIGGERS = {
    Trigger.STAGE_ENTERED: _stage,
    Trigger.STAGE_STUCK: _stage,
    Trigger.PROGRAM_DELIVERED: _program_delivered,
    Trigger.PROGRAM_WEEK: _program_week,
    Trigger.PROGRAM_ENDED: _program_ended,
    Trigger.NO_CHECKIN: _no_checkin,
    Trigger.MEMBERSHIP_ENDS: _membership_ends,
    Trigger.PAYMENT_PENDING: _payment_pending,
    Trigger.NPS_ANSWERED: _nps_answered,
}


def _paid(**extra) -> Exists:
    return Exists(
        Payment.objects.filter(client_id=OuterRef("cid"), status=Payment.Status.SUCCEEDED, **extra)
    )


def _conditions(rule: Rule, queryset: QuerySet, prefix: str) -> QuerySet:
    queryset = queryset.filter(**{f"{prefix}is_preview": False})
    if prefix:  # a forgotten client is gone from automations too (`Client.objects` hides them)
        queryset = queryset.filter(cid__in=Client.objects.values("pk"))
    if rule.if_stage_id:
        queryset = queryset.filter(**{f"{prefix}stage_id": rule.if_stage_id})
    if rule.if_source:
        queryset = queryset.filter(**{f"{prefix}source": rule.if_source})
    if rule.if_trainer_id:
        queryset = queryset.filter(**{f"{prefix}trainer_id": rule.if_trainer_id})
    if rule.if_paid == Rule.Paid.YES:
        queryset = queryset.filter(_paid())
    elif rule.if_paid == Rule.Paid.NO:
        queryset = queryset.exclude(_paid())
    if rule.if_tariff_id:
        queryset = queryset.filter(_paid(tariff_id=rule.if_tariff_id))
    return queryset


def rule_candidates(
    rule: Rule,
    *,
    now: datetime | None = None,
    client_ids: list[int] | None = None,
    clients: QuerySet | None = None,
    include_fired: bool = False,
    since: datetime | None = None,
) -> QuerySet:
    """Rows (`cid`, `occ`) the rule would fire for now, conditions applied; preview clients never.

    `client_ids` / `clients` narrow it to some clients; `include_fired` keeps occurrences already
    fired; `since` replaces the rule's horizon (the editor's "who matches now" looks at every
    current occurrence). A trigger with two sources (memberships) is a UNION ALL of both — still
    one statement.
    """
    now = now or timezone.now()
    if rule.trigger in (Trigger.STAGE_ENTERED, Trigger.STAGE_STUCK) and not rule.stage_id:
        return Client.objects.none().values_list("pk", "pk")
    parts = TRIGGERS[rule.trigger](rule, now, since or rule_since(rule))
    rows = []
    for queryset, prefix in parts if isinstance(parts, list) else [parts]:
        queryset = _conditions(rule, queryset, prefix)
        if client_ids is not None:
            queryset = queryset.filter(cid__in=client_ids)
        if clients is not None:
            queryset = queryset.filter(cid__in=clients.values("pk"))
        if not include_fired and rule.pk:
            fired = Run.objects.filter(
                rule=rule.pk, client_id=OuterRef("cid"), occurrence=OuterRef("occ")
            )
            queryset = queryset.exclude(Exists(fired))
        rows.append(queryset.order_by().values_list("cid", "occ"))
    return rows[0].union(*rows[1:], all=True) if len(rows) > 1 else rows[0]


# --- pages --------------------------------------------------------------------------------------------

LONG_AGO = datetime(2000, 1, 1, tzinfo=timezone.get_fixed_timezone(0))
OUTCOME_WINDOW = timedelta(days=7)
STATS_PERIOD = timedelta(days=90)


@dataclass
class Audience:
    count: int = 0
    clients: list = field(default_factory=list)


def rule_audience(*, rule: Rule, clients: QuerySet, limit: int = 20) -> Audience:
    """Clients the (maybe unsaved) rule matches now — trigger and conditions, not yet fired for
    this occurrence — among `clients`: how many, and the first `limit` of them. Two queries."""
    if rule.message.strip():  # a message reaches only those privacy lets us write to
        clients = clients_messageable(clients)
    rows = rule_candidates(rule, since=LONG_AGO, clients=clients)
    count = rows.count()
    ids = {cid for cid, _occ in rows[: limit * 2]}
    shown = list(Client.objects.filter(pk__in=ids).order_by("first_name", "pk")[:limit])
    return Audience(count=count, clients=shown)


@dataclass
class RuleStats:
    sent: int = 0
    answered: int = 0
    paid: int = 0


def _within_week() -> ExpressionWrapper:
    return ExpressionWrapper(F("done_at") + OUTCOME_WINDOW, output_field=DateTimeField())


def _outcomes(runs: QuerySet) -> QuerySet:
    answered = ClientContact.objects.filter(
        client=OuterRef("client_id"),
        direction=ClientContact.Direction.INBOUND,
        sent_at__gte=OuterRef("done_at"),
        sent_at__lte=OuterRef("week_end"),
    )
    paid = Payment.objects.filter(
        client=OuterRef("client_id"),
        status=Payment.Status.SUCCEEDED,
        paid_at__gte=OuterRef("done_at"),
        paid_at__lte=OuterRef("week_end"),
    )
    return runs.annotate(week_end=_within_week()).annotate(
        was_answered=Exists(answered), was_paid=Exists(paid)
    )


def rule_stats(*, runs: QuerySet, now: datetime | None = None) -> dict[int, RuleStats]:
    """Per rule, over the last 90 days: messages sent, clients who answered (wrote or pressed a
    button) and who paid within 7 days of the message. One query."""
    now = now or timezone.now()
    sent = _outcomes(runs.filter(outbound_message__status="sent", done_at__gte=now - STATS_PERIOD))
    rows = sent.values("rule_id").annotate(
        sent=Count("pk"),
        answered=Count("pk", filter=Q(was_answered=True)),
        paid=Count("pk", filter=Q(was_paid=True)),
    )
    return {
        row["rule_id"]: RuleStats(sent=row["sent"], answered=row["answered"], paid=row["paid"])
        for row in rows.order_by()
    }


def runs_with_outcome(*, run_ids: list[int]) -> list[Run]:
    """A page of the log with what happened after each message. One query."""
    runs = Run.objects.filter(pk__in=run_ids).exclude(done_at=None)
    found = {
        run.pk: run for run in _outcomes(runs).select_related("rule", "client", "outbound_message")
    }
    rest = Run.objects.filter(pk__in=set(run_ids) - set(found)).select_related(
        "rule", "client", "outbound_message"
    )
    found.update({run.pk: run for run in rest})
    return [found[pk] for pk in run_ids if pk in found]


# --- NPS ----------------------------------------------------------------------------------------------


@dataclass
class NpsRow:
    label: str
    answers: int = 0
    promoters: int = 0
    passives: int = 0
    detractors: int = 0

    @property
    def nps(self) -> int | None:
        """Net Promoter Score: % promoters (9–10) − % detractors (0–6), −100…100."""
        if not self.answers:
            return None
        return round(100 * (self.promoters - self.detractors) / self.answers)


def _nps_counts() -> dict:
    return {
        "answers": Count("pk"),
        "promoters": Count("pk", filter=Q(score__gte=9)),
        "passives": Count("pk", filter=Q(score__in=[7, 8])),
        "detractors": Count("pk", filter=Q(score__lte=6)),
    }


@dataclass
class NpsReport:
    total: NpsRow
    by_trainer: list[NpsRow]
    by_month: list[NpsRow]


def nps_report(*, responses: QuerySet, months: int = 12) -> NpsReport:
    """NPS overall, by trainer (at the time of the answer) and by month (the last `months`).
    Three aggregate queries, whatever the number of answers."""
    from django.contrib.auth import get_user_model
    from django.db.models.functions import TruncMonth

    responses = responses.filter(client__is_preview=False).order_by()
    total = NpsRow(label="", **responses.aggregate(**_nps_counts()))
    names = {
        user.pk: str(user)
        for user in get_user_model().objects.filter(
            pk__in=responses.values("trainer_id").distinct()
        )
    }
    by_trainer = [
        NpsRow(label=names.get(row.pop("trainer_id"), "—"), **row)
        for row in responses.values("trainer_id").annotate(**_nps_counts())
    ]
    by_trainer.sort(key=lambda row: -row.answers)
    start = (timezone.localdate().replace(day=1) - timedelta(days=31 * (months - 1))).replace(day=1)
    by_month = [
        NpsRow(label=row.pop("month").strftime("%m.%Y"), **row)
        for row in responses.filter(created_at__date__gte=start)
        .annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(**_nps_counts())
        .order_by("month")
    ]
    return NpsReport(total=total, by_trainer=by_trainer, by_month=by_month)
