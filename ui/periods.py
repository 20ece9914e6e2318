"""The date range of the analytics pages: last 90 days unless the user picks dates, at most two
years, so the work of a page is bounded by the range it shows, not by the whole history; and
totals by local day or month (`local_totals`)."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from django import forms
from django.db import connection
from django.db.models import Aggregate, QuerySet
from django.db.models.functions import Substr, TruncDate, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

DEFAULT_DAYS = 90
MAX_DAYS = 731


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def since(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def until(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def dates(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range(self.days)]


def default_period(today: date | None = None) -> Period:
    today = today or timezone.localdate()
    return Period(today - timedelta(days=DEFAULT_DAYS - 1), today)


class PeriodForm(forms.Form):
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        default = default_period()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start is None and end is None:
            return cleaned
        end = end or default.end
        start = start or end - timedelta(days=DEFAULT_DAYS - 1)
        if end < start:
            raise forms.ValidationError(_("The period ends before it starts."))
        if (end - start).days >= MAX_DAYS:
            raise forms.ValidationError(_("A period is at most two years long."))
        cleaned["period"] = Period(start, end)
        return cleaned

    def period(self) -> Period:
        """The chosen period; the last 90 days when none or a wrong one was given (the form
        then carries the error to show)."""
        if self.is_valid() and "period" in self.cleaned_data:
            return self.cleaned_data["period"]
        return default_period()


def period_form(data) -> tuple[PeriodForm, Period]:
    form = PeriodForm(data)
    return form, form.period()


def local_totals(
    queryset: QuerySet,
    field: str,
    *,
    unit: Literal["day", "month"] = "day",
    group: tuple[str, ...] = (),
    **totals: Aggregate,
) -> Iterator[tuple[date, tuple, dict]]:
    """(local day or first day of the month, the `group` values, the `totals`) of the rows, by
    the datetime `field`; the totals must add up (Sum, Count).

    PostgreSQL truncates in the studio's time zone itself. SQLite's TruncDate / TruncMonth call
    back into Python for every row (three quarters of a year's desk report, a second of the
    payments page at 100,000 clients): there the rows are grouped by their UTC hour in SQL — the
    first 13 characters of the stored text — and the at most 24 groups a day are folded into local
    days or months here (exact for whole-hour offsets, as all of Russia's; another zone falls back
    to the database functions)."""
    tz = timezone.get_current_timezone()
    offset = timezone.localtime(timezone.now(), tz).utcoffset() or timedelta()
    if connection.vendor != "sqlite" or offset % timedelta(hours=1):
        trunc = TruncDate(field, tzinfo=tz) if unit == "day" else TruncMonth(field, tzinfo=tz)
        for row in queryset.annotate(bucket=trunc).values("bucket", *group).annotate(**totals):
            if row["bucket"] is not None:
                bucket = row["bucket"]
                bucket = bucket.date() if isinstance(bucket, datetime) else bucket
                yield bucket, tuple(row[name] for name in group), row
        return
    folded: dict[tuple, dict] = {}
    rows = queryset.annotate(hour=Substr(field, 1, 13)).values("hour", *group).annotate(**totals)
    for row in rows:
        if not row["hour"]:
            continue  # no date (an unpaid payment's paid_at)
        local = datetime.strptime(row["hour"], "%Y-%m-%d %H").replace(tzinfo=UTC).astimezone(tz)
        bucket = local.date() if unit == "day" else local.date().replace(day=1)
        sums = folded.setdefault(
            (bucket, tuple(row[name] for name in group)), dict.fromkeys(totals, 0)
        )
        for name in totals:
            sums[name] += row[name] or 0
    for (bucket, values), sums in folded.items():
        yield bucket, values, sums
