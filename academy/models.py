"""The academy: group classes and their sessions, bookings, attendance, memberships and ranks.

Students are `crm.Client`s, trainers are `crm.User`s. State changes go through `academy.services`.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    ALL = "all", _("All levels")
    BEGINNER = "beginner", _("Beginners")
    INTERMEDIATE = "intermediate", _("Intermediate")
    ADVANCED = "advanced", _("Advanced")
    KIDS = "kids", _("Kids")


class Discipline(models.Model):
    name = models.CharField(_("name"), max_length=80, unique=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("discipline")
        verbose_name_plural = _("disciplines")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class Hall(models.Model):
    name = models.CharField(_("name"), max_length=80, unique=True)

    class Meta:
        verbose_name = _("hall")
        verbose_name_plural = _("halls")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


weekdays_validator = RegexValidator(r"^[0-6]{1,7}$", _("Choose at least one weekday."))


class TrainingGroup(models.Model):
    """A group class with a weekly pattern; `sessions_generate` turns it into dated sessions."""

    title = models.CharField(_("title"), max_length=120)
    discipline = models.ForeignKey(
        Discipline, verbose_name=_("discipline"), on_delete=models.PROTECT, related_name="groups"
    )
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("trainer"),
        on_delete=models.PROTECT,
        related_name="academy_groups",
    )
    hall = models.ForeignKey(
        Hall, verbose_name=_("hall"), on_delete=models.PROTECT, related_name="groups"
    )
    # Weekdays as digits, Monday = 0: "024" is Monday, Wednesday and Friday.
    weekdays = models.CharField(_("weekdays"), max_length=7, validators=[weekdays_validator])
    start_time = models.TimeField(_("start time"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration, minutes"),
        default=90,
        validators=[MinValueValidator(15), MaxValueValidator(480)],
    )
    capacity = models.PositiveSmallIntegerField(
        _("capacity"), default=20, validators=[MinValueValidator(1), MaxValueValidator(500)]
    )
    level = models.CharField(_("level"), max_length=16, choices=Level, default=Level.ALL)
    regulars = models.ManyToManyField(
        "crm.Client",
        verbose_name=_("regular students"),
        blank=True,
        related_name="academy_groups",
        help_text=_("Expected at every session's roll call, booked or not."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("group class")
        verbose_name_plural = _("group classes")
        ordering = ["discipline__order", "title"]

    def __str__(self) -> str:
        return self.title

    @property
    def weekday_numbers(self) -> list[int]:
        return sorted({int(d) for d in self.weekdays})

    @property
    def weekdays_display(self) -> str:
        from django.utils.dates import WEEKDAYS_ABBR

        return ", ".join(str(WEEKDAYS_ABBR[n]) for n in self.weekday_numbers)


class Session(models.Model):
    """One dated class: from a group's pattern or a one-off. `booked_count` is kept by services.

    The check constraint `booked_count <= capacity` is the database's guarantee that a session is
    never overbooked, whatever two requests do at the same moment.
    """

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        CANCELLED = "cancelled", _("Cancelled")

    group = models.ForeignKey(
        TrainingGroup,
        verbose_name=_("group class"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sessions",
    )
    title = models.CharField(_("title"), max_length=120)
    discipline = models.ForeignKey(
        Discipline, verbose_name=_("discipline"), on_delete=models.PROTECT, related_name="sessions"
    )
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("trainer"),
        on_delete=models.PROTECT,
        related_name="academy_sessions",
    )
    hall = models.ForeignKey(
        Hall, verbose_name=_("hall"), on_delete=models.PROTECT, related_name="sessions"
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveSmallIntegerField(
        _("capacity"), validators=[MinValueValidator(1), MaxValueValidator(500)]
    )
    level = models.CharField(_("level"), max_length=16, choices=Level, default=Level.ALL)
    booked_count = models.PositiveSmallIntegerField(_("booked"), default=0)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.SCHEDULED)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["starts_at"], name="session_starts_idx"),
            models.Index(fields=["trainer", "starts_at"], name="session_trainer_starts_idx"),
            models.Index(fields=["hall", "starts_at"], name="session_hall_starts_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["group", "starts_at"], name="session_group_start_uniq"),
            models.CheckConstraint(
                condition=Q(booked_count__lte=F("capacity")), name="session_not_overbooked"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="session_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        local = timezone.localtime(self.starts_at)
        return f"{self.title} · {local:%d.%m %H:%M}"

    @property
    def free_places(self) -> int:
        return max(self.capacity - self.booked_count, 0)

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED


class Booking(models.Model):
    """A client's place in a session, or their place in its waitlist (first come, first promoted)."""

    class Status(models.TextChoices):
        BOOKED = "booked", _("Booked")
        WAITLISTED = "waitlisted", _("On the waitlist")
        CANCELLED = "cancelled", _("Cancelled")

    session = models.ForeignKey(
        Session, verbose_name=_("session"), on_delete=models.CASCADE, related_name="bookings"
    )
    client = models.ForeignKey(
        "crm.Client",
        verbose_name=_("client"),
        on_delete=models.CASCADE,
        related_name="academy_bookings",
    )
    status = models.CharField(_("status"), max_length=10, choices=Status)
    # Waitlist order: when the client (re)joined it.
    queued_at = models.DateTimeField(_("queued at"), default=timezone.now)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["queued_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "client"], name="booking_session_client_uniq"
            )
        ]
        indexes = [
            models.Index(fields=["session", "status", "queued_at"], name="booking_queue_idx"),
            models.Index(fields=["client", "status"], name="booking_client_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.client} · {self.session} · {self.get_status_display()}"


class MembershipPlan(models.Model):
    """A kind of membership on sale. Its name and price live in a payments Tariff (one each), so a
    membership is paid like anything else: YooKassa in the bot, cash or card at the desk."""

    class Kind(models.TextChoices):
        UNLIMITED = "unlimited", _("Unlimited for a period")
        VISITS = "visits", _("A number of visits")
        SINGLE = "single", _("Single visit")

    tariff = models.OneToOneField(
        "payments.Tariff",
        verbose_name=_("tariff"),
        on_delete=models.PROTECT,
        related_name="academy_plan",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    visits = models.PositiveSmallIntegerField(
        _("visits"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    duration_days = models.PositiveSmallIntegerField(
        _("valid for, days"), validators=[MinValueValidator(1), MaxValueValidator(730)]
    )

    class Meta:
        verbose_name = _("membership plan")
        verbose_name_plural = _("membership plans")
        ordering = ["tariff__order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="unlimited", visits__isnull=True)
                | Q(kind="visits", visits__gte=1)
                | Q(kind="single", visits=1),
                name="membership_plan_visits_match_kind",
            )
        ]

    def __str__(self) -> str:
        return self.tariff.name


class Membership(models.Model):
    """What a client bought: a period, and for visit plans a number of visits. One per payment."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        EXPIRED = "expired", _("Expired")
        CANCELLED = "cancelled", _("Cancelled")

    client = models.ForeignKey(
        "crm.Client",
        verbose_name=_("client"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    plan = models.ForeignKey(
        MembershipPlan, verbose_name=_("plan"), on_delete=models.PROTECT, related_name="memberships"
    )
    payment = models.OneToOneField(
        "payments.Payment",
        verbose_name=_("payment"),
        on_delete=models.PROTECT,
        related_name="academy_membership",
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    visits_total = models.PositiveSmallIntegerField(_("visits"), null=True, blank=True)
    visits_used = models.PositiveSmallIntegerField(_("visits used"), default=0)
    frozen_from = models.DateField(_("frozen from"), null=True, blank=True)
    frozen_to = models.DateField(_("frozen to"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status, default=Status.ACTIVE, db_index=True
    )
    ending_reminded_at = models.DateTimeField(_("end reminder sent at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["-ends_on", "-id"]
        indexes = [
            models.Index(fields=["client", "status", "ends_on"], name="membership_client_idx"),
            models.Index(fields=["status", "ends_on"], name="membership_status_end_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="membership_dates_order"
            ),
            models.CheckConstraint(
                condition=Q(visits_total__isnull=True) | Q(visits_used__lte=F("visits_total")),
                name="membership_visits_within_total",
            ),
            models.CheckConstraint(
                condition=Q(frozen_from__isnull=True, frozen_to__isnull=True)
                | Q(frozen_to__gte=F("frozen_from")),
                name="membership_freeze_dates_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client} · {self.plan} · {self.starts_on:%d.%m.%Y}–{self.ends_on:%d.%m.%Y}"

    @property
    def visits_left(self) -> int | None:
        if self.visits_total is None:
            return None
        return self.visits_total - self.visits_used

    def is_frozen_on(self, day) -> bool:
        return bool(self.frozen_from and self.frozen_from <= day <= self.frozen_to)

    def usable_on(self, day) -> bool:
        return (
            self.status == self.Status.ACTIVE
            and self.starts_on <= day <= self.ends_on
            and not self.is_frozen_on(day)
            and (self.visits_left is None or self.visits_left > 0)
        )


class Attendance(models.Model):
    """The roll call's mark for one student at one session; present and late use a visit."""

    class Status(models.TextChoices):
        PRESENT = "present", _("Present")
        LATE = "late", _("Late")
        ABSENT = "absent", _("Absent")
        EXCUSED = "excused", _("Excused")

    VISITED = (Status.PRESENT, Status.LATE)

    session = models.ForeignKey(
        Session, verbose_name=_("session"), on_delete=models.CASCADE, related_name="attendances"
    )
    client = models.ForeignKey(
        "crm.Client",
        verbose_name=_("client"),
        on_delete=models.CASCADE,
        related_name="academy_attendances",
    )
    status = models.CharField(_("status"), max_length=8, choices=Status)
    membership = models.ForeignKey(
        Membership,
        verbose_name=_("membership"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="attendances",
        help_text=_("The membership this visit was taken from."),
    )
    walk_in = models.BooleanField(_("walk-in"), default=False)
    # Copied from the session so reports and streaks need no join to order by time.
    session_starts_at = models.DateTimeField(_("session start"))
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("marked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    marked_at = models.DateTimeField(_("marked at"), default=timezone.now)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["-session_starts_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "client"], name="attendance_session_client_uniq"
            )
        ]
        indexes = [
            models.Index(fields=["client", "-session_starts_at"], name="attendance_client_idx"),
            models.Index(fields=["session_starts_at"], name="attendance_starts_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.client} · {self.session} · {self.get_status_display()}"


class MissedStreakAlert(models.Model):
    """One per streak of missed sessions: the streak is named by its first missed session."""

    client = models.ForeignKey(
        "crm.Client", verbose_name=_("client"), on_delete=models.CASCADE, related_name="+"
    )
    first_missed = models.ForeignKey(
        Attendance,
        verbose_name=_("first missed session"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    missed = models.PositiveSmallIntegerField(_("missed in a row"))
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("missed-classes alert")
        verbose_name_plural = _("missed-classes alerts")
        constraints = [
            models.UniqueConstraint(fields=["client", "first_missed"], name="missed_alert_once")
        ]

    def __str__(self) -> str:
        return f"{self.client} · {self.missed}"


# --- Ranks ----------------------------------------------------------------------------------------


class Rank(models.Model):
    """A step of a discipline's ladder (BJJ: белый → чёрный) with its promotion rule."""

    discipline = models.ForeignKey(
        Discipline, verbose_name=_("discipline"), on_delete=models.CASCADE, related_name="ranks"
    )
    name = models.CharField(_("name"), max_length=60)
    order = models.PositiveSmallIntegerField(_("order"))
    color = models.CharField(_("colour"), max_length=7, default="#ffffff")
    max_stripes = models.PositiveSmallIntegerField(
        _("stripes"), default=4, validators=[MaxValueValidator(10)]
    )
    min_sessions = models.PositiveSmallIntegerField(
        _("sessions since the last promotion"),
        default=0,
        help_text=_("Attended sessions needed before grading for the next step."),
    )
    min_months = models.PositiveSmallIntegerField(
        _("months at rank"), default=0, help_text=_("Months at this rank before the next one.")
    )

    class Meta:
        verbose_name = _("rank")
        verbose_name_plural = _("ranks")
        ordering = ["discipline", "order"]
        constraints = [
            models.UniqueConstraint(fields=["discipline", "order"], name="rank_order_uniq"),
            models.UniqueConstraint(fields=["discipline", "name"], name="rank_name_uniq"),
        ]

    def __str__(self) -> str:
        return self.name


class ClientRank(models.Model):
    """A student's current rank in a discipline; every change also writes a RankHistory row."""

    client = models.ForeignKey(
        "crm.Client", verbose_name=_("client"), on_delete=models.CASCADE, related_name="ranks"
    )
    discipline = models.ForeignKey(
        Discipline, verbose_name=_("discipline"), on_delete=models.CASCADE, related_name="+"
    )
    rank = models.ForeignKey(
        Rank, verbose_name=_("rank"), on_delete=models.PROTECT, related_name="+"
    )
    stripes = models.PositiveSmallIntegerField(_("stripes"), default=0)
    since = models.DateField(_("since"))

    class Meta:
        verbose_name = _("student rank")
        verbose_name_plural = _("student ranks")
        constraints = [
            models.UniqueConstraint(fields=["client", "discipline"], name="client_rank_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.client} · {self.rank} · {self.stripes}"


class Grading(models.Model):
    """A grading day: candidates are examined and the passed ones promoted."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        DONE = "done", _("Done")

    discipline = models.ForeignKey(
        Discipline, verbose_name=_("discipline"), on_delete=models.PROTECT, related_name="gradings"
    )
    held_on = models.DateField(_("date"))
    examiner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("examiner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    notes = models.TextField(_("notes"), blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status, default=Status.PLANNED)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("grading")
        verbose_name_plural = _("gradings")
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.discipline} · {self.held_on:%d.%m.%Y}"


class GradingCandidate(models.Model):
    class Result(models.TextChoices):
        PENDING = "pending", _("Not graded yet")
        PASSED = "passed", _("Passed")
        FAILED = "failed", _("Not passed")

    grading = models.ForeignKey(
        Grading, verbose_name=_("grading"), on_delete=models.CASCADE, related_name="candidates"
    )
    client = models.ForeignKey(
        "crm.Client", verbose_name=_("client"), on_delete=models.CASCADE, related_name="+"
    )
    target_rank = models.ForeignKey(
        Rank, verbose_name=_("to rank"), on_delete=models.PROTECT, related_name="+"
    )
    target_stripes = models.PositiveSmallIntegerField(_("stripes"), default=0)
    result = models.CharField(_("result"), max_length=8, choices=Result, default=Result.PENDING)
    notes = models.CharField(_("notes"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("grading candidate")
        verbose_name_plural = _("grading candidates")
        constraints = [
            models.UniqueConstraint(fields=["grading", "client"], name="grading_candidate_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.client} · {self.target_rank} · {self.get_result_display()}"


class RankHistory(models.Model):
    client = models.ForeignKey(
        "crm.Client", verbose_name=_("client"), on_delete=models.CASCADE, related_name="+"
    )
    discipline = models.ForeignKey(
        Discipline, verbose_name=_("discipline"), on_delete=models.CASCADE, related_name="+"
    )
    rank = models.ForeignKey(
        Rank, verbose_name=_("rank"), on_delete=models.PROTECT, related_name="+"
    )
    stripes = models.PositiveSmallIntegerField(_("stripes"), default=0)
    awarded_on = models.DateField(_("awarded on"))
    grading = models.ForeignKey(
        Grading,
        verbose_name=_("grading"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("rank history")
        verbose_name_plural = _("rank history")
        ordering = ["-awarded_on", "-id"]
        indexes = [models.Index(fields=["client", "discipline"], name="rankhistory_client_idx")]

    def __str__(self) -> str:
        return f"{self.client} · {self.rank} · {self.awarded_on:%d.%m.%Y}"
