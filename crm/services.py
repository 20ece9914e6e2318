"""Writes on clients. Stage changes are not here: only `pipeline.services` moves clients."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import (
    Action,
    audit_diff,
    audit_entry,
    audit_record,
    audit_record_many,
    audit_snapshot,
)
from config.celery import enqueue_on_commit
from pipeline.models import StageMove
from pipeline.services import stage_apply_event, stages_start

from .leads import lead_qualify
from .models import Client, ClientAction, ClientContact, Lead, Notification, Task, User
from .notifications import NOTIFICATION_SEND_TASK, staff_notify
from .phones import phone_normalize
from .selectors import client_duplicates

PROFILE_FIELDS = (
    "first_name",
    "last_name",
    "phone",
    "telegram_username",
    "email",
    "source",
    "trainer",
    "notes",
)
QUESTIONNAIRE_FIELDS = (
    "gender",
    "birth_date",
    "age",
    "goal",
    "experience",
    "height_cm",
    "weight_kg",
    "lifestyle",
    "location",
    "equipment",
    "training_days_per_week",
)


# Called up into `programs` (which depends on crm) by name; checked at start-up (config.checks).
PROGRAM_GENERATE_TASK = "programs.tasks.program_generate_task"


class ClientDuplicateError(ValidationError):
    """Another client already has this phone or Telegram account; `existing` lists them."""

    def __init__(self, existing: list[Client]):
        super().__init__(_("A client with this phone or Telegram account already exists."))
        self.existing = existing


@transaction.atomic
def client_set_next_contact(
    *, client: Client, next_contact_at: datetime | None, actor: User | None = None
) -> Client:
    """Schedule the next contact (moves the earliest open task, or adds a follow-up task), or
    with None mark the earliest open task done. The next contact itself is derived from tasks."""
    earliest = client_open_tasks(client).first()
    if next_contact_at is None:
        if earliest is not None:
            task_complete(task=earliest, actor=actor, outcome=Task.Outcome.DONE)
    elif earliest is not None:
        task_reschedule(task=earliest, due_at=next_contact_at)
    else:
        task_create(
            client=client, due_at=next_contact_at, kind=Task.Kind.FOLLOW_UP, created_by=actor
        )
    client.next_contact_at = _next_contact_refresh(client.pk)
    return client


@dataclass(frozen=True)
class LeadRegistration:
    client: Client
    lead: Lead
    client_created: bool


def _find_client(*, telegram_id: int | None, phone: str) -> Client | None:
    lookup = Q()
    if telegram_id:
        lookup |= Q(telegram_id=telegram_id)
    if phone:
        lookup |= Q(phone=phone)
    if not lookup:
        return None
    return Client.objects.select_for_update().filter(lookup).order_by("id").first()


def lead_register(
    *,
    source: str,
    channel: str,
    phone: str = "",
    telegram_id: int | None = None,
    telegram_username: str = "",
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    message: str = "",
) -> LeadRegistration:
    """Record a new lead: find the client (same Telegram id or phone = same client) or create one.

    A new client lands on the first stage; the message, if any, is kept as an inbound contact; staff
    are notified. Safe against two requests racing for the same person: the unique constraints decide
    and the loser reuses the winner's client. `phone` must already be normalized (crm.phones).
    """
    with transaction.atomic():
        client, created = _find_client(telegram_id=telegram_id, phone=phone), False
        if client is None:
            try:
                with transaction.atomic():
                    client = Client.objects.create(
                        phone=phone or None,
                        telegram_id=telegram_id,
                        telegram_username=telegram_username,
                        first_name=first_name,
                        last_name=last_name,
                        email=email,
                        source=source,
                    )
                    created = True
            except IntegrityError:
                client = _find_client(telegram_id=telegram_id, phone=phone)
                if client is None:  # pragma: no cover - the constraint that failed names a row
                    raise
        else:
            _fill_blanks(
                client,
                phone=phone,
                telegram_id=telegram_id,
                telegram_username=telegram_username,
                first_name=first_name,
                last_name=last_name,
                email=email,
            )
        lead = Lead.objects.create(client=client, source=source)
        if created:
            stage_apply_event(client=client, event=StageMove.Event.LEAD_CREATED)
        now = timezone.now()
        if message:
            ClientContact.objects.create(
                client=client,
                channel=channel,
                direction=ClientContact.Direction.INBOUND,
                contact_data=phone
                or email
                or (f"@{telegram_username}" if telegram_username else ""),
                text=message,
                sent_at=now,
            )
        Client.objects.filter(pk=client.pk).update(last_contact_at=now)
        staff_notify(
            text=_("New lead: %(name)s, %(contact)s, source: %(source)s%(repeat)s")
            % {
                "name": client.full_name,
                "contact": client.phone or client.email or "—",
                "source": source,
                "repeat": "" if created else _(" (returning client)"),
            },
            client=client,
        )
    return LeadRegistration(client=client, lead=lead, client_created=created)


def _fill_blanks(client: Client, **values) -> None:
    """Complete a known client's profile with what they told us now, never overwriting data."""
    changed = []
    for field, value in values.items():
        if value and not getattr(client, field):
            if (
                field == "phone"
                and Client.objects.filter(phone=value).exclude(pk=client.pk).exists()
            ):
                continue
            setattr(client, field, value)
            changed.append(field)
    if changed:
        client.save(update_fields=[*changed, "updated_at"])


