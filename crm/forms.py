from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pipeline.models import PipelineStage

from .models import Client, ClientAction, User
from .phones import phone_normalize
from .selectors import UNASSIGNED
from .services import PROFILE_FIELDS, QUESTIONNAIRE_FIELDS


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


def trainer_choices_queryset(user: User):
    """Whom this user may assign clients to: a trainer only themself, others any active trainer."""
    trainers = User.objects.filter(role=User.Role.TRAINER, is_active=True).order_by(
        "last_name", "first_name", "id"
    )
    return trainers.filter(pk=user.pk) if user.is_trainer else trainers


class ClientFilterForm(forms.Form):
    """Filters of the client list (and, without stage/period, of the board)."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Name, phone or @username")}
        ),
    )
    stage = forms.ModelChoiceField(
        label=_("Stage"), queryset=PipelineStage.objects.all(), required=False
    )
    trainer = forms.ChoiceField(label=_("Trainer"), required=False)
    source = forms.ChoiceField(
        label=_("Source"), required=False, choices=[("", _("Any source")), *Client.Source.choices]
    )
    follow_up = forms.BooleanField(label=_("Follow-up due"), required=False)
    owes = forms.BooleanField(label=_("Owes money"), required=False)
    created_from = forms.DateField(
        label=_("Created from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    created_to = forms.DateField(
        label=_("Created to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    sort = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user: User, stages=None, **kwargs):
        super().__init__(*args, **kwargs)
        if stages is not None:
            self.fields["stage"].queryset = stages
        self.fields["stage"].empty_label = _("Any stage")
        # A trainer only ever sees their own and unassigned clients: no need to ask the database.
        trainers = [user] if user.is_trainer else trainer_choices_queryset(user)
        self.fields["trainer"].choices = [
            ("", _("Any trainer")),
            (UNASSIGNED, _("Unassigned")),
            *[(str(t.pk), str(t)) for t in trainers],
        ]

    def filters(self) -> dict:
        """Keyword arguments for `selectors.clients_filter` (invalid fields are ignored)."""
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "q": data.get("q", ""),
            "trainer": data.get("trainer", ""),
            "source": data.get("source", ""),
            "stage": data.get("stage"),
            "follow_up_due": data.get("follow_up", False),
            "owes": data.get("owes", False),
            "created_from": data.get("created_from"),
            "created_to": data.get("created_to"),
        }


class PhoneField(forms.CharField):
    """Accepts any usual spelling of a phone and cleans it to +7…"""

    def clean(self, value):
        return phone_normalize(super().clean(value))


class _ClientModelForm(forms.ModelForm):
    def validate_unique(self):
        # Duplicates are found by the service, which names the existing client with a link.
        pass


class ClientCreateForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    phone = PhoneField(label=_("Phone"), required=False, max_length=30)
    telegram_username = forms.CharField(label=_("Telegram username"), max_length=64, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    source = forms.ChoiceField(
        label=_("Source"), choices=Client.Source.choices, initial=Client.Source.MANUAL
    )
    trainer = forms.ModelChoiceField(
        label=_("Trainer"), queryset=User.objects.none(), required=False
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea({"rows": 3}))

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trainer"].queryset = trainer_choices_queryset(user)
        if user.is_trainer:
            self.fields["trainer"].initial = user.pk


class ClientProfileForm(_ClientModelForm):
    phone = PhoneField(label=_("Phone"), required=False, max_length=30)

    class Meta:
        model = Client
        fields = PROFILE_FIELDS
        widgets = {"notes": forms.Textarea({"rows": 3})}

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trainer"].queryset = trainer_choices_queryset(user)


class ClientQuestionnaireForm(_ClientModelForm):
    class Meta:
        model = Client
        fields = QUESTIONNAIRE_FIELDS
        widgets = {"birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


class ClientActionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=ClientAction.Kind.choices)
    happened_at = forms.DateTimeField(
        label=_("When"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Empty means now."),
    )
    description = forms.CharField(
        label=_("What happened"), required=False, widget=forms.Textarea({"rows": 2})
    )
    next_contact_date = forms.DateField(
        label=_("Next contact"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean_happened_at(self):
        value = self.cleaned_data["happened_at"]
        if value and value > timezone.now() + timedelta(minutes=5):
            raise forms.ValidationError(_("An action cannot be logged in the future."))
        return value

    def clean_next_contact_date(self):
        value = self.cleaned_data["next_contact_date"]
        if value and value < timezone.localdate():
            raise forms.ValidationError(_("The next contact cannot be in the past."))
        return value

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("kind") == ClientAction.Kind.NOTE
            and not (cleaned.get("description") or "").strip()
        ):
            self.add_error("description", _("A note needs some text."))
        return cleaned

    def next_contact_at(self) -> datetime | None:
        value = self.cleaned_data.get("next_contact_date")
        return timezone.make_aware(datetime.combine(value, time(10, 0))) if value else None


class NextContactForm(forms.Form):
    next_contact_at = forms.DateTimeField(
        label=_("Next contact"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Leave empty to clear the follow-up."),
    )

    def clean_next_contact_at(self):
        value = self.cleaned_data["next_contact_at"]
        if value and value < timezone.now() - timedelta(minutes=5):
            raise forms.ValidationError(_("The next contact cannot be in the past."))
        return value
