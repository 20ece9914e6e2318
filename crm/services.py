"""Writes on clients. Stage changes are not here: only `pipeline.services` moves clients."""

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from pipeline.models import StageMove
from pipeline.services import stage_apply_event

from .models import Client, ClientContact, Lead
from .notifications import staff_notify


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
