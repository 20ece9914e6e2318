from django import forms
from django.utils.translation import gettext_lazy as _

from .models import LostReason, PipelineStage


class MoveForm(forms.Form):
    """A manual move: where to, why (for Неактивен) and notes."""

    stage = forms.ModelChoiceField(
        label=_("Stage"),
        queryset=PipelineStage.objects.all(),
        error_messages={"invalid_choice": _("This stage no longer exists. Reload the page.")},
    )
    lost_reason = forms.ModelChoiceField(
        label=_("Reason"),
        queryset=LostReason.objects.filter(is_active=True),
        required=False,
        empty_label=_("— pick a reason —"),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=2000, widget=forms.Textarea({"rows": 3})
    )

    def __init__(self, *args, stages=None, **kwargs):
        super().__init__(*args, **kwargs)
        if stages is not None:
            self.fields["stage"].queryset = stages

    def clean(self):
        cleaned = super().clean()
        stage = cleaned.get("stage")
        if (
            stage is not None
            and stage.code == PipelineStage.Code.INACTIVE
            and not cleaned.get("lost_reason")
            and not (cleaned.get("notes") or "").strip()
        ):
            self.add_error(
                "lost_reason", _("Tell why the client is lost: pick a reason or write one.")
            )
        return cleaned


class StageForm(forms.ModelForm):
    class Meta:
        model = PipelineStage
        fields = ("name", "color", "expected_days", "description")
        widgets = {
            "color": forms.TextInput(attrs={"type": "color"}),
            "description": forms.Textarea({"rows": 2}),
        }


class ReorderForm(forms.Form):
    stage_ids = forms.CharField()

    def clean_stage_ids(self) -> list[int]:
        try:
            return [int(pk) for pk in self.cleaned_data["stage_ids"].split(",") if pk]
        except ValueError as error:
            raise forms.ValidationError(_("The stage list is not valid.")) from error
