"""Writes on clients. Stage changes are not here: only `pipeline.services` moves clients."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import Action, audit_diff, audit_record, audit_snapshot
from config.celery import enqueue_on_commit
from pipeline.models import StageMove
from pipeline.services import stage_apply_event

from .leads import lead_qualify
from .models import Client, ClientAction, ClientContact, Lead, User
from .notifications import staff_notify, trainer_notify
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
def client_set_next_contact(*, client: Client, next_contact_at: datetime | None) -> Client:
    """Schedule (or clear, with None) the next follow-up with a client."""
    client.next_contact_at = next_contact_at
    client.save(update_fields=["next_contact_at", "updated_at"])
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
    return client


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
    if (
        locked.trainer_id
        and locked.trainer_id != previous_trainer
        and locked.trainer_id != getattr(actor, "pk", None)
    ):
        trainer_notify(
            user=locked.trainer,
            text=_("New client assigned to you: %(name)s") % {"name": locked.full_name},
            client=locked,
        )
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
    if next_contact_at is not None:
        locked.next_contact_at = next_contact_at
        fields.append("next_contact_at")
    if fields:
        locked.save(update_fields=[*fields, "updated_at"])
        client.last_contact_at, client.next_contact_at = (
            locked.last_contact_at,
            locked.next_contact_at,
        )
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
