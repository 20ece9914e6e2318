from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class FollowUp(models.Model):
    """A task that must run because of a change already committed (a transactional outbox row).

    Written in the same transaction as the change, so the change and the promise to act on it
    commit together; relayed to the broker after commit, and again by the relay job for as long as
    the broker cannot take it. Tasks are idempotent, so relaying twice changes nothing.
    """

    task = models.CharField(_("task"), max_length=100)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    kwargs = models.JSONField(_("keyword arguments"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    relayed_at = models.DateTimeField(_("handed to the broker"), null=True, blank=True)
    relay_attempts = models.PositiveSmallIntegerField(_("relay attempts"), default=0)
    error = models.TextField(_("last error"), blank=True)
    # Staff told it is late: once per follow-up.
    alerted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(relayed_at__isnull=True),
                name="followup_unrelayed_idx",
            ),
            models.Index(fields=["relayed_at"], name="followup_relayed_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.task} #{self.pk}"
