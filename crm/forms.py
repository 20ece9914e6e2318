from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pipeline.models import PipelineStage

from .models import Client, ClientAction, Task, User
from .numbers import PlainDecimalField
from .phones import phone_normalize
from .selectors import UNASSIGNED
from .services import PROFILE_FIELDS, QUESTIONNAIRE_FIELDS

# Free text a person types (notes, what happened): a long page, not megabytes.
NOTES_MAX_LENGTH = 5000


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
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=NOTES_MAX_LENGTH,
        widget=forms.Textarea({"rows": 3}),
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trainer"].queryset = trainer_choices_queryset(user)
        if user.is_trainer:
            self.fields["trainer"].initial = user.pk


class ClientProfileForm(_ClientModelForm):
    phone = PhoneField(label=_("Phone"), required=False, max_length=30)
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=NOTES_MAX_LENGTH,
        widget=forms.Textarea({"rows": 3}),
    )

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
        field_classes = {"weight_kg": PlainDecimalField}
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
        label=_("What happened"),
        required=False,
        max_length=NOTES_MAX_LENGTH,
        widget=forms.Textarea({"rows": 2}),
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


class QuickLeadForm(forms.Form):
    """The "+" in the top bar: a name, a phone or @username, where they came from."""

    name = forms.CharField(
        label=_("Name"),
        max_length=201,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": _("Anna Petrova")}),
    )
    contact = forms.CharField(
        label=_("Phone or @username"),
        max_length=64,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "+7 916 … / @anna"}),
    )
    source = forms.ChoiceField(
        label=_("Source"), choices=Client.Source.choices, initial=Client.Source.MANUAL
    )

    def clean(self):
        cleaned = super().clean()
        contact = (cleaned.get("contact") or "").strip()
        cleaned["phone"], cleaned["telegram_username"] = "", ""
        if contact.startswith("@") or (contact and any(ch.isalpha() for ch in contact)):
            username = contact.lstrip("@")
            if not username.replace("_", "").isalnum() or not username.isascii():
                self.add_error("contact", _("A Telegram username has Latin letters, digits and _."))
            cleaned["telegram_username"] = username
        elif contact:
            try:
                cleaned["phone"] = phone_normalize(contact)
            except forms.ValidationError as error:
                self.add_error("contact", error)
        if not self.errors and not (cleaned.get("name", "").strip() or contact):
            raise forms.ValidationError(_("Give at least a name, a phone or a Telegram username."))
        return cleaned

    def service_kwargs(self) -> dict:
        first, _sep, last = self.cleaned_data["name"].strip().partition(" ")
        return {
            "first_name": first,
            "last_name": last.strip(),
            "phone": self.cleaned_data["phone"],
            "telegram_username": self.cleaned_data["telegram_username"],
            "source": self.cleaned_data["source"],
        }


def _datetime_input() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class TaskForm(forms.Form):
    """A new task on the client page."""

    kind = forms.ChoiceField(label=_("Type"), choices=Task.Kind.choices, initial=Task.Kind.CALL)
    due_at = forms.DateTimeField(label=_("When"), widget=_datetime_input())
    title = forms.CharField(
        label=_("What to do"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. discuss the tariff")}),
    )

    def clean_due_at(self):
        value = self.cleaned_data["due_at"]
        if value < timezone.now() - timedelta(minutes=5):
            raise forms.ValidationError(_("A task cannot be due in the past."))
        return value


class TaskDoneForm(forms.Form):
    """Done, with what happened and the next step, in one submit."""

    outcome = forms.ChoiceField(
        label=_("What happened"), choices=Task.Outcome.choices, initial=Task.Outcome.REACHED
    )
    result = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("What you agreed on")}),
    )
    next_kind = forms.ChoiceField(
        label=_("Next step"), choices=[("", _("No next step")), *Task.Kind.choices], required=False
    )
    next_due_at = forms.DateTimeField(label=_("When"), required=False, widget=_datetime_input())
    next_title = forms.CharField(label=_("What to do"), max_length=200, required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("next_kind") and not cleaned.get("next_due_at") and not self.errors:
            self.add_error("next_due_at", _("Pick when the next step is due."))
        due = cleaned.get("next_due_at")
        if due and due < timezone.now() - timedelta(minutes=5):
            self.add_error("next_due_at", _("The next step cannot be in the past."))
        return cleaned

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        has_next = bool(data.get("next_due_at"))
        return {
            "outcome": data["outcome"],
            "result": data.get("result", ""),
            "next_due_at": data.get("next_due_at") if has_next else None,
            "next_kind": data.get("next_kind") or "",
            "next_title": data.get("next_title", "") if has_next else "",
        }
