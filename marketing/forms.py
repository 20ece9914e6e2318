from urllib.parse import urlparse

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import WebsiteSettings

MAX_PHOTO_BYTES = 5 * 1024 * 1024


class WebsiteSettingsForm(forms.ModelForm):
    # The key is never shown back; an empty field keeps the stored one.
    llm_api_key = forms.CharField(
        label=WebsiteSettings._meta.get_field("llm_api_key").verbose_name,
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Leave empty to keep the saved key. Empty everywhere = LLM_API_KEY."),
    )
    llm_base_url = forms.URLField(
        label=WebsiteSettings._meta.get_field("llm_base_url").verbose_name,
        help_text=WebsiteSettings._meta.get_field("llm_base_url").help_text,
        required=False,
        assume_scheme="https",
    )
    clear_llm_api_key = forms.BooleanField(label=_("Forget the saved key"), required=False)

    class Meta:
        model = WebsiteSettings
        fields = [
            "trainer_name",
            "photo",
            "about",
            "tariffs",
            "contacts",
            "bot_username",
            "widget_enabled",
            "widget_greeting",
            "widget_system_prompt",
            "allowed_origins",
            "llm_base_url",
            "llm_api_key",
            "llm_model",
        ]
        widgets = {
            "tariffs": forms.CheckboxSelectMultiple,
            "about": forms.Textarea(attrs={"rows": 4}),
            "contacts": forms.Textarea(attrs={"rows": 3}),
            "widget_system_prompt": forms.Textarea(attrs={"rows": 6}),
            "allowed_origins": forms.Textarea(attrs={"rows": 3}),
        }

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if photo and getattr(photo, "size", 0) > MAX_PHOTO_BYTES:
            raise ValidationError(_("The photo is larger than 5 MB."))
        return photo

    def clean_bot_username(self) -> str:
        name = self.cleaned_data["bot_username"].strip().lstrip("@")
        if name.startswith(("https://t.me/", "t.me/")):
            name = name.split("t.me/", 1)[1].split("?", 1)[0].strip("/")
        if name and not (5 <= len(name) <= 32 and name.replace("_", "").isalnum()):
            raise ValidationError(_("A bot username has 5–32 Latin letters, digits and _."))
        return name

    def clean_allowed_origins(self) -> str:
        origins = []
        for line in self.cleaned_data["allowed_origins"].splitlines():
            line = line.strip().rstrip("/")
            if not line:
                continue
            parsed = urlparse(line)
            if parsed.scheme not in ("http", "https") or not parsed.netloc or parsed.path:
                raise ValidationError(
                    _("“%(line)s” is not a site origin like https://trainer.example.com.")
                    % {"line": line}
                )
            origins.append(f"{parsed.scheme}://{parsed.netloc.lower()}")
        return "\n".join(origins)

    def clean(self):
        cleaned = super().clean()
        if bool(cleaned.get("llm_base_url")) != bool(cleaned.get("llm_model")):
            raise ValidationError(_("Give the LLM's base URL and model together (or neither)."))
        return cleaned

    def save(self, commit: bool = True) -> WebsiteSettings:
        site = super().save(commit=False)
        if self.cleaned_data.get("clear_llm_api_key"):
            site.llm_api_key = ""
        elif not self.cleaned_data.get("llm_api_key"):
            site.llm_api_key = self.initial.get("llm_api_key", "") or (
                WebsiteSettings.objects.filter(pk=site.pk)
                .values_list("llm_api_key", flat=True)
                .first()
                or ""
            )
        if commit:
            site.save()
            self.save_m2m()
        return site
