import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from crm.models import Client, User

from .metrics import METRICS


class Period(models.TextChoices):
    BEFORE = "before", _("Before")
    WEEK_1 = "week_1", _("Week 1")
    WEEK_2 = "week_2", _("Week 2")
    WEEK_3 = "week_3", _("Week 3")
    WEEK_4 = "week_4", _("Week 4")
    WEEK_5 = "week_5", _("Week 5")
    WEEK_6 = "week_6", _("Week 6")
    WEEK_7 = "week_7", _("Week 7")
    WEEK_8 = "week_8", _("Week 8")
    WEEK_9 = "week_9", _("Week 9")
    WEEK_10 = "week_10", _("Week 10")
    WEEK_11 = "week_11", _("Week 11")
    WEEK_12 = "week_12", _("Week 12")
    AFTER = "after", _("After")


# Position of each period on the time axis (before = 0, week N = N, after = 13).
PERIOD_ORDER = {value: index for index, value in enumerate(Period.values)}


def range_message(metric) -> str:
    return _("%(label)s must be between %(low)s and %(high)s %(unit)s.") % {
        "label": metric.label,
        "low": metric.low,
        "high": metric.high,
        "unit": metric.unit,
    }


def _range_validators(metric) -> list:
    # Translated when shown, not at import (a lazy string formatted now would freeze the language).
    message = lazy(range_message, str)(metric)
    return [
        MinValueValidator(metric.low, message=message),
        MaxValueValidator(metric.high, message=message),
    ]


def _measurement_field(metric) -> models.DecimalField:
    return models.DecimalField(
        metric.label,
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=_range_validators(metric),
    )


class ProgressJournal(models.Model):
    """One measurement entry of a client for a period (before, week 1…12, after).

    Every metric is optional: a client may send only their weight. One entry per client and period;
    a second save for the same period corrects the entry (see `services.measurement_save`).
    """

    class Source(models.TextChoices):
        WEB = "web", _("Web")
        BOT = "bot", _("Bot")

    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="progress_entries"
    )
    program = models.ForeignKey(
        "programs.TrainingProgram",
        verbose_name=_("program"),
        null=True,
        blank=True,
        # Measurements outlive nothing silently: a program with a journal is not deleted by
        # accident (deleting the client still removes both).
        on_delete=models.PROTECT,
        related_name="progress_entries",
    )
    period = models.CharField(_("period"), max_length=8, choices=Period)
    measured_on = models.DateField(_("date"), default=timezone.localdate)
    weight = _measurement_field(METRICS[0])
    chest = _measurement_field(METRICS[1])
    waist = _measurement_field(METRICS[2])
    lower_abdomen = _measurement_field(METRICS[3])
    glutes = _measurement_field(METRICS[4])
    right_thigh = _measurement_field(METRICS[5])
    left_thigh = _measurement_field(METRICS[6])
    right_calf = _measurement_field(METRICS[7])
    left_calf = _measurement_field(METRICS[8])
    right_arm = _measurement_field(METRICS[9])
    left_arm = _measurement_field(METRICS[10])
    notes = models.TextField(_("notes"), blank=True)
    source = models.CharField(_("source"), max_length=8, choices=Source, default=Source.WEB)
    created_by = models.ForeignKey(
        User, verbose_name=_("entered by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("progress entry")
        verbose_name_plural = _("progress journal")
        ordering = ["client", "measured_on", "id"]
        indexes = [models.Index(fields=["measured_on"], name="progress_measured_on_idx")]
        constraints = [
            # One entry per client, program and period; NULL never equals NULL in a unique index,
            # so entries without a program get a constraint of their own.
            models.UniqueConstraint(
                fields=["client", "program", "period"],
                condition=Q(program__isnull=False),
                name="progress_one_entry_per_program_period",
            ),
            models.UniqueConstraint(
                fields=["client", "period"],
                condition=Q(program__isnull=True),
                name="progress_one_entry_per_period_no_program",
            ),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{m.field}__isnull": True})
                    | Q(**{f"{m.field}__gte": m.low, f"{m.field}__lte": m.high}),
                    name=f"progress_{m.field}_range",
                )
                for m in METRICS
            ],
        ]

    def __str__(self) -> str:
        return f"{self.client} · {self.get_period_display()} · {self.measured_on:%d.%m.%Y}"

    def values(self) -> dict:
        return {m.field: getattr(self, m.field) for m in METRICS}


