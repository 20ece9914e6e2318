from django import forms
from django.utils.translation import gettext_lazy as _

from .client import MAX_TEXT_CHARS


class ReplyForm(forms.Form):
    """A trainer's message to a client, sent by the bot."""

    text = forms.CharField(
        label=_("Message"),
        max_length=MAX_TEXT_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class PreviewSendForm(forms.Form):
    text = forms.CharField(label=_("Message"), max_length=MAX_TEXT_CHARS)


class PreviewPressForm(forms.Form):
    message = forms.IntegerField()
    data = forms.CharField(max_length=64)
