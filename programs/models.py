"""Training programs and the template library they are built from.

The library is loaded from a sheet (or the bundled copy) into versioned rows: exactly one version is
active, and the web and the bot only ever read the active version from the database.
"""

import json
import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.models import Client
from crm.vocabulary import LIBRARY_LOCATIONS, Equipment, Gender, Goal, Level


class CyrillicJSONEncoder(json.JSONEncoder):
    """Stores Russian text as UTF-8, not `\\uXXXX` escapes: program content is half the size."""

    def __init__(self, *args, **kwargs):
        kwargs["ensure_ascii"] = False
        super().__init__(*args, **kwargs)


def private_storage() -> FileSystemStorage:
    """Program PDFs live under MEDIA_ROOT/private with no public URL; a view checks access."""
    return FileSystemStorage(location=os.path.join(str(settings.MEDIA_ROOT), "private"))


class TemplateVersion(models.Model):
    """One load of the template library; the active one is what selection reads."""

    class Source(models.TextChoices):
        BUNDLED = "bundled", _("Bundled library")
        CSV = "csv", _("Public CSV export")
        GSPREAD = "gspread", _("Google Sheets (service account)")

    number = models.PositiveIntegerField(_("version"), unique=True)
    source = models.CharField(_("source"), max_length=16, choices=Source)
    source_detail = models.CharField(_("source detail"), max_length=500, blank=True)
    checksum = models.CharField(_("checksum"), max_length=64)
    template_count = models.PositiveIntegerField(_("templates"), default=0)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    is_active = models.BooleanField(_("active"), default=False)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("loaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("loaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("template library version")
        verbose_name_plural = _("template library versions")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=Q(is_active=True),
                name="one_active_template_version",
            )
        ]

    def __str__(self) -> str:
        return f"v{self.number} · {self.get_source_display()}"


class ProgramTemplate(models.Model):
    """A 12-week program from the library: one sheet `program_code` with all its rows."""

    Gender = Gender
    Equipment = Equipment

    version = models.ForeignKey(
        TemplateVersion,
        verbose_name=_("version"),
        on_delete=models.CASCADE,
        related_name="templates",
    )
    code = models.CharField(_("program code"), max_length=64)
    sheet = models.CharField(_("sheet tab"), max_length=100, blank=True)
    title = models.CharField(_("title"), max_length=200)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender)
    level = models.CharField(_("level"), max_length=16, choices=Level)
    goal = models.CharField(_("goal"), max_length=16, choices=Goal)
    location = models.CharField(_("location"), max_length=8, choices=LIBRARY_LOCATIONS)
    equipment = models.CharField(_("equipment"), max_length=16, choices=Equipment)
    days_per_week = models.PositiveSmallIntegerField(_("days per week"))
    weeks = models.PositiveSmallIntegerField(_("weeks"))
    exercise_count = models.PositiveIntegerField(_("exercise rows"), default=0)
    content = models.JSONField(_("content"), encoder=CyrillicJSONEncoder)

    class Meta:
        verbose_name = _("program template")
        verbose_name_plural = _("program templates")
        ordering = ["gender", "level", "goal", "location", "equipment", "days_per_week"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="template_code_per_version")
        ]
        indexes = [
            models.Index(fields=["version", "gender", "level", "goal"], name="template_lookup_idx")
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.title}"


class TrainingProgram(models.Model):
    """A program made for one client: structured content, its text, and the PDF sent to them."""

    class Kind(models.TextChoices):
        # Context: "Paid" alone means other things elsewhere (a paid invoice, clients who paid).
        FREE = "free", pgettext_lazy("program kind", "Free")
        PAID = "paid", pgettext_lazy("program kind", "Paid")

    class FormattedBy(models.TextChoices):
        LLM = "llm", _("LLM")
        DETERMINISTIC = "deterministic", _("Deterministic formatter")

    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="programs"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind)
    trigger = models.CharField(
        _("trigger"),
        max_length=100,
        help_text=_("What asked for this program (questionnaire, payment id, manual…)."),
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    template = models.ForeignKey(
        ProgramTemplate,
        verbose_name=_("template"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="programs",
    )
    template_code = models.CharField(_("template code"), max_length=64, blank=True)
    selection = models.JSONField(
        _("selection"),
        default=dict,
        blank=True,
        encoder=CyrillicJSONEncoder,
        help_text=_("Which template was chosen for which answers, and why."),
    )
    weeks = models.PositiveSmallIntegerField(_("weeks"), default=0)
    content = models.JSONField(_("content"), default=dict, encoder=CyrillicJSONEncoder)
    formatting = models.JSONField(
        _("introduction and tips"), default=dict, blank=True, encoder=CyrillicJSONEncoder
    )
    formatted_by = models.CharField(
        _("formatted by"), max_length=16, choices=FormattedBy, blank=True
    )
    formatted_text = models.TextField(_("formatted text"), blank=True)
    pdf = models.FileField(
        _("PDF"), upload_to="programs/%Y/%m/", storage=private_storage, blank=True
    )
    pdf_rendered_at = models.DateTimeField(_("PDF rendered"), null=True, blank=True)
    pdf_stale = models.BooleanField(
        _("PDF out of date"), default=False, help_text=_("Content changed after the PDF was made.")
    )
    is_paid = models.BooleanField(_("paid"), default=False)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_programs",
    )
    assigned_at = models.DateTimeField(_("assigned"), default=timezone.now, db_index=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("training program")
        verbose_name_plural = _("training programs")
        ordering = ["-assigned_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "kind", "trigger"], name="program_once_per_trigger"
            )
        ]
        indexes = [
            models.Index(fields=["client", "-assigned_at"], name="program_client_idx"),
            models.Index(fields=["kind", "-assigned_at"], name="program_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.title or self.get_kind_display()} · {self.client_id}"

    @property
    def pdf_ready(self) -> bool:
        return bool(self.pdf) and not self.pdf_stale
