from django import forms
from django.utils.translation import gettext_lazy as _

from crm.models import Client

from .models import Rule


class RuleForm(forms.ModelForm):
    buttons = forms.MultipleChoiceField(
        label=_("buttons"),
        choices=Rule.Button.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    preview_client = forms.ModelChoiceField(
        label=_("Preview for"), queryset=Client.objects.none(), required=False
    )

    class Meta:
        model = Rule
        fields = [
            "name",
            "description",
            "trigger",
            "stage",
            "delay_value",
            "delay_unit",
            "week",
            "nps_min",
            "nps_max",
            "if_stage",
            "if_source",
            "if_tariff",
            "if_paid",
            "if_trainer",
            "message",
            "buttons",
            "offer_tariffs",
            "trainer_note",
            "task_text",
            "task_due_days",
            "stage_event",
        ]
        widgets = {
            "message": forms.Textarea(attrs={"rows": 5}),
            "trainer_note": forms.Textarea(attrs={"rows": 2}),
            "description": forms.Textarea(attrs={"rows": 2}),
            "offer_tariffs": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, clients=None, **kwargs):
        super().__init__(*args, **kwargs)
        if clients is not None:
            self.fields["preview_client"].queryset = clients
