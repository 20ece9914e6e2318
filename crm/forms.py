from datetime import datetime, time

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class FollowUpForm(forms.Form):
    """Reschedule a follow-up to a date, or mark it done (no date)."""

    next_contact_date = forms.DateField(
        label=_("Next contact"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    done = forms.BooleanField(required=False)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("done") and not cleaned.get("next_contact_date") and not self.errors:
            self.add_error("next_contact_date", _("Pick a date or mark the follow-up as done."))
        return cleaned

    def clean_next_contact_date(self):
        value = self.cleaned_data["next_contact_date"]
        if value and value < timezone.localdate():
            raise forms.ValidationError(_("The next contact cannot be in the past."))
        return value

    def next_contact_at(self) -> datetime | None:
        value = self.cleaned_data["next_contact_date"]
        if self.cleaned_data["done"] or value is None:
            return None
        return timezone.make_aware(datetime.combine(value, time(10, 0)))
