from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from .models import Action


class AuditFilterForm(forms.Form):
    actor = forms.ModelChoiceField(
        label=_("Who"), queryset=get_user_model().objects.none(), required=False
    )
    client = forms.IntegerField(label=_("Client id"), required=False, min_value=1)
    action = forms.ChoiceField(label=_("Action"), required=False)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["actor"].queryset = get_user_model().objects.order_by("username")
        self.fields["action"].choices = [("", _("Any")), *Action.choices]

    def filters(self) -> dict:
        """The valid filters only: a wrong value in one field never hides the whole log."""
        self.is_valid()
        data = self.cleaned_data
        return {
            "actor_id": data["actor"].pk if data.get("actor") else None,
            "client_id": data.get("client"),
            "action": data.get("action") or "",
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
        }
