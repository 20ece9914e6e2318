from decimal import Decimal

from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import vocabulary

phone_validator = RegexValidator(
    r"^\+\d{10,15}$", _("Enter the phone in international format, e.g. +79161234567.")
)


class User(AbstractUser):
    """A staff member. The role decides what they may see and change (see `crm.access`)."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("Administrator")
        TRAINER = "trainer", _("Trainer")
        OPERATOR = "operator", _("Operator")
        READ_ONLY = "read_only", _("Read only")

    role = models.CharField(_("role"), max_length=16, choices=Role, default=Role.TRAINER)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    telegram_chat_id = models.BigIntegerField(
        _("Telegram chat id"),
        null=True,
        blank=True,
        help_text=_("Where the bot sends this person's notifications."),
    )

    class Meta:
        verbose_name = _("staff user")
        verbose_name_plural = _("staff users")

    def __str__(self) -> str:
        return staff_name(self.first_name, self.last_name, self.username)

    def save(self, *args, **kwargs):
        # Superusers are admins; admins (and only they) use Django admin.
        if self.is_superuser:
            self.role = self.Role.ADMIN
        self.is_staff = self.role == self.Role.ADMIN
        super().save(*args, **kwargs)

    def has_perm(self, perm, obj=None) -> bool:
        # The admin role manages everything in Django admin, like a superuser; finer-grained rights
        # for other roles come from the role itself (crm.access), not from per-model permissions.
        if self.is_active and self.role == self.Role.ADMIN:
            return True
        return super().has_perm(perm, obj)

    def has_module_perms(self, app_label) -> bool:
        if self.is_active and self.role == self.Role.ADMIN:
            return True
        return super().has_module_perms(app_label)

    @property
    def is_admin(self) -> bool:
        return self.is_superuser or self.role == self.Role.ADMIN

    @property
    def is_trainer(self) -> bool:
        return not self.is_superuser and self.role == self.Role.TRAINER

    @property
    def can_change(self) -> bool:
        return self.is_superuser or self.role != self.Role.READ_ONLY


def validate_birth_date(value) -> None:
    """Born between 1900 and today: 0001, 1800 or 2099 are typos, not clients."""
    import datetime

    from django.core.exceptions import ValidationError
    from django.utils import timezone

    if not datetime.date(1900, 1, 1) <= value <= timezone.localdate():
        raise ValidationError(
            _("Enter a birth date between 1900 and today."), code="birth_date_range"
        )


SEARCH_FIELDS = ("first_name", "last_name", "telegram_username", "email", "phone")


def search_fold(text: str) -> str:
    """Text as the search compares it: lower case, ё read as е (people type either)."""
    return (text or "").lower().replace("ё", "е")


class ClientQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        # bulk_create skips save(): fill the search text here so imports and demo data are found.
        objs = list(objs)
        for obj in objs:
            obj.search_text = obj.build_search_text()
        return super().bulk_create(objs, *args, **kwargs)


class ClientManager(models.Manager.from_queryset(ClientQuerySet)):
    """Clients staff may see. A client who asked to be forgotten (152-FZ, `privacy`) is gone from
    every page, list, report, export and automation at once; foreign keys still reach the row
    (Django's base manager), so their payments stay, anonymised."""

    def get_queryset(self):
        return super().get_queryset().filter(forgotten_at__isnull=True)


class Client(models.Model):
    """A person on the client journey, from the first lead to a finished program."""

    Gender = vocabulary.Gender
    Goal = vocabulary.Goal
    Experience = vocabulary.Level

    class Lifestyle(models.TextChoices):
        SEDENTARY = "sedentary", _("Sedentary")
        LIGHT = "light", _("Lightly active")
        MODERATE = "moderate", _("Moderately active")
        ACTIVE = "active", _("Very active")

    Location = vocabulary.Location
    Equipment = vocabulary.Equipment

    class Source(models.TextChoices):
        TELEGRAM = "telegram", _("Telegram bot")
        WEBSITE = "website", _("Website form")
        INSTAGRAM = "instagram", _("Instagram")
        VK_ADS = "vk_ads", _("VK ads")
        REFERRAL = "referral", _("Referral")
        MANUAL = "manual", _("Added by hand")

    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    phone = models.CharField(
        _("phone"), max_length=20, null=True, blank=True, unique=True, validators=[phone_validator]
    )
    telegram_id = models.BigIntegerField(_("Telegram id"), null=True, blank=True, unique=True)
    telegram_username = models.CharField(_("Telegram username"), max_length=64, blank=True)
    email = models.EmailField(_("email"), blank=True)

    gender = models.CharField(_("gender"), max_length=8, choices=Gender, blank=True)
    birth_date = models.DateField(
        _("birth date"), null=True, blank=True, validators=[validate_birth_date]
    )
    age = models.PositiveSmallIntegerField(
        _("age"), null=True, blank=True, validators=[MinValueValidator(10), MaxValueValidator(100)]
    )
    goal = models.CharField(_("goal"), max_length=16, choices=Goal, blank=True)
    experience = models.CharField(_("experience"), max_length=16, choices=Experience, blank=True)
    height_cm = models.PositiveSmallIntegerField(
        _("height, cm"),
        null=True,
        blank=True,
        validators=[MinValueValidator(100), MaxValueValidator(250)],
    )
    weight_kg = models.DecimalField(
        _("weight, kg"),
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(30), MaxValueValidator(300)],
    )
    lifestyle = models.CharField(_("lifestyle"), max_length=16, choices=Lifestyle, blank=True)
    location = models.CharField(_("where they train"), max_length=16, choices=Location, blank=True)
    equipment = models.CharField(_("equipment"), max_length=16, choices=Equipment, blank=True)
    training_days_per_week = models.PositiveSmallIntegerField(
        _("training days per week"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(7)],
    )

    source = models.CharField(_("source"), max_length=64, blank=True, db_index=True)
    trainer = models.ForeignKey(
        User,
        verbose_name=_("trainer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="clients",
    )
    stage = models.ForeignKey(
        "pipeline.PipelineStage",
        verbose_name=_("stage"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="clients",
    )
    stage_changed_at = models.DateTimeField(_("in stage since"), null=True, blank=True)
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True)
    next_contact_at = models.DateTimeField(_("next contact"), null=True, blank=True, db_index=True)
    notes = models.TextField(_("notes"), blank=True)
    # Set when Telegram answers 403 (the client blocked the bot); the bot stops messaging them
    # until they write to it again.
    bot_blocked_at = models.DateTimeField(_("blocked the bot at"), null=True, blank=True)
    # A staff member talking to the bot on the preview page, not a real lead: kept out of analytics.
    is_preview = models.BooleanField(_("bot preview client"), default=False, db_index=True)
    # Set by privacy.services.client_forget; the row then stays only for the payments pointing at it.
    forgotten_at = models.DateTimeField(_("forgotten at"), null=True, blank=True, editable=False)
    # What the client paid and kept (succeeded payments net of partial refunds), kept by the money
    # app's services (payments.services.clients_paid_refresh): the board's sums read this column
    # instead of adding up every payment of every client on it.
    paid_total = models.DecimalField(
        _("paid, RUB"), max_digits=12, decimal_places=2, default=Decimal("0.00"), editable=False
    )
    # Name, @username, e-mail and phone digits, folded (see `search_fold`), kept by save(): one
    # column the search box matches on every database (SQLite folds only ASCII case by itself).
    search_text = models.TextField(_("search text"), blank=True, default="", editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ClientManager()

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["stage", "trainer"], name="client_stage_trainer_idx"),
            models.Index(fields=["trainer", "-created_at"], name="client_trainer_created_idx"),
            models.Index(fields=["telegram_username"], name="client_tg_username_idx"),
            # Duplicate checks compare usernames case-insensitively (crm.selectors.client_duplicates).
            models.Index(Lower("telegram_username"), name="client_tg_username_lower_idx"),
            # A board column: one stage, newest in it first ("show more" pages through it).
            models.Index(
                fields=["stage", "-stage_changed_at", "-id"], name="client_stage_column_idx"
            ),
            # A trainer's list in creation order and its count (crm.selectors.OwnedOrUnassigned):
            # each side a range of this index alone, no row read to check forgotten_at.
            models.Index(
                fields=["trainer", "-created_at", "-id"],
                condition=Q(forgotten_at__isnull=True),
                name="client_live_trainer_new_idx",
            ),
            # Follow-ups due (the dashboard's count and list): one range of this index, without
            # reading each client row to check whom it belongs to and whether it was forgotten.
            models.Index(
                fields=["next_contact_at", "trainer", "forgotten_at"], name="client_follow_up_idx"
            ),
            # Clients (and money) per stage, for everyone or for one trainer: the board's column
            # heads and the dashboard read this index alone. Not partial: SQLite reads the rows of
            # a partial index whose condition the query repeats (forgotten_at IS NULL), and took
            # it over the index below for the dashboard's counts (0.55 s against 0.04 s).
            models.Index(
                fields=["stage", "trainer", "is_preview", "forgotten_at", "paid_total"],
                name="client_board_tally_idx",
            ),
            # The business's live clients per stage (dashboard and analytics counts read only
            # this index; bot-preview and forgotten clients are not in it).
            models.Index(
                fields=["stage", "stage_changed_at"],
                condition=Q(forgotten_at__isnull=True, is_preview=False),
                name="client_live_stage_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(age__isnull=True) | Q(age__gte=10, age__lte=100),
                name="client_age_range",
            ),
            models.CheckConstraint(
                condition=Q(height_cm__isnull=True) | Q(height_cm__gte=100, height_cm__lte=250),
                name="client_height_range",
            ),
            models.CheckConstraint(
                condition=Q(weight_kg__isnull=True) | Q(weight_kg__gte=30, weight_kg__lte=300),
                name="client_weight_range",
            ),
            models.CheckConstraint(condition=~Q(phone=""), name="client_phone_not_empty"),
        ]

    @property
    def source_label(self) -> str:
        return source_label(self.source)

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        # Lists load clients with .only(name fields): reading a deferred forgotten_at would cost a
        # query per row (a loaded field is in __dict__; get_deferred_fields() walks all 50 fields).
        # Staff queries never return forgotten clients (the default manager).
        if self.__dict__.get("forgotten_at") is not None:
            return _("Deleted client #%(id)s") % {"id": self.pk}
        return client_name(
            self.pk, self.first_name, self.last_name, self.telegram_username, self.phone
        )

    def clean(self):
        # Empty phone means "no phone" (NULL), before the constraints are validated: a cleared
        # phone in a form is a valid edit, not a violation of client_phone_not_empty.
        if not self.phone:
            self.phone = None

    def build_search_text(self) -> str:
        digits = "".join(ch for ch in self.phone or "" if ch.isdigit())
        username = f"@{self.telegram_username}" if self.telegram_username else ""
        return search_fold(
            " ".join([self.first_name, self.last_name, username, self.email, digits])
        )

    def save(self, *args, **kwargs):
        # Empty phone means "no phone": NULL keeps the unique constraint from clashing on "".
        if not self.phone:
            self.phone = None
        self.search_text = self.build_search_text()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and set(update_fields) & set(SEARCH_FIELDS):
            kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)


