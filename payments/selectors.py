"""Reads: tariffs for the bot and the pay page, the staff payment list and revenue numbers."""

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from crm.access import scope_to_user
from crm.models import Client, Lead, User
from ui import periods
from ui.periods import local_totals

from .models import Payment, PaymentEvent, PromoCode, Promotion, Tariff

ZERO = Decimal("0.00")
PAID = (Payment.Status.SUCCEEDED, Payment.Status.REFUNDED)


# --- For the pipeline board (found through crm.extensions.board_money) -----------------------------


def board_paid_total() -> Sum:
    """An aggregate over a Client queryset: what those clients paid and kept (read from
    `Client.paid_total`, kept by `services.clients_paid_refresh`, not from every payment)."""
    return Sum("paid_total")


def tariffs_active() -> QuerySet[Tariff]:
    """Tariffs on sale, in display order (the bot's buttons, the pay page)."""
    return Tariff.objects.filter(is_active=True).order_by("order", "id")


@dataclass(frozen=True)
class TariffOffer:
    """A tariff on sale with its promotions: the ones running now or later on its schedule, the one
    in force at this moment and the price it gives."""

    tariff: Tariff
    promotions: list[Promotion]
    in_force: Promotion | None
    price_now: Decimal


def tariff_offers(at: datetime | None = None) -> list[TariffOffer]:
    """The tariffs on sale (the bot's list, the pay page) with their current promotions: two
    queries whatever the number of tariffs and promotions."""
    from .services import promotion_pick, promotions_current

    at = at or timezone.now()
    tariffs = list(tariffs_active())
    current = promotions_current(at)
    offers = []
    for tariff in tariffs:
        mine = [p for p in current if not p.tariff_ids or tariff.pk in p.tariff_ids]
        in_force = promotion_pick(mine, tariff=tariff, at=at)
        price = tariff.price - (in_force.discount_on(tariff.price) if in_force else ZERO)
        offers.append(TariffOffer(tariff, mine, in_force, price))
    return offers


@dataclass(frozen=True)
class PaymentFilters:
    status: str = ""
    provider: str = ""
    tariff_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    client_id: int | None = None


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def payments_visible(*, user: User) -> QuerySet[Payment]:
    return scope_to_user(Payment.objects.all(), user, client_path="client")


