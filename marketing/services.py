"""Writes of the website settings, audited (the API key only as "changed", never its value)."""

from django.db import transaction

from audit.services import audit_diff, audit_record, audit_snapshot
from crm.models import User

from .forms import WebsiteSettingsForm
from .models import WebsiteSettings

ACTION_WEBSITE_SETTINGS = "website.settings"
AUDITED = [
    "trainer_name",
    "about",
    "contacts",
    "bot_username",
    "widget_enabled",
    "widget_greeting",
    "widget_system_prompt",
    "allowed_origins",
    "llm_base_url",
    "llm_model",
]


def _plain_list(value) -> str:
    if hasattr(value, "all"):  # the tariffs
        return ", ".join(str(item) for item in value.all())
    return str(value or "")


@transaction.atomic
def website_settings_update(*, form: WebsiteSettingsForm, actor: User) -> WebsiteSettings:
    """Save a valid settings form and write the audit entry with what changed."""
    before = audit_snapshot(WebsiteSettings.objects.get(pk=form.instance.pk), AUDITED)
    old_key = (
        WebsiteSettings.objects.filter(pk=form.instance.pk)
        .values_list("llm_api_key", flat=True)
        .first()
    )
    site = form.save()
    changes = audit_diff(before, audit_snapshot(site, AUDITED))
    if site.llm_api_key != old_key:
        changes["llm_api_key"] = ["***" if old_key else "", "***" if site.llm_api_key else ""]
    for name in ("photo", "tariffs"):
        if name in form.changed_data:
            changes[name] = ["", _plain_list(getattr(site, name))]
    if changes:
        audit_record(actor=actor, action=ACTION_WEBSITE_SETTINGS, obj=site, changes=changes)
    return site
