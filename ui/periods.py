"""The date range of the analytics pages: last 90 days unless the user picks dates, at most two
years, so the work of a page is bounded by the range it shows, not by the whole history."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django import forms
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
