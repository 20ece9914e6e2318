from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Rule(models.Model):
    """An automation: when the trigger fires for a client who meets the conditions, do the actions.

    A rule fires at most once per client and occurrence (`Run`'s unique constraint); occurrences
    older than `active_since` (when the rule was last switched on) are ignored, so switching a rule
    on never floods clients with messages about the past.
    """

    class Trigger(models.TextChoices):
        STAGE_ENTERED = "stage_entered", _("Entered a stage")
        STAGE_STUCK = "stage_stuck", _("On a stage for a while")
        PROGRAM_DELIVERED = "program_delivered", _("Time after the paid program was delivered")
        PROGRAM_WEEK = "program_week", _("A week of the program begins")
        PROGRAM_ENDED = "program_ended", _("The program's last week has passed")
        NO_CHECKIN = "no_checkin", _("No check-in for a while")
        MEMBERSHIP_ENDS = "membership_ends", _("A membership ends")
        PAYMENT_PENDING = "payment_pending", _("A payment is left unpaid")
        NPS_ANSWERED = "nps_answered", _("An NPS answer")

    class Unit(models.TextChoices):
        MINUTES = "minutes", _("minutes")
        HOURS = "hours", _("hours")
        DAYS = "days", _("days")

    class Paid(models.TextChoices):
        ANY = "", _("Any")
        YES = "yes", _("Has paid")
        NO = "no", _("Has not paid")

    class Button(models.TextChoices):
        BUY = "buy", _("Buy a tariff")
        CHECKIN = "checkin", _("Start a check-in")
        NPS = "nps", _("NPS scale 0…10")
        TRAINER = "trainer", _("Write to the trainer")

    class StageEvent(models.TextChoices):
        NONE = "", _("No stage change")
        PROGRAM_FINISHED = "program_finished", _("Program finished → Finished")

    code = models.SlugField(
        _("code"), max_length=64, unique=True, null=True, blank=True, editable=False
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("on"), default=False)
    active_since = models.DateTimeField(_("on since"), null=True, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    # --- trigger
    trigger = models.CharField(_("trigger"), max_length=32, choices=Trigger)
    stage = models.ForeignKey(
        "pipeline.PipelineStage",
        verbose_name=_("stage"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("For “entered a stage” and “on a stage for a while”."),
    )
    delay_value = models.PositiveIntegerField(
        _("after"),
        default=0,
        help_text=_(
            "How long after the trigger the rule fires (for a membership: how long before it "
            "ends; 0 = on the day)."
        ),
    )
    delay_unit = models.CharField(_("unit"), max_length=8, choices=Unit, default=Unit.DAYS)
    week = models.PositiveSmallIntegerField(
        _("program week"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(52)],
        help_text=_("For “a week of the program begins”: empty = every week."),
    )
    nps_min = models.PositiveSmallIntegerField(
        _("NPS from"), default=0, validators=[MaxValueValidator(10)]
    )
    nps_max = models.PositiveSmallIntegerField(
        _("NPS to"), default=10, validators=[MaxValueValidator(10)]
    )

    # --- conditions
    if_stage = models.ForeignKey(
        "pipeline.PipelineStage",
        verbose_name=_("only on stage"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    if_source = models.CharField(_("only from source"), max_length=64, blank=True)
    if_tariff = models.ForeignKey(
        "payments.Tariff",
        verbose_name=_("only who bought"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    if_paid = models.CharField(_("payments"), max_length=4, choices=Paid, default="", blank=True)
    if_trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("only clients of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    # --- actions
    message = models.TextField(
        _("message to the client"),
        blank=True,
        help_text=_("Sent by the bot. Variables in braces, e.g. {name}. Empty = no message."),
    )
    buttons = models.JSONField(_("buttons"), default=list, blank=True)
    offer_tariffs = models.ManyToManyField(
        "payments.Tariff",
        verbose_name=_("tariffs to offer"),
        blank=True,
        related_name="+",
        help_text=_("For the Buy buttons; none chosen = every active tariff."),
    )
    trainer_note = models.TextField(
        _("note to the trainer"),
        blank=True,
        help_text=_(
            "A notification to the client's trainer: under the bell and in their Telegram. "
            "Empty = no note."
        ),
    )
    task_text = models.CharField(
        _("follow-up task"),
        max_length=200,
        blank=True,
        help_text=_("A task for the client's trainer (their next contact). Empty = no task."),
    )
    task_due_days = models.PositiveSmallIntegerField(_("task due in, days"), default=1)
    stage_event = models.CharField(
        _("stage change"), max_length=32, choices=StageEvent, default="", blank=True
    )

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("automation rule")
        verbose_name_plural = _("automation rules")
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(nps_min__lte=models.F("nps_max")), name="rule_nps")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def delay(self) -> timedelta:
        return timedelta(**{self.delay_unit: self.delay_value})


class Run(models.Model):
    """One firing of a rule for one client and occurrence — the send log.

    The unique constraint is the "at most once": however many passes, workers or redeliveries, a
    second insert for the same (rule, client, occurrence) is refused by the database.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")  # quiet hours: due_at is when it goes
        DONE = "done", _("Done")
        SKIPPED = "skipped", _("Skipped")
        FAILED = "failed", _("Failed")

    rule = models.ForeignKey(
        Rule, verbose_name=_("rule"), on_delete=models.CASCADE, related_name="runs"
    )
    client = models.ForeignKey(
        "crm.Client",
        verbose_name=_("client"),
        on_delete=models.CASCADE,
        related_name="automation_runs",
    )
    occurrence = models.CharField(_("occurrence"), max_length=64)
    status = models.CharField(_("status"), max_length=8, choices=Status, default=Status.PENDING)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    due_at = models.DateTimeField(_("due"), default=timezone.now)
    done_at = models.DateTimeField(_("done"), null=True, blank=True, db_index=True)
    text = models.TextField(_("message"), blank=True)
    reply_markup = models.JSONField(_("buttons"), null=True, blank=True)
    # Set by the bot when it queues the message (the outbox's row carries the delivery status).
    outbound_message = models.ForeignKey(
        "botapp.OutboundMessage",
        verbose_name=_("bot message"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    answer = models.CharField(_("answer"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("automation run")
        verbose_name_plural = _("automation runs")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "client", "occurrence"], name="run_once_per_occurrence"
            )
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="run_due_idx"),
            models.Index(fields=["rule", "-created_at"], name="run_rule_idx"),
            models.Index(fields=["client", "-created_at"], name="run_client_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id}/{self.client_id}/{self.occurrence}"


class NpsResponse(models.Model):
    """A client's answer to "would you recommend…" (0–10) for a program, with an optional comment."""

    client = models.ForeignKey(
        "crm.Client",
        verbose_name=_("client"),
        on_delete=models.CASCADE,
        related_name="nps_responses",
    )
    program = models.ForeignKey(
        "programs.TrainingProgram",
        verbose_name=_("program"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The trainer at the time of the answer, so analytics by trainer survive reassignments.
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("trainer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    run = models.ForeignKey(
        Run,
        verbose_name=_("asked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    score = models.PositiveSmallIntegerField(_("score"), validators=[MaxValueValidator(10)])
    comment = models.TextField(_("comment"), blank=True)
    awaiting_comment = models.BooleanField(default=False)
    created_at = models.DateTimeField(_("answered"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("NPS answer")
        verbose_name_plural = _("NPS answers")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["client", "program"], name="nps_once_per_program"),
            models.CheckConstraint(condition=Q(score__lte=10), name="nps_score_range"),
        ]

    def __str__(self) -> str:
        return f"{self.client_id}: {self.score}"

    @property
    def group(self) -> str:
        if self.score >= 9:
            return "promoter"
        return "passive" if self.score >= 7 else "detractor"
