from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

color_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Enter a colour as #RRGGBB."))


class PipelineStage(models.Model):
    """A column of the sales pipeline. System stages carry a code that automatic moves rely on."""

    class Code(models.TextChoices):
        FIRST_CONTACT = "first_contact", _("First contact")
        CONSULTATION = "consultation", _("Consultation")
        DECIDING = "deciding", _("Making a decision")
        PURCHASED = "purchased", _("Service purchased")
        ACTIVE = "active", _("Active client")
        FINISHED = "finished", _("Finished")
        INACTIVE = "inactive", _("Inactive")

    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(
        _("system code"), max_length=32, choices=Code, null=True, blank=True, unique=True
    )
    order = models.PositiveIntegerField(_("order"), default=0, db_index=True)
    color = models.CharField(
        _("colour"), max_length=7, default="#6b7280", validators=[color_validator]
    )
    description = models.TextField(_("description"), blank=True)
    expected_days = models.PositiveSmallIntegerField(
        _("expected days in stage"),
        null=True,
        blank=True,
        help_text=_("Cards that stay longer are marked as stale."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("pipeline stage")
        verbose_name_plural = _("pipeline stages")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_system(self) -> bool:
        return bool(self.code)


class LostReason(models.Model):
    """Why a client was lost; offered when someone moves a client to Неактивен (edited in admin)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(
        _("offered"), default=True, help_text=_("Hidden reasons stay in the history and analytics.")
    )

    class Meta:
        verbose_name = _("lost reason")
        verbose_name_plural = _("lost reasons")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class StageMove(models.Model):
    """One move of a client between stages; written only by `pipeline.services`."""

    class Event(models.TextChoices):
        MANUAL = "manual", _("Moved by hand")
        LEAD_CREATED = "lead_created", _("New lead")
        QUESTIONNAIRE_COMPLETED = "questionnaire_completed", _("Questionnaire completed")
        PAYMENT_CREATED = "payment_created", _("Payment created")
        PAYMENT_SUCCEEDED = "payment_succeeded", _("Payment succeeded")
        PROGRAM_DELIVERED = "program_delivered", _("Paid program delivered")
        PROGRAM_FINISHED = "program_finished", _("Program finished")

    client = models.ForeignKey(
        "crm.Client", verbose_name=_("client"), on_delete=models.CASCADE, related_name="stage_moves"
    )
    # Names are kept beside the keys so the history still reads right after a stage is renamed
    # or deleted.
    from_stage = models.ForeignKey(
        PipelineStage,
        verbose_name=_("from stage"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    from_stage_name = models.CharField(_("from"), max_length=100, blank=True)
    to_stage = models.ForeignKey(
        PipelineStage,
        verbose_name=_("to stage"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    to_stage_name = models.CharField(_("to"), max_length=100)
    event = models.CharField(_("event"), max_length=32, choices=Event, default=Event.MANUAL)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("moved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text=_("Empty when the system moved the client."),
    )
    notes = models.TextField(_("notes"), blank=True)
    lost_reason = models.ForeignKey(
        LostReason,
        verbose_name=_("lost reason"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="moves",
    )
    moved_at = models.DateTimeField(_("moved at"), db_index=True)

    class Meta:
        verbose_name = _("stage move")
        verbose_name_plural = _("stage moves")
        ordering = ["-moved_at", "-id"]
        indexes = [
            models.Index(fields=["client", "-moved_at"], name="stagemove_client_date_idx"),
            models.Index(fields=["to_stage", "client"], name="stagemove_to_stage_client_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.client_id}: {self.from_stage_name or '—'} → {self.to_stage_name}"

    @property
    def is_automatic(self) -> bool:
        return self.event != self.Event.MANUAL
