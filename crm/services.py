"""Writes on clients. Stage changes are not here: only `pipeline.services` moves clients."""

from datetime import datetime

from django.db import transaction

from .models import Client


@transaction.atomic
def client_set_next_contact(*, client: Client, next_contact_at: datetime | None) -> Client:
    """Schedule (or clear, with None) the next follow-up with a client."""
    client.next_contact_at = next_contact_at
    client.save(update_fields=["next_contact_at", "updated_at"])
    return client
