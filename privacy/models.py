"""Personal data under 152-FZ: the policy texts people agree to, their consents, deletion requests."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ConsentKind(models.TextChoices):
    PERSONAL = "personal", _("Processing of personal data")
    HEALTH = "health", _("Processing of health data (measurements, photos)")


class Channel(models.TextChoices):
    TELEGRAM = "telegram", _("Telegram bot")
    WEBSITE = "website", _("Website form")
    WIDGET = "widget", _("Website chat")
    STAFF = "staff", _("Staff, on the client's request")


class PolicyVersion(models.Model):
    """One published version of a consent text. Published versions never change: editing the text
    in admin publishes the next version, and each consent points at the version it agreed to."""

    kind = models.CharField(_("kind"), max_length=8, choices=ConsentKind)
    version = models.PositiveIntegerField(_("version"))
    text = models.TextField(
        _("text"), help_text=_("What the person agrees to, shown with Agree / Decline buttons.")
    )
    policy_url = models.URLField(_("policy link"), blank=True)
    published_at = models.DateTimeField(_("published"), default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("consent text version")
        verbose_name_plural = _("consent text versions")
        ordering = ["kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="policy_kind_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version}"


class Consent(models.Model):
    """One decision of a person: agreed, declined or withdrew, to which text, when, where.
    Append-only; the newest row per client and kind is the current state."""

    class Decision(models.TextChoices):
        GRANTED = "granted", _("Agreed")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrew")

    client = models.ForeignKey(
        "crm.Client", verbose_name=_("client"), on_delete=models.CASCADE, related_name="consents"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=ConsentKind)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision)
    policy = models.ForeignKey(
        PolicyVersion, verbose_name=_("text version"), on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel)
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["client", "kind", "-at"], name="consent_client_kind_idx")]

    def __str__(self) -> str:
        return f"{self.client_id} {self.kind} {self.decision}"


class DeletionRequest(models.Model):
    """A person's request to be forgotten, and the record of each step taken on it.

    The client row stays (payments point at it, anonymised) but carries no personal data after the
    purge; `client_ref` keeps the number for the record. `purge_keys` holds what the purge needs to
    find data not linked by a foreign key (the Telegram chat id) — and is emptied by the purge."""

    class Status(models.TextChoices):
        HIDDEN = "hidden", _("Hidden, waiting for the purge")
        PURGED = "purged", _("Purged")

    client = models.OneToOneField(
        "crm.Client",
        verbose_name=_("client"),
        on_delete=models.PROTECT,
        related_name="deletion_request",
    )
    client_ref = models.PositiveBigIntegerField(_("client number"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by staff"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    purge_after = models.DateTimeField(_("purge after"), db_index=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status, default=Status.HIDDEN, db_index=True
    )
    purged_at = models.DateTimeField(_("purged"), null=True, blank=True)
    purge_keys = models.JSONField(default=dict, blank=True)
    steps = models.JSONField(_("steps"), default=list, blank=True)

    class Meta:
        verbose_name = _("deletion request")
        verbose_name_plural = _("deletion requests")
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="hidden") | Q(purged_at__isnull=False),
                name="deletion_purged_has_time",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.client_ref} {self.get_status_display()}"


class ConsentRequest(models.Model):
    """The bot asked this client for this consent (clients from before consents are asked once)."""

    client = models.ForeignKey(
        "crm.Client", on_delete=models.CASCADE, related_name="consent_requests"
    )
    kind = models.CharField(max_length=8, choices=ConsentKind)
    asked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("consent request")
        verbose_name_plural = _("consent requests")
        constraints = [
            models.UniqueConstraint(fields=["client", "kind"], name="consent_request_unique")
        ]

    def __str__(self) -> str:
        return f"{self.client_id} {self.kind}"
