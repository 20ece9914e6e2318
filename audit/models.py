from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    """What a staff member did. Other apps add their codes here (the column holds any code, so a new
    one needs no migration); an unknown code is shown as is."""

    CLIENT_CREATE = "client.create", _("Client added")
    CLIENT_UPDATE = "client.update", _("Client changed")
    CLIENT_STAGE = "client.stage", _("Stage changed")
    PAYMENT_RECORD = "payment.record", _("Payment recorded")
    PAYMENT_CONFIRM = "payment.confirm", _("Payment confirmed")
    PAYMENT_REFUND = "payment.refund", _("Refund")
    PROMOTION_SAVE = "promotion.save", _("Promotion saved")
    LEDGER_ENTRY = "ledger.entry", _("Ledger entry")
    SHIFT_OPEN = "shift.open", _("Shift opened")
    SHIFT_CLOSE = "shift.close", _("Shift closed")
    IMPORT = "import", _("Import")
    EXPORT = "export", _("Export")
    ACCESS_DENIED = "access.denied", _("Access refused")
    ACADEMY_GROUP = "academy.group", _("Group class saved")
    ACADEMY_SESSION = "academy.session", _("Session changed")
    ACADEMY_ATTENDANCE = "academy.attendance", _("Attendance marked")
    ACADEMY_MEMBERSHIP = "academy.membership", _("Membership changed")
    ACADEMY_GRADING = "academy.grading", _("Grading results recorded")


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditImmutableError

    def delete(self):
        raise AuditImmutableError


class AuditImmutableError(Exception):
    def __init__(self):
        super().__init__("Audit entries are never changed or deleted.")


class AuditEntry(models.Model):
    """One staff write or refused access. Written once by `audit.services.audit_record`, never
    changed or deleted: the model, its queryset, the admin and (on PostgreSQL and SQLite) a database
    trigger all refuse it. One exception, for 152-FZ: the purge of a forgotten client replaces the
    personal values in it (`audit.services.audit_redact`), stamping `redacted_at`; who, what, when
    and the object stay, and the trigger refuses any update that does not stamp it.

    `actor` and `client` are references without a database constraint: the row outlives the user or
    client it names (a deleted client must not take its history with it), so names are also kept as
    text at the time of writing.
    """

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(_("who (name)"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    client = models.ForeignKey(
        "crm.Client",
        verbose_name=_("client"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    changes = models.JSONField(
        _("changes"), default=dict, blank=True, help_text=_("Field: [before, after].")
    )
    note = models.TextField(_("note"), blank=True)
    ip = models.GenericIPAddressField(_("address"), null=True, blank=True)
    path = models.CharField(_("page"), max_length=255, blank=True)
    # Set when the purge of a forgotten client (152-FZ) removed personal values from this entry —
    # the one change an entry allows (see `audit.services.audit_redact`).
    redacted_at = models.DateTimeField(_("personal data removed"), null=True, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["client", "-at"], name="audit_client_at_idx"),
            models.Index(fields=["actor", "-at"], name="audit_actor_at_idx"),
            models.Index(fields=["action", "-at"], name="audit_action_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} · {self.actor_name or '—'} · {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None or kwargs.get("force_update"):
            raise AuditImmutableError
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditImmutableError

    @property
    def action_label(self) -> str:
        try:
            return str(Action(self.action).label)
        except ValueError:
            return self.action

    @property
    def is_denied(self) -> bool:
        return self.action == Action.ACCESS_DENIED
