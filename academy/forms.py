from datetime import datetime, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import User
from payments.models import Payment

from .models import Discipline, Hall, Level, MembershipPlan, TrainingGroup

WEEKDAYS = [
    ("0", _("Mon")),
    ("1", _("Tue")),
    ("2", _("Wed")),
    ("3", _("Thu")),
    ("4", _("Fri")),
    ("5", _("Sat")),
    ("6", _("Sun")),
]


def trainers():
    return User.objects.filter(role=User.Role.TRAINER, is_active=True).order_by(
        "last_name", "first_name"
    )


class CalendarFilterForm(forms.Form):
    week = forms.DateField(
        label=_("Week of"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    discipline = forms.ModelChoiceField(
        label=_("Discipline"), queryset=Discipline.objects.all(), required=False
    )
    trainer = forms.ModelChoiceField(
        label=_("Trainer"), queryset=User.objects.none(), required=False
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        if user.is_trainer:
            del self.fields["trainer"]  # a trainer sees only their own groups anyway
        else:
            self.fields["trainer"].queryset = trainers()


class CapacityForm(forms.Form):
    capacity = forms.IntegerField(label=_("Capacity"), min_value=1, max_value=500)


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (the clients will see it)"), max_length=200, required=False
    )


class SessionCreateForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    discipline = forms.ModelChoiceField(label=_("Discipline"), queryset=Discipline.objects.all())
    trainer = forms.ModelChoiceField(label=_("Trainer"), queryset=User.objects.none())
    hall = forms.ModelChoiceField(label=_("Hall"), queryset=Hall.objects.all())
    day = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    start_time = forms.TimeField(label=_("Start"), widget=forms.TimeInput(attrs={"type": "time"}))
    duration_minutes = forms.IntegerField(
        label=_("Duration, minutes"), min_value=15, max_value=480, initial=90
    )
    capacity = forms.IntegerField(label=_("Capacity"), min_value=1, max_value=500, initial=20)
    level = forms.ChoiceField(label=_("Level"), choices=Level.choices, initial=Level.ALL)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trainer"].queryset = trainers()

    def starts_at(self) -> datetime:
        return datetime.combine(
            self.cleaned_data["day"],
            self.cleaned_data["start_time"],
            tzinfo=timezone.get_current_timezone(),
        )


class TrainingGroupForm(forms.ModelForm):
    weekdays = forms.MultipleChoiceField(
        label=_("Weekdays"), choices=WEEKDAYS, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = TrainingGroup
        fields = [
            "title",
            "discipline",
            "trainer",
            "hall",
            "weekdays",
            "start_time",
            "duration_minutes",
            "capacity",
            "level",
            "is_active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["weekdays"] = list(self.instance.weekdays)
        self.fields["trainer"].queryset = trainers()

    def clean_weekdays(self) -> str:
        return "".join(sorted(set(self.cleaned_data["weekdays"])))


class MembershipSellForm(forms.Form):
    plan = forms.ModelChoiceField(
        label=_("Membership"),
        queryset=MembershipPlan.objects.filter(tariff__is_active=True).select_related("tariff"),
    )
    provider = forms.ChoiceField(
        label=_("Paid by"),
        choices=[(Payment.Provider.CASH, _("Cash")), (Payment.Provider.CARD, _("Card (terminal)"))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].label_from_instance = lambda plan: (
            f"{plan.tariff.name} · {plan.tariff.price} ₽"
        )


class FreezeForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))


class GradingForm(forms.Form):
    held_on = forms.DateField(
        label=_("Grading date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReportFilterForm(forms.Form):
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    discipline = forms.ModelChoiceField(
        label=_("Discipline"), queryset=Discipline.objects.all(), required=False
    )
    trainer = forms.ModelChoiceField(
        label=_("Trainer"), queryset=User.objects.none(), required=False
    )

    MAX_DAYS = 366

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        if user.is_trainer:
            del self.fields["trainer"]
        else:
            self.fields["trainer"].queryset = trainers()

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        end = data.get("end") or today
        start = data.get("start") or end - timedelta(weeks=8) + timedelta(days=1)
        if start > end:
            raise forms.ValidationError(_("The start of the period must be before its end."))
        if (end - start).days >= self.MAX_DAYS:
            raise forms.ValidationError(_("Choose a period of at most a year."))
        data["start"], data["end"] = start, end
        return data
