"""Reports for the front desk and the owner: income, sales, refunds, clients and shifts over a range
of days. Every function runs a fixed number of grouped queries, whatever the range or the tables
hold (tests count them at two sizes; bench/desk.py times them at 100,000 clients).

Income is money that came in: online and in-person payments (not those paid from a balance or on
credit — that money came, or will come, through the desk) plus desk top-ups and debt repayments that
are not part of a sale. Sales (by tariff, by trainer) count every tariff sold, however it was paid.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Client
from payments.models import Payment, Refund, Subscription
from ui.periods import Period, local_totals

from .models import ZERO, LedgerEntry, Method, Shift

MAX_DAYS = 366
PAID = (Payment.Status.SUCCEEDED, Payment.Status.REFUNDED)
NOT_INCOME = (Payment.Provider.BALANCE, Payment.Provider.DEBT)


class PeriodError(ValueError):
    pass


def period_for(*, kind: str, start: date | None = None, end: date | None = None) -> Period:
    """ "day" (today), "week" (the last 7 days) or "custom" (start..end, at most a year)."""
    today = timezone.localdate()
    if kind == "day":
        return Period(today, today)
    if kind == "custom":
        if start is None or end is None:
            raise PeriodError(_("Choose both dates of the period."))
        if end < start:
            raise PeriodError(_("The period ends before it starts."))
        if (end - start).days >= MAX_DAYS:
            raise PeriodError(_("A period is at most a year long."))
        return Period(start, end)
    return Period(today - timedelta(days=6), today)


@dataclass
class Report:
    period: Period
    income_by_day: list[tuple[date, Decimal]] = field(default_factory=list)
    income_by_method: list[tuple[str, Decimal]] = field(default_factory=list)
    sales_by_tariff: list[tuple[str, int, Decimal]] = field(default_factory=list)
    sales_by_trainer: list[tuple[str, int, Decimal]] = field(default_factory=list)
    sales_by_promotion: list[tuple[str, int, Decimal, Decimal]] = field(default_factory=list)
    refunds_count: int = 0
    refunds_total: Decimal = ZERO
    active_by_day: list[tuple[date, int]] = field(default_factory=list)
    new_by_day: list[tuple[date, int]] = field(default_factory=list)
    shifts: list[dict] = field(default_factory=list)

    @property
    def income_total(self) -> Decimal:
        return sum((value for _, value in self.income_by_day), ZERO)

    @property
    def new_total(self) -> int:
        return sum(value for _, value in self.new_by_day)


def report_build(*, period: Period) -> Report:
    """The whole report for the period in eleven queries."""
    report = Report(period=period)
    income: dict[date, Decimal] = defaultdict(lambda: ZERO)
    by_method: dict[str, Decimal] = defaultdict(lambda: ZERO)

    paid = Payment.objects.filter(
        status__in=PAID, paid_at__gte=period.since, paid_at__lt=period.until
    )
    provider_labels = dict(Payment.Provider.choices)
    for day, (provider,), row in local_totals(
        paid.exclude(provider__in=NOT_INCOME), "paid_at", group=("provider",), total=Sum("amount")
    ):
        income[day] += row["total"]
        by_method[str(provider_labels.get(provider, provider))] += row["total"]

    method_labels = dict(Method.choices)
    desk_income = LedgerEntry.objects.filter(
        created_at__gte=period.since,
        created_at__lt=period.until,
        payment__isnull=True,
        kind__in=(LedgerEntry.Kind.TOP_UP, LedgerEntry.Kind.DEBT_REPAID),
    )
    for day, (method,), row in local_totals(
        desk_income, "created_at", group=("method",), total=Sum("amount")
    ):
        income[day] += row["total"]
        by_method[str(method_labels.get(method, method))] += row["total"]

    report.income_by_day = [(day, income.get(day, ZERO)) for day in period.dates]
    report.income_by_method = sorted(by_method.items(), key=lambda item: -item[1])

    report.sales_by_tariff = [
        (row["tariff__name"], row["count"], row["total"])
        for row in paid.values("tariff__name")
        .annotate(count=Count("id"), total=Sum("amount"))
        .order_by("-total")
    ]
    report.sales_by_trainer = [
        (
            " ".join(
                filter(
                    None, [row["client__trainer__first_name"], row["client__trainer__last_name"]]
                )
            )
            or (row["client__trainer__username"] or _("No trainer")),
            row["count"],
            row["total"],
        )
        for row in paid.values(
            "client__trainer__username", "client__trainer__first_name", "client__trainer__last_name"
        )
        .annotate(count=Count("id"), total=Sum("amount"))
        .order_by("-total")
    ]

    # Sales a promotion applied to: how many, their takings and what the promotion gave away.
    report.sales_by_promotion = [
        (row["promotion__name"], row["count"], row["total"], row["discount"])
        for row in paid.filter(promotion__isnull=False)
        .values("promotion__name")
        .annotate(count=Count("id"), total=Sum("amount"), discount=Sum("promotion_discount"))
        .order_by("-total")
    ]

    refunds = Refund.objects.filter(
        status=Refund.Status.SUCCEEDED,
        succeeded_at__gte=period.since,
        succeeded_at__lt=period.until,
    ).aggregate(count=Count("id"), total=Sum("amount"))
    desk_refunds = LedgerEntry.objects.filter(
        kind=LedgerEntry.Kind.REFUND, created_at__gte=period.since, created_at__lt=period.until
    ).aggregate(count=Count("id"), total=Sum("amount"))
    report.refunds_count = refunds["count"] + desk_refunds["count"]
    report.refunds_total = (refunds["total"] or ZERO) + (desk_refunds["total"] or ZERO)

    # Active = holding a subscription that day: those active at the start, then +starts −ends.
    subscriptions = Subscription.objects.filter(client__is_preview=False)
    active = subscriptions.filter(starts_on__lte=period.start, ends_on__gte=period.start).count()
    starts = dict(
        subscriptions.filter(starts_on__gt=period.start, starts_on__lte=period.end)
        .order_by()
        .values_list("starts_on")
        .annotate(n=Count("id"))
    )
    ends = dict(
        subscriptions.filter(ends_on__gte=period.start, ends_on__lt=period.end)
        .order_by()
        .values_list("ends_on")
        .annotate(n=Count("id"))
    )
    for day in period.dates:
        active += starts.get(day, 0)
        report.active_by_day.append((day, active))
        active -= ends.get(day, 0)

    joined = Client.objects.filter(
        is_preview=False, created_at__gte=period.since, created_at__lt=period.until
    ).order_by()
    new: dict[date, int] = defaultdict(int)
    for day, _values, row in local_totals(joined, "created_at", n=Count("id")):
        new[day] += row["n"]
    report.new_by_day = [(day, new.get(day, 0)) for day in period.dates]

    report.shifts = [
        {
            "operator": " ".join(
                filter(None, [row["operator__first_name"], row["operator__last_name"]])
            )
            or row["operator__username"],
            "shifts": row["shifts"],
            "takings": (row["cash"] or ZERO) + (row["card"] or ZERO) + (row["transfer"] or ZERO),
            "on_credit": row["debt"] or ZERO,
            "difference": (row["counted"] or ZERO)
            - ((row["cash"] or ZERO) + (row["card"] or ZERO) + (row["transfer"] or ZERO)),
        }
        for row in Shift.objects.filter(
            closed_at__isnull=False, closed_at__gte=period.since, closed_at__lt=period.until
        )
        .values("operator__username", "operator__first_name", "operator__last_name")
        .annotate(
            shifts=Count("id"),
            cash=Sum("expected_cash"),
            card=Sum("expected_card"),
            transfer=Sum("expected_transfer"),
            debt=Sum("expected_debt"),
            counted=Sum("counted_cash") + Sum("counted_card") + Sum("counted_transfer"),
        )
        .order_by("operator__username")
    ]
    return report
