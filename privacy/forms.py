from django import forms
from django.utils.translation import gettext_lazy as _

from crm.models import Client


class ForgetForm(forms.Form):
    """The admin confirms by typing the client's number: a forget cannot be undone."""

    confirm = forms.CharField(label=_("Type the client's number to confirm"), max_length=20)

    def __init__(self, *args, client: Client, **kwargs):
        super().__init__(*args, **kwargs)
        self.client = client

    def clean_confirm(self) -> str:
        value = self.cleaned_data["confirm"].strip().lstrip("#")
        if value != str(self.client.pk):
            raise forms.ValidationError(_("That is not this client's number."))
        return value