def _clean_identity(data: dict[str, Any], *, exclude_pk: int | None = None) -> dict[str, Any]:
    data = dict(data)
    if "phone" in data:
        data["phone"] = phone_normalize(data.get("phone") or "")
    if "telegram_username" in data:
        data["telegram_username"] = (data.get("telegram_username") or "").strip().lstrip("@")
    existing = [
        other
        for other in client_duplicates(
            phone=data.get("phone", ""),
            telegram_username=data.get("telegram_username", ""),
            telegram_id=data.get("telegram_id"),
        )
        if other.pk != exclude_pk
    ]
    if existing:
        raise ClientDuplicateError(existing)
    return data


@transaction.atomic
def client_create(
    *,
    actor: User,
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    telegram_username: str = "",
    email: str = "",
    source: str = Client.Source.MANUAL,
    trainer: User | None = None,
    notes: str = "",
) -> Client:
    """Add a client by hand: one Lead with its source and the first stage (through the pipeline
    service, so the history starts right). The phone is stored as +7…; a phone or Telegram username
    that another client has raises ClientDuplicateError and nothing is created. A trainer who adds a
    client becomes its trainer unless another is given."""
    data = _clean_identity({"phone": phone, "telegram_username": telegram_username})
    if not (first_name.strip() or last_name.strip() or data["phone"] or data["telegram_username"]):
        raise ValidationError(_("Give at least a name, a phone or a Telegram username."))
    if trainer is None and actor.is_trainer:
        trainer = actor
    client = Client(
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        phone=data["phone"] or None,
        telegram_username=data["telegram_username"],
        email=email.strip(),
        source=source or Client.Source.MANUAL,
        trainer=trainer,
        notes=notes,
    )
    client.full_clean()
    try:
        with transaction.atomic():
            client.save()
    except IntegrityError as error:  # a concurrent create with the same phone won the race
        raise ClientDuplicateError(client_duplicates(phone=data["phone"])) from error
    Lead.objects.create(client=client, source=client.source)
    audit_record(
        actor=actor,
        action=Action.CLIENT_CREATE,
        obj=client,
        changes=audit_diff({}, audit_snapshot(client, PROFILE_FIELDS)),
    )
    stage_apply_event(
        client=client,
        event=StageMove.Event.LEAD_CREATED,
        actor=actor,
        notes=_("Added by hand"),
    )
    if trainer is not None and trainer != actor:
        _notify_assigned(client=client, trainer=trainer, actor=actor)
    return client


# --- Many clients at once (the import) ------------------------------------------------------------
# client_create and client_update cost about 30 and 10 queries a client: 20,000 rows of an import
# would run for many minutes, past what a Celery task may hold the broker's message. These do the
# same per client in a few queries per thousand.

IMPORTED_FIELDS = ("first_name", "last_name", "telegram_username", "email", "source", "notes")


class ClientRowError(ValidationError):
    """Row `index` (from 0) of a bulk write is refused; the messages say why. Nothing is saved."""

    def __init__(self, index: int, error: ValidationError):
        super().__init__(error.messages)
        self.index = index