def staff_name(first_name: str, last_name: str, username: str) -> str:
    """A staff member as pages name them: the full name, else the login (rows read as values)."""
    return f"{first_name} {last_name}".strip() or username


def client_name(
    pk: int, first_name: str, last_name: str, telegram_username: str, phone: str
) -> str:
    """A (not forgotten) client as pages name them: the name, else @username, phone or number."""
    name = f"{first_name} {last_name}".strip()
    if name:
        return name
    if telegram_username:
        return f"@{telegram_username}"
    return phone or f"#{pk}"


_SOURCE_LABELS = dict(Client.Source.choices)


def source_label(value: str) -> str:
    """A source as people read it; a deep-link source not in the list shows as it is."""
    if not value:
        return "—"
    return str(_SOURCE_LABELS.get(value, value))


class Lead(models.Model):
    """One arrival of a client through a channel; a repeat visitor gets a new lead, not a new client."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        QUALIFIED = "qualified", _("Qualified")
        CONVERTED = "converted", _("Converted")
        LOST = "lost", _("Lost")

    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="leads"
    )
    source = models.CharField(_("source"), max_length=64, blank=True, db_index=True)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.NEW)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.client} · {self.source or '—'} · {self.get_status_display()}"


class ClientAction(models.Model):
    """Something the trainer did with a client: a call, a meeting, a note."""

    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        MESSAGE = "message", _("Message")
        MEETING = "meeting", _("Meeting")
        EMAIL = "email", _("Email")
        NOTE = "note", _("Note")

    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="actions"
    )
    kind = models.CharField(_("type"), max_length=16, choices=Kind)
    happened_at = models.DateTimeField(_("date"), db_index=True)
    description = models.TextField(_("description"), blank=True)
    author = models.ForeignKey(
        User, verbose_name=_("author"), null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("client action")
        verbose_name_plural = _("client actions")
        ordering = ["-happened_at", "-id"]
        indexes = [models.Index(fields=["client", "-happened_at"], name="action_client_date_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.client}"


class ClientContact(models.Model):
    """One message exchanged with a client through a channel; every bot message lands here."""

    class Channel(models.TextChoices):
        TELEGRAM = "telegram", _("Telegram")
        WHATSAPP = "whatsapp", _("WhatsApp")
        EMAIL = "email", _("Email")
        PHONE = "phone", _("Phone")

    class Direction(models.TextChoices):
        INBOUND = "inbound", _("Inbound")
        OUTBOUND = "outbound", _("Outbound")

    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="contacts"
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel)
    contact_data = models.CharField(_("contact data"), max_length=255, blank=True)
    text = models.TextField(_("text"), blank=True)
    direction = models.CharField(_("direction"), max_length=8, choices=Direction)
    sent_at = models.DateTimeField(_("time"), db_index=True)
    author = models.ForeignKey(
        User,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text=_("Staff member who wrote an outbound message; empty for the bot."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("client contact")
        verbose_name_plural = _("client contacts")
        ordering = ["-sent_at", "-id"]
        indexes = [models.Index(fields=["client", "-sent_at"], name="contact_client_date_idx")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.get_direction_display()} · {self.client}"


class Task(models.Model):
    """Something a trainer has to do with a client by a given time: call, write, meet…

    The client's next contact is the earliest open task: `Client.next_contact_at` is written only
    by the task services (crm.services `_next_contact_refresh`), never by hand.
    """

    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        MESSAGE = "message", _("Message")
        MEETING = "meeting", _("Meeting")
        CONSULTATION = "consultation", _("Consultation")
        FOLLOW_UP = "follow_up", _("Follow-up")
        OTHER = "other", _("Other")

    class Outcome(models.TextChoices):
        DONE = "done", _("Done")
        REACHED = "reached", _("Talked")
        NO_ANSWER = "no_answer", _("No answer")
        INTERESTED = "interested", _("Interested")
        NOT_INTERESTED = "not_interested", _("Not interested")
        CANCELLED = "cancelled", _("Cancelled")

    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="tasks"
    )
    assignee = models.ForeignKey(
        User,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
    )
    kind = models.CharField(_("type"), max_length=16, choices=Kind, default=Kind.CALL)
    title = models.CharField(_("what to do"), max_length=200, blank=True)
    due_at = models.DateTimeField(_("due"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome, blank=True)
    result = models.TextField(_("what happened"), blank=True)
    created_by = models.ForeignKey(
        User,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty when the system created the task."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_at", "id"]
        indexes = [
            # Today: my open tasks by due time; the client's earliest open task.
            models.Index(
                fields=["assignee", "due_at"],
                condition=Q(done_at__isnull=True),
                name="task_open_assignee_due_idx",
            ),
            models.Index(
                fields=["client", "due_at"],
                condition=Q(done_at__isnull=True),
                name="task_open_client_due_idx",
            ),
            # Today's "done": my tasks done since midnight, a range instead of all my tasks ever.
            # Partial, so that no planner takes it for the open tasks (done_at IS NULL): SQLite did,
            # and sorted all of them to list 25.
            models.Index(
                fields=["assignee", "done_at"],
                condition=Q(done_at__isnull=False),
                name="task_assignee_done_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(done_at__isnull=True, outcome="") | Q(done_at__isnull=False),
                name="task_outcome_only_when_done",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.client} · {self.due_at:%d.%m %H:%M}"

    @property
    def label(self) -> str:
        return self.title or str(self.get_kind_display())

    @property
    def is_open(self) -> bool:
        return self.done_at is None

    def is_overdue(self, now=None) -> bool:
        return self.done_at is None and self.due_at < (now or timezone.now())


class Notification(models.Model):
    """Something that concerns one staff member: shown under the bell in the top bar and, for the
    kinds in `TELEGRAM_KINDS`, in their own Telegram when they linked it (`/start staff_<token>`)."""

    class Kind(models.TextChoices):
        LEAD_ASSIGNED = "lead_assigned", _("Lead assigned to you")
        CLIENT_PAID = "client_paid", _("Client paid")
        CLIENT_WROTE = "client_wrote", _("Client wrote")
        CHECKIN_MISSED = "checkin_missed", _("Missed check-in")
        CLASSES_MISSED = "classes_missed", _("Missed classes")
        TASK_OVERDUE = "task_overdue", _("Task overdue")
        AUTOMATION = "automation", _("Automation note")
        OTHER = "other", _("Other")

    # What a trainer hears about in their own Telegram too (seed 002, issue 17): their new client,
    # their client's payment and message, the automations' notes (e.g. a low NPS score) and a
    # student missing classes in a row (seed 001).
    TELEGRAM_KINDS = frozenset(
        {
            Kind.LEAD_ASSIGNED,
            Kind.CLIENT_PAID,
            Kind.CLIENT_WROTE,
            Kind.AUTOMATION,
            Kind.CLASSES_MISSED,
        }
    )

    recipient = models.ForeignKey(
        User,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("type"), max_length=24, choices=Kind)
    client = models.ForeignKey(
        Client,
        verbose_name=_("client"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    text = models.CharField(_("text"), max_length=300)
    url = models.CharField(_("link"), max_length=300, blank=True)
    # Same key for the same recipient = the same event (a retried task, a replayed webhook).
    dedup_key = models.CharField(_("deduplication key"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_recipient_idx"),
            models.Index(
                fields=["recipient"],
                condition=Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedup_key"],
                condition=~Q(dedup_key=""),
                name="notification_once_per_event",
            )
        ]

    def __str__(self) -> str:
        return self.text


class Summary(models.Model):
    """A page's aggregates for one viewer's scope, computed in the background (`crm.summaries`) so
    that the page reads one row instead of scanning the business's history."""

    name = models.CharField(_("name"), max_length=60)
    # 0: everyone's (administrators, operators, read-only users); otherwise that trainer's scope.
    scope = models.PositiveIntegerField(_("scope"), default=0)
    computed_at = models.DateTimeField(_("computed at"))
    took_ms = models.PositiveIntegerField(_("took, ms"), default=0)
    data = models.BinaryField(_("data"))

    class Meta:
        verbose_name = _("summary")
        verbose_name_plural = _("summaries")
        ordering = ["name", "scope"]
        constraints = [
            models.UniqueConstraint(fields=["name", "scope"], name="summary_once_per_scope")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.scope or '*'})"


class ClientTally(models.Model):
    """How many live clients (not forgotten) each (stage, trainer, bot preview) holds and what they
    paid, kept by database triggers on the client table (migration 0016) so that the board's column
    heads and the dashboard read a few dozen rows instead of counting every client: any write that
    moves a client — a service, the admin, the API, a bulk update, a deletion — is counted, in the
    same transaction. `crm.tally` reads it and rebuilds it (nightly, as a check)."""

    stage_key = models.BigIntegerField(_("stage"))  # the stage's id, 0 for none
    trainer_key = models.BigIntegerField(_("trainer"))  # the trainer's id, 0 for unassigned
    is_preview = models.BooleanField(_("bot preview clients"))
    clients = models.IntegerField(_("clients"), default=0)
    paid = models.DecimalField(_("paid, RUB"), max_digits=14, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("client tally")
        verbose_name_plural = _("client tallies")
        constraints = [
            models.UniqueConstraint(
                fields=["stage_key", "trainer_key", "is_preview"], name="client_tally_key"
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.stage_key}/{self.trainer_key}{'*' if self.is_preview else ''}: {self.clients}"
        )
