import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.access import visible_clients
from crm.models import Client, User
from crm.vocabulary import Level

from .models import ProgramTemplate, TrainingProgram
from .sheets import MAX_SETS


class ProgramFilterForm(forms.Form):
    STATUS_CHOICES = [
        ("", _("Any status")),
        ("pending", _("Not delivered")),
        ("delivered", _("Delivered")),
    ]
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("Any kind")), *TrainingProgram.Kind.choices],
    )
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_CHOICES)

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {"kind": data["kind"], "status": data["status"], "query": data["q"].strip()}


class ExerciseForm(forms.Form):
    name = forms.CharField(label=_("Exercise"), max_length=200)
    sets = forms.IntegerField(label=_("Sets"), min_value=1, max_value=MAX_SETS)
    reps = forms.CharField(label=_("Reps"), max_length=40)
    rest = forms.CharField(label=_("Rest"), max_length=40, required=False)
    notes = forms.CharField(label=_("Notes"), max_length=500, required=False)


class ProgramAssignForm(forms.Form):
    client = forms.CharField(
        label=_("Client"),
        max_length=100,
        help_text=_("Client number, phone (+7…) or Telegram username."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=TrainingProgram.Kind.choices)
    template = forms.ModelChoiceField(
        label=_("Template"),
        queryset=ProgramTemplate.objects.none(),
        required=False,
        empty_label=_("Choose from the client's answers"),
    )
    token = forms.CharField(widget=forms.HiddenInput, max_length=40)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["template"].queryset = ProgramTemplate.objects.filter(
            version__is_active=True
        ).only("id", "code", "title")
        self.fields["template"].label_from_instance = lambda t: f"{t.code} · {t.title}"
        if not self.is_bound:
            self.initial.setdefault("token", uuid.uuid4().hex)

    def clean_client(self) -> Client:
        value = self.cleaned_data["client"].strip().lstrip("@#")
        clients = visible_clients(self.user)
        if value.isdigit() and len(value) < 10:
            found = clients.filter(pk=int(value))
        elif value.startswith("+"):
            found = clients.filter(phone=value)
        else:
            found = clients.filter(telegram_username__iexact=value)
        client = found.first()
        if client is None:
            raise forms.ValidationError(_("No such client among yours."))
        return client


class TemplateFilterForm(forms.Form):
    gender = forms.ChoiceField(
        label=_("Gender"),
        required=False,
        choices=[("", _("Any gender")), *ProgramTemplate.Gender.choices],
    )
    goal = forms.ChoiceField(
        label=_("Goal"), required=False, choices=[("", _("Any goal")), *Client.Goal.choices]
    )
    level = forms.ChoiceField(
        label=_("Level"), required=False, choices=[("", _("Any level")), *Level.choices]
    )