def _validate(client: Client, index: int) -> None:
    # Field values only: relations are the actor or None, uniqueness is checked by the callers in
    # one query for all rows (and by the constraints), the check constraints are on fields these
    # writes do not touch.
    relations = [field.name for field in Client._meta.fields if field.is_relation]
    try:
        client.full_clean(exclude=relations, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        raise ClientRowError(index, error) from error


def _usernames_taken(usernames: set[str]) -> dict[str, set[int]]:
    """Lower-cased Telegram username → the clients that have it (as `client_duplicates` compares)."""
    taken: dict[str, set[int]] = {}
    if usernames:
        found = (
            Client.objects.alias(tg_lower=Lower("telegram_username"))
            .filter(tg_lower__in=usernames)
            .values_list("pk", "telegram_username")
        )
        for pk, username in found:
            taken.setdefault(username.lower(), set()).add(pk)
    return taken


@transaction.atomic
def clients_bulk_create(
    *, actor: User, rows: list[dict[str, Any]], notes: str = "", batch_size: int = 1000
) -> list[Client]:
    """Add many clients, each as `client_create` would: a Lead with its source, the first stage
    (its history row and rules, through `stages_start`), an audit entry; the actor becomes the
    trainer when they are one. A row holds IMPORTED_FIELDS fields, `phone` and `telegram_id`. Raises
    ClientRowError for the first row that is invalid or whose phone, Telegram username or id
    another client (or an earlier row) has, ValidationError when such a client was added meanwhile
    (the unique constraints); nothing is created then."""
    trainer = actor if actor.is_trainer else None
    rows = [dict(row) for row in rows]
    phones, ids, usernames = set(), set(), set()
    for index, row in enumerate(rows):
        try:
            row["phone"] = phone_normalize(row.get("phone") or "")
        except ValidationError as error:
            raise ClientRowError(index, error) from error
        row["telegram_username"] = (row.get("telegram_username") or "").strip().lstrip("@")
        phones.add(row["phone"])
        ids.add(row.get("telegram_id"))
        usernames.add(row["telegram_username"].lower())
    phones.discard("")
    ids.discard(None)
    usernames.discard("")
    taken = {
        "phone": set(Client.objects.filter(phone__in=phones).values_list("phone", flat=True)),
        "id": set(Client.objects.filter(telegram_id__in=ids).values_list("telegram_id", flat=True)),
        "username": set(_usernames_taken(usernames)),
    }
    clients = []
    for index, row in enumerate(rows):
        keys = {
            "phone": row["phone"],
            "id": row.get("telegram_id"),
            "username": row["telegram_username"].lower(),
        }
        if any(value and value in taken[kind] for kind, value in keys.items()):
            raise ClientRowError(index, ClientDuplicateError([]))
        for kind, value in keys.items():
            if value:
                taken[kind].add(value)
        if not any((row.get("first_name"), row.get("last_name"), keys["phone"], keys["username"])):
            error = ValidationError(_("Give at least a name, a phone or a Telegram username."))
            raise ClientRowError(index, error)
        client = Client(
            **{name: (row.get(name) or "").strip() for name in IMPORTED_FIELDS},
            phone=row["phone"] or None,
            telegram_id=row.get("telegram_id"),
            trainer=trainer,
        )
        client.source = client.source or Client.Source.MANUAL
        _validate(client, index)
        clients.append(client)
    try:
        with transaction.atomic():
            Client.objects.bulk_create(clients, batch_size=batch_size)
    except IntegrityError as error:  # a client with one of these phones or ids was added meanwhile
        raise ValidationError(
            _("Meanwhile another client was added with one of these phones or Telegram ids.")
        ) from error
    Lead.objects.bulk_create(
        [Lead(client=client, source=client.source) for client in clients], batch_size=batch_size
    )
    audit_record_many(
        [
            audit_entry(
                actor=actor,
                action=Action.CLIENT_CREATE,
                obj=client,
                changes=audit_diff({}, audit_snapshot(client, PROFILE_FIELDS)),
            )
            for client in clients
        ],
        batch_size=batch_size,
    )
    stages_start(clients=clients, actor=actor, notes=notes or _("Added by hand"))
    return clients


@transaction.atomic
def clients_bulk_update(
    *, actor: User, changes: dict[int, dict[str, Any]], batch_size: int = 1000
) -> int:
    """Change IMPORTED_FIELDS fields of many clients ({client id: {field: value}}), each as
    `client_update` would (validated, audited with before → after); returns how many changed.
    Raises ClientRowError (its index: the place in `changes`) for an invalid value or a Telegram
    username another client has; nothing is saved then."""
    ids = list(changes)
    locked: dict[int, Client] = {}
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        locked.update(Client.objects.select_for_update().in_bulk(chunk))
    wanted = {
        (data.get("telegram_username") or "").strip().lstrip("@").lower()
        for data in changes.values()
    } - {""}
    taken = _usernames_taken(wanted)
    changed, entries = [], []
    for index, (pk, data) in enumerate(changes.items()):
        unknown = set(data) - set(IMPORTED_FIELDS)
        if unknown:
            raise ValueError(f"Not editable here: {sorted(unknown)}")
        client = locked[pk]
        data = dict(data)
        if "telegram_username" in data:
            data["telegram_username"] = (data["telegram_username"] or "").strip().lstrip("@")
            owners = taken.setdefault(data["telegram_username"].lower(), set())
            if data["telegram_username"] and owners - {pk}:
                raise ClientRowError(index, ClientDuplicateError([]))
            owners.add(pk)
        before = audit_snapshot(client, list(data))
        for name, value in data.items():
            setattr(client, name, value)
        _validate(client, index)
        diff = audit_diff(before, audit_snapshot(client, list(data)))
        if diff:
            client.search_text = client.build_search_text()
            client.updated_at = timezone.now()
            changed.append(client)
            entries.append(
                audit_entry(actor=actor, action=Action.CLIENT_UPDATE, obj=client, changes=diff)
            )
    Client.objects.bulk_update(
        changed, [*IMPORTED_FIELDS, "search_text", "updated_at"], batch_size=batch_size
    )
    audit_record_many(entries, batch_size=batch_size)
    return len(changed)


def _notify_assigned(*, client: Client, trainer: User, actor: User | None) -> None:
    notification_create(
        recipient=trainer,
        kind=Notification.Kind.LEAD_ASSIGNED,
        client=client,
        text=_("%(actor)s assigned %(client)s to you.")
        % {"actor": actor or _("The system"), "client": client.full_name},
    )


@transaction.atomic
def client_update(*, client: Client, data: dict[str, Any], actor: User | None = None) -> Client:
    """Change profile or questionnaire fields (see PROFILE_FIELDS and QUESTIONNAIRE_FIELDS). The
    stage is not among them: it moves only through the pipeline service. Raises ValidationError
    (nothing saved) for invalid values, ClientDuplicateError when the phone or Telegram username
    belongs to another client. The changed fields (before → after) go to the audit log."""
    allowed = set(PROFILE_FIELDS) | set(QUESTIONNAIRE_FIELDS)
    unknown = set(data) - allowed
    if unknown:
        raise ValueError(f"Not editable here: {sorted(unknown)}")
    data = _clean_identity(data, exclude_pk=client.pk)
    locked = Client.objects.select_for_update().get(pk=client.pk)
    before = audit_snapshot(locked, list(data))
    previous_trainer = locked.trainer_id
    for name, value in data.items():
        setattr(locked, name, value)
    locked.full_clean(validate_unique=False)
    locked.save()
    changes = audit_diff(before, audit_snapshot(locked, list(data)))
    if changes:
        audit_record(actor=actor, action=Action.CLIENT_UPDATE, obj=locked, changes=changes)
    if locked.trainer_id and locked.trainer_id != previous_trainer and locked.trainer != actor:
        _notify_assigned(client=locked, trainer=locked.trainer, actor=actor)
    for name in data:
        setattr(client, name, getattr(locked, name))
    client.updated_at = locked.updated_at
    return client


@transaction.atomic
def client_action_log(
    *,
    client: Client,
    author: User,
    kind: str,
    description: str = "",
    happened_at: datetime | None = None,
    next_contact_at: datetime | None = None,
) -> ClientAction:
    """Record a call, message, meeting, email or note. Anything but a note is a contact with the
    client, so it moves `last_contact_at` forward (never back for an action logged late). A given
    `next_contact_at` schedules the follow-up at the same time."""
    happened_at = happened_at or timezone.now()
    action = ClientAction(
        client=client,
        kind=kind,
        description=description.strip(),
        happened_at=happened_at,
        author=author,
    )
    action.full_clean()
    action.save()
    locked = Client.objects.select_for_update().get(pk=client.pk)
    fields = []
    if kind != ClientAction.Kind.NOTE and (
        locked.last_contact_at is None or locked.last_contact_at < happened_at
    ):
        locked.last_contact_at = happened_at
        fields.append("last_contact_at")
    if fields:
        locked.save(update_fields=[*fields, "updated_at"])
        client.last_contact_at = locked.last_contact_at
    if next_contact_at is not None:
        client_set_next_contact(client=client, next_contact_at=next_contact_at, actor=author)
    return action


@transaction.atomic
def questionnaire_complete(*, client: Client, values: dict[str, Any]) -> Client:
    """The client finished the questionnaire: the answers onto the client (validated, so a bad value
    raises ValidationError and changes nothing), the lead qualified, the stage event applied, and
    the free program queued for after commit."""
    unknown = set(values) - set(QUESTIONNAIRE_FIELDS)
    if unknown:
        raise ValueError(f"Not questionnaire fields: {sorted(unknown)}")
    locked = Client.objects.select_for_update().get(pk=client.pk)
    for name, value in values.items():
        setattr(locked, name, value)
    locked.full_clean(validate_unique=False, validate_constraints=False)
    locked.save(update_fields=[*values, "updated_at"])
    lead_qualify(client=locked)
    stage_apply_event(client=locked, event=StageMove.Event.QUESTIONNAIRE_COMPLETED)
    enqueue_on_commit(
        PROGRAM_GENERATE_TASK, client_id=locked.pk, kind="free", trigger="questionnaire"
    )
    for name, value in values.items():
        setattr(client, name, value)
    client.stage, client.stage_changed_at = locked.stage, locked.stage_changed_at
    return locked


class LeadTakenError(ValidationError):
    """Another trainer took the lead first."""


@transaction.atomic
def client_take(*, client: Client, user: User) -> Client:
    """A trainer takes an unassigned lead. Two trainers clicking at once: the first one wins,
    the other gets LeadTakenError and nothing changes."""
    taken = Client.objects.filter(pk=client.pk, trainer__isnull=True).update(
        trainer=user, updated_at=timezone.now()
    )
    if not taken:
        raise LeadTakenError(_("This lead already has a trainer."))
    client.trainer = user
    return client


# --- Tasks ------------------------------------------------------------------------------------------


class TaskError(ValidationError):
    """The task cannot change this way (already done, a next step in the past…)."""


# What a finished task leaves in the client's history; a missed call is not a contact.
TASK_ACTION_KIND = {
    Task.Kind.CALL: ClientAction.Kind.CALL,
    Task.Kind.MESSAGE: ClientAction.Kind.MESSAGE,
    Task.Kind.MEETING: ClientAction.Kind.MEETING,
    Task.Kind.CONSULTATION: ClientAction.Kind.MEETING,
}


def client_open_tasks(client: Client):
    return Task.objects.filter(client=client, done_at__isnull=True).order_by("due_at", "id")


def _next_contact_refresh(client_id: int) -> datetime | None:
    """The one writer of Client.next_contact_at: the due time of the earliest open task."""
    earliest = (
        Task.objects.filter(client_id=client_id, done_at__isnull=True)
        .order_by("due_at")
        .values_list("due_at", flat=True)
        .first()
    )
    Client.objects.filter(pk=client_id).update(next_contact_at=earliest)
    return earliest


@transaction.atomic
def task_create(
    *,
    client: Client,
    due_at: datetime,
    kind: str = Task.Kind.CALL,
    title: str = "",
    assignee: User | None = None,
    created_by: User | None = None,
) -> Task:
    """A task for the client's trainer (or the given assignee, or its creator when the client has
    no trainer). The client's next contact follows at once."""
    if assignee is None:
        assignee = client.trainer or created_by
    task = Task(
        client=client,
        kind=kind,
        title=title.strip(),
        due_at=due_at,
        assignee=assignee,
        created_by=created_by,
    )
    task.full_clean()
    task.save()
    client.next_contact_at = _next_contact_refresh(client.pk)
    return task


@transaction.atomic
def task_reschedule(*, task: Task, due_at: datetime) -> Task:
    locked = Task.objects.select_for_update().get(pk=task.pk)
    if locked.done_at is not None:
        raise TaskError(_("This task is already done."))
    locked.due_at = due_at
    locked.save(update_fields=["due_at"])
    task.due_at = due_at
    _next_contact_refresh(task.client_id)
    return task


@dataclass(frozen=True)
class TaskDone:
    task: Task
    next_task: Task | None


@transaction.atomic
def task_complete(
    *,
    task: Task,
    actor: User | None,
    outcome: str,
    result: str = "",
    next_due_at: datetime | None = None,
    next_kind: str = "",
    next_title: str = "",
) -> TaskDone:
    """Done, in one action: what happened (outcome and a note), the contact in the client's
    history, and the next step as a new task. A task already done raises TaskError and nothing
    changes, so a double click records one call."""
    locked = Task.objects.select_for_update().select_related("client").get(pk=task.pk)
    if locked.done_at is not None:
        raise TaskError(_("This task is already done."))
    if outcome not in Task.Outcome.values:
        raise TaskError(_("Choose what happened."))
    now = timezone.now()
    if next_due_at is not None and next_due_at < now - timedelta(minutes=5):
        raise TaskError(_("The next step cannot be in the past."))
    locked.done_at, locked.outcome, locked.result = now, outcome, result.strip()
    locked.save(update_fields=["done_at", "outcome", "result"])
    action_kind = TASK_ACTION_KIND.get(locked.kind, ClientAction.Kind.NOTE)
    if outcome in (Task.Outcome.NO_ANSWER, Task.Outcome.CANCELLED):
        action_kind = ClientAction.Kind.NOTE  # a call nobody answered is not a contact
    if actor is not None and outcome != Task.Outcome.CANCELLED:
        description = " — ".join(
            part
            for part in (f"{locked.label}: {locked.get_outcome_display()}", locked.result)
            if part
        )
        client_action_log(
            client=locked.client, author=actor, kind=action_kind, description=description
        )
    next_task = None
    if next_due_at is not None:
        next_task = task_create(
            client=locked.client,
            due_at=next_due_at,
            kind=next_kind or locked.kind,
            title=next_title,
            assignee=locked.assignee,
            created_by=actor,
        )
    _next_contact_refresh(locked.client_id)
    task.done_at, task.outcome, task.result = locked.done_at, locked.outcome, locked.result
    return TaskDone(task=task, next_task=next_task)


# --- Notifications ----------------------------------------------------------------------------------


def notification_create(
    *,
    recipient: User | None,
    kind: str,
    text: str,
    client: Client | None = None,
    url: str = "",
    dedup_key: str = "",
) -> Notification | None:
    """Tell one staff member about something that concerns them: the bell in the top bar and, for
    `Notification.TELEGRAM_KINDS` when they linked their Telegram, a message from the bot (once
    per notification: the bot's outbox keys it by the notification). Every event that concerns a
    staff member goes through here, so each reaches them once on each channel.

    With a `dedup_key` the same event notifies once per recipient: a retried task or a replayed
    webhook creates nothing the second time (None is returned then, and for no recipient).
    """
    if recipient is None or not recipient.is_active:
        return None
    if not url and client is not None:
        from django.urls import reverse

        url = reverse("crm:client-detail", args=[client.pk])
    notification = Notification(
        recipient=recipient,
        kind=kind,
        client=client,
        text=text[:300],
        url=url,
        dedup_key=dedup_key,
    )
    try:
        with transaction.atomic():
            notification.save()
    except IntegrityError:
        if dedup_key:
            return None
        raise
    if recipient.telegram_chat_id is not None and kind in Notification.TELEGRAM_KINDS:
        enqueue_on_commit(NOTIFICATION_SEND_TASK, notification_id=notification.pk)
    return notification


def notifications_mark_read(*, user: User, ids: list[int] | None = None) -> int:
    """Mark the user's unread notifications read (all of them, or those with the given ids)."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())
