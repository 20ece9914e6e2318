from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.forms import NOTES_MAX_LENGTH
from crm.numbers import PlainDecimalField

from .metrics import METRICS
from .models import Period, ProgressJournal, ProgressPhoto


def _metric_field(name: str) -> forms.DecimalField:
    field = ProgressJournal._meta.get_field(name).formfield(
        form_class=PlainDecimalField, localize=True, required=False
    )
    field.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})
    return field


class MeasurementForm(forms.Form):
    """Add or correct one period's entry: any subset of the metrics; empty ones are left as they were."""

    program = forms.CharField(required=False, widget=forms.HiddenInput, max_length=20)
    period = forms.ChoiceField(label=_("Period"), choices=Period.choices)
    measured_on = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=NOTES_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for metric in METRICS:
            self.fields[metric.field] = _metric_field(metric.field)
            self.fields[metric.field].label = f"{metric.label}, {metric.unit}"
        self.fields["measured_on"].initial = timezone.localdate

    def metric_values(self) -> dict:
        return {m.field: self.cleaned_data.get(m.field) for m in METRICS}

    def metric_fields(self) -> list:
        return [self[m.field] for m in METRICS]

    def clean_measured_on(self):
        value = self.cleaned_data["measured_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return value


class TargetForm(forms.Form):
    metric = forms.ChoiceField(label=_("Metric"), choices=[(m.field, m.label) for m in METRICS])
    value = PlainDecimalField(
        label=_("Target"),
        required=False,
        localize=True,
        max_digits=5,
        decimal_places=1,
        help_text=_("Leave empty to remove the target."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


class PhotoForm(forms.Form):
    pose = forms.ChoiceField(label=_("Pose"), choices=ProgressPhoto.Pose.choices)
    taken_on = forms.DateField(
        label=_("Date"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    image = forms.FileField(
        label=_("Photo"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )


class ReportForm(forms.Form):
    comment = forms.CharField(
        label=_("Trainer's comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class MetricChoiceForm(forms.Form):
    metric = forms.MultipleChoiceField(
        label=_("Charts"),
        required=False,
        choices=[(m.field, m.label) for m in METRICS],
        widget=forms.CheckboxSelectMultiple,
    )
