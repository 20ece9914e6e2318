from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlparse

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import SocialPost, WebsiteSettings

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_POST_IMAGE_BYTES = 10 * 1024 * 1024
TELEGRAM_TEXT_MAX = 4096
TELEGRAM_CAPTION_MAX = 1024


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


class SocialPostForm(forms.ModelForm):
    button_url = forms.URLField(
        label=SocialPost._meta.get_field("button_url").verbose_name,
        help_text=SocialPost._meta.get_field("button_url").help_text,
        required=False,
        assume_scheme="https",
    )

    class Meta:
        model = SocialPost
        fields = ["title", "text", "image", "button_text", "button_url", "to_telegram", "to_vk"]
        widgets = {"text": forms.Textarea(attrs={"rows": 8, "maxlength": TELEGRAM_TEXT_MAX})}

    def clean_image(self):
        image = self.cleaned_data.get("image")
        if image and getattr(image, "size", 0) > MAX_POST_IMAGE_BYTES:
            raise ValidationError(_("The image is larger than 10 MB."))
        return image

    def clean(self):
        cleaned = super().clean()
        text = (cleaned.get("text") or "").strip()
        cleaned["text"] = text
        if not text:
            self.add_error("text", _("Write the post's text."))
        elif len(text) > TELEGRAM_TEXT_MAX:
            self.add_error(
                "text", _("At most %(n)d characters (Telegram's limit).") % {"n": TELEGRAM_TEXT_MAX}
            )
        elif (
            cleaned.get("image") and cleaned.get("to_telegram") and len(text) > TELEGRAM_CAPTION_MAX
        ):
            self.add_error(
                "text",
                _("With an image Telegram takes at most %(n)d characters of text.")
                % {"n": TELEGRAM_CAPTION_MAX},
            )
        if not cleaned.get("to_telegram") and not cleaned.get("to_vk"):
            raise ValidationError(_("Choose at least one network."))
        return cleaned


class ScheduleForm(forms.Form):
    publish_at = forms.DateTimeField(
        label=_("Publish at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M"],
    )

    def clean_publish_at(self):
        value = self.cleaned_data["publish_at"]
        if value < timezone.now() - timedelta(minutes=5):
            raise ValidationError(_("This time has passed. Choose a time from now on."))
        return value


class AdSpendForm(forms.Form):
    """Entering a month again replaces its amount (saved through `adspend_set`)."""

    source = forms.CharField(
        label=_("Source"),
        max_length=64,
        help_text=_("As in the bot link: vk_ads, instagram, post_12…"),
    )
    month = forms.DateField(
        label=_("Month"),
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        input_formats=["%Y-%m", "%Y-%m-%d", "%m.%Y"],
    )
    amount = forms.DecimalField(
        label=_("Spent, RUB"), max_digits=12, decimal_places=2, min_value=Decimal("0")
    )

    def clean_source(self) -> str:
        return self.cleaned_data["source"].strip()

    def clean_month(self):
        return self.cleaned_data["month"].replace(day=1)


class PeriodForm(forms.Form):
    date_from = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end:
            if start > end:
                raise ValidationError(_("The period starts after it ends."))
            if (end - start).days > 366:
                raise ValidationError(_("Choose a period of at most a year."))
        return cleaned