def payment_list(*, user: User, filters: PaymentFilters) -> QuerySet[Payment]:
    """The payments this user may see, filtered; period filters on the creation date."""
    queryset = payments_visible(user=user).select_related(
        "client", "tariff", "promo_code", "confirmed_by"
    )
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.provider:
        queryset = queryset.filter(provider=filters.provider)
    if filters.tariff_id:
        queryset = queryset.filter(tariff_id=filters.tariff_id)
    if filters.client_id:
        queryset = queryset.filter(client_id=filters.client_id)
    if filters.date_from:
        queryset = queryset.filter(created_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        queryset = queryset.filter(
            created_at__lt=_day_start(filters.date_to) + timezone.timedelta(days=1)
        )
    return queryset.order_by("-created_at", "-id")


@dataclass(frozen=True)
class Totals:
    count: int
    paid_count: int
    revenue: Decimal  # received minus refunded
    refunded: Decimal
    average_check: Decimal


def payment_totals(queryset: QuerySet[Payment]) -> Totals:
    """Totals of a (filtered) payment list, in one query."""
    row = queryset.order_by().aggregate(
        count=Count("id"),
        paid_count=Count("id", filter=Q(status__in=PAID)),
        received=Coalesce(Sum("amount", filter=Q(status__in=PAID)), ZERO),
        refunded=Coalesce(Sum("refunded_amount", filter=Q(status__in=PAID)), ZERO),
    )
    paid = row["paid_count"]
    return Totals(
        count=row["count"],
        paid_count=paid,
        revenue=row["received"] - row["refunded"],
        refunded=row["refunded"],
        average_check=(row["received"] / paid).quantize(Decimal("0.01")) if paid else ZERO,
    )


@dataclass(frozen=True)
class RevenueRow:
    label: str
    payments: int
    revenue: Decimal


@dataclass(frozen=True)
class Revenue:
    by_month: list[RevenueRow]
    by_tariff: list[RevenueRow]
    total: Decimal
    average_check: Decimal
    qualified_clients: int
    paying_clients: int

    @property
    def paid_share(self) -> int:
        """Percent of qualified leads who paid."""
        if not self.qualified_clients:
            return 0
        return round(100 * self.paying_clients / self.qualified_clients)


def revenue_get(
    *, user: User, date_from: date | None = None, date_to: date | None = None
) -> Revenue:
    """Revenue by month and by tariff (net of refunds, by payment date), the average check and the
    share of qualified leads who paid. A fixed number of queries whatever the data size."""
    paid = scope_to_user(
        Payment.objects.all(), user, client_path="client", for_analytics=True
    ).filter(status__in=PAID)
    if date_from:
        paid = paid.filter(paid_at__gte=_day_start(date_from))
    if date_to:
        paid = paid.filter(paid_at__lt=_day_start(date_to) + timezone.timedelta(days=1))
    net = Sum(F("amount") - F("refunded_amount"))
    months = sorted(
        (month, row)
        for month, _group, row in local_totals(
            paid.order_by(), "paid_at", unit="month", n=Count("id"), total=net
        )
    )
    tariffs = paid.values("tariff__name").annotate(n=Count("id"), total=net).order_by("-total")
    by_month = [
        RevenueRow(label=f"{month:%m.%Y}", payments=row["n"], revenue=row["total"])
        for month, row in reversed(months)
    ]
    by_tariff = [
        RevenueRow(label=row["tariff__name"], payments=row["n"], revenue=row["total"])
        for row in tariffs
    ]
    totals = payment_totals(paid)
    # Clients who qualified (their lead came in the period, when one is given), and how many of
    # them paid: one query, counted by distinct ids.
    leads = Q(leads__status__in=(Lead.Status.QUALIFIED, Lead.Status.CONVERTED))
    if date_from:
        leads &= Q(leads__created_at__gte=_day_start(date_from))
    if date_to:
        leads &= Q(leads__created_at__lt=_day_start(date_to) + timezone.timedelta(days=1))
    funnel = (
        scope_to_user(Client.objects.all(), user, for_analytics=True)
        .filter(leads)
        .aggregate(
            qualified=Count("pk", distinct=True),
            paying=Count("pk", distinct=True, filter=Q(payments__status__in=PAID)),
        )
    )
    return Revenue(
        by_month=by_month,
        by_tariff=by_tariff,
        total=totals.revenue,
        average_check=totals.average_check,
        qualified_clients=funnel["qualified"],
        paying_clients=funnel["paying"],
    )


@dataclass(frozen=True)
class RevenueSummary:
    totals: Totals  # of the payments created in the period
    revenue: Revenue  # of the payments paid in it


def default_filters() -> PaymentFilters:
    """The payments page with nothing chosen: the last 90 days."""
    return PaymentFilters(date_from=periods.default_period().start)


def revenue_summary_for(
    payments: QuerySet[Payment], *, user: User, filters: PaymentFilters
) -> RevenueSummary:
    """The payments page's numbers: the totals of its (filtered) list, the revenue of its period."""
    return RevenueSummary(
        totals=payment_totals(payments),
        revenue=revenue_get(user=user, date_from=filters.date_from, date_to=filters.date_to),
    )


def revenue_summary(user: User) -> RevenueSummary:
    """The payments page's numbers with nothing chosen, as `crm.summaries` stores them."""
    filters = default_filters()
    return revenue_summary_for(payment_list(user=user, filters=filters), user=user, filters=filters)


def client_payments(*, client: Client, limit: int = 20) -> list[Payment]:
    return list(
        Payment.objects.filter(client=client)
        .select_related("tariff", "confirmed_by")
        .order_by("-created_at", "-id")[:limit]
    )


def client_payment_events(*, client: Client, limit: int = 50) -> list[PaymentEvent]:
    """The client's payment history (newest first): what `payment_transition` recorded."""
    return list(
        PaymentEvent.objects.filter(payment__client=client)
        .select_related("payment__tariff", "actor")
        .order_by("-created_at", "-id")[:limit]
    )


def promo_codes_with_usage() -> QuerySet[PromoCode]:
    return (
        PromoCode.objects.annotate(used=Count("usages", distinct=True))
        .prefetch_related("tariffs")
        .order_by("-is_active", "code")
    )