class ProgressTarget(models.Model):
    """The trainer's target for one metric of one client (e.g. waist 80 cm)."""

    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="progress_targets"
    )
    metric = models.CharField(
        _("metric"), max_length=16, choices=[(m.field, m.label) for m in METRICS]
    )
    value = models.DecimalField(_("target"), max_digits=5, decimal_places=1)
    set_by = models.ForeignKey(
        User, verbose_name=_("set by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("progress target")
        verbose_name_plural = _("progress targets")
        ordering = ["client", "metric"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "metric"], name="progress_one_target_per_metric"
            )
        ]

    def __str__(self) -> str:
        return f"{self.client} · {self.get_metric_display()} → {self.value}"


def photo_upload_to(instance: "ProgressPhoto", filename: str) -> str:
    # A random name: nothing about the client leaks through the file name.
    return f"progress/photos/{instance.client_id}/{uuid.uuid4().hex}.{instance.extension}"


class ProgressPhoto(models.Model):
    """A progress photo. Stored under MEDIA_ROOT, which no URL serves: only `progress:photo-file`,
    after the ownership check, sends it."""

    class Pose(models.TextChoices):
        FRONT = "front", _("Front")
        SIDE = "side", _("Side")
        BACK = "back", _("Back")

    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="progress_photos"
    )
    pose = models.CharField(_("pose"), max_length=8, choices=Pose)
    taken_on = models.DateField(_("date"), default=timezone.localdate)
    image = models.FileField(_("photo"), upload_to=photo_upload_to, max_length=200)
    content_type = models.CharField(max_length=32, default="image/jpeg")
    source = models.CharField(
        _("source"),
        max_length=8,
        choices=ProgressJournal.Source,
        default=ProgressJournal.Source.WEB,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("progress photo")
        verbose_name_plural = _("progress photos")
        ordering = ["-taken_on", "pose", "-id"]
        indexes = [models.Index(fields=["client", "-taken_on"], name="progress_photo_client_idx")]

    def __str__(self) -> str:
        return f"{self.client} · {self.get_pose_display()} · {self.taken_on:%d.%m.%Y}"

    @property
    def extension(self) -> str:
        return {"image/png": "png", "image/webp": "webp"}.get(self.content_type, "jpg")


class CheckinSession(models.Model):
    """A client's check-in in the bot, one question per metric; survives restarts and workers.

    One open session per client (the unique constraint); `step` is the index into METRICS of the
    question awaiting an answer, `answers` the values given so far (strings of Decimals).
    """

    class Status(models.TextChoices):
        OPEN = "open", _("In progress")
        DONE = "done", _("Saved")
        CANCELLED = "cancelled", _("Cancelled")

    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="checkins"
    )
    program = models.ForeignKey(
        "programs.TrainingProgram",
        verbose_name=_("program"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    period = models.CharField(_("period"), max_length=8, choices=Period)
    step = models.PositiveSmallIntegerField(default=0)
    answers = models.JSONField(default=dict, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.OPEN)
    entry = models.ForeignKey(
        ProgressJournal, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("bot check-in")
        verbose_name_plural = _("bot check-ins")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["client"], condition=Q(status="open"), name="progress_one_open_checkin"
            )
        ]

    def __str__(self) -> str:
        return f"{self.client} · {self.get_period_display()} · {self.get_status_display()}"


class CheckinPrompt(models.Model):
    """The weekly prompt sent to a client; the unique week makes the beat task send it once."""

    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="+"
    )
    week_start = models.DateField(_("week"))
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)

    class Meta:
        verbose_name = _("check-in prompt")
        verbose_name_plural = _("check-in prompts")
        constraints = [
            models.UniqueConstraint(
                fields=["client", "week_start"], name="progress_one_prompt_per_week"
            )
        ]

    def __str__(self) -> str:
        return f"{self.client} · {self.week_start:%d.%m.%Y}"
