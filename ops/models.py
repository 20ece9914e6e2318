from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class BackupRun(models.Model):
    """One backup or one restore drill: what was written or checked, and how it ended."""

    class Kind(models.TextChoices):
        BACKUP = "backup", _("Backup")
        DRILL = "drill", _("Restore drill")

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        OK = "ok", _("Successful")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind)
    status = models.CharField(_("status"), max_length=8, choices=Status, default=Status.RUNNING)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # The backup's directory name (for a drill: the backup it restored).
    name = models.CharField(_("backup"), max_length=100, blank=True)
    size_bytes = models.BigIntegerField(_("size, bytes"), null=True, blank=True)
    detail = models.TextField(_("detail"), blank=True)

    class Meta:
        verbose_name = _("backup run")
        verbose_name_plural = _("backup runs")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["kind", "status", "-finished_at"], name="ops_run_kind_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name} {self.get_status_display()}"


class Heartbeat(models.Model):
    """The last time a periodic job proved it runs (beat → worker → database)."""

    name = models.CharField(max_length=50, primary_key=True)
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return f"{self.name} @ {self.at:%Y-%m-%d %H:%M:%S}"
