"""Reads other domains ask before they process or message a client (152-FZ).

`may_message(client)` — automations, reminders, the chat widget, posts: may we write to them?
`may_process_health(client)` — progress: may we take their measurements and photos?
"""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery

from crm.models import Client

from .models import Consent, ConsentKind, PolicyVersion


def policy_current(*, kind: str) -> PolicyVersion | None:
    return PolicyVersion.objects.filter(kind=kind).order_by("-version").first()


def consent_decision(*, client: Client, kind: str) -> str | None:
    """The client's latest decision ("granted", "declined", "withdrawn") or None if never asked."""
    return (
        Consent.objects.filter(client=client, kind=kind)
        .order_by("-at", "-id")
        .values_list("decision", flat=True)
        .first()
    )


def consent_history(*, client: Client) -> QuerySet[Consent]:
    return Consent.objects.filter(client=client).select_related("policy").order_by("-at", "-id")


def _legacy(client: Client) -> bool:
    """A client from before consents were asked for: allowed until they answer (they are asked
    once at their next message)."""
    first = PolicyVersion.objects.filter(kind=ConsentKind.PERSONAL).order_by("version").first()
    return first is not None and client.created_at < first.published_at


def has_consent(*, client: Client, kind: str = ConsentKind.PERSONAL) -> bool:
    return consent_decision(client=client, kind=kind) == Consent.Decision.GRANTED


def may_message(client: Client) -> bool:
    """True when we may write to this client first (not as an answer to their message): not
    forgotten, not blocked, and they agreed to the processing of their data (clients from before
    consents existed count as agreeing until they answer)."""
    if client.forgotten_at is not None or client.bot_blocked_at is not None:
        return False
    decision = consent_decision(client=client, kind=ConsentKind.PERSONAL)
    if decision is None:
        return _legacy(client)
    return decision == Consent.Decision.GRANTED


def may_process_health(client: Client) -> bool:
    """True when the client agreed (in writing, 152-FZ art. 10) to the processing of their
    measurements and photos."""
    return client.forgotten_at is None and has_consent(client=client, kind=ConsentKind.HEALTH)


def clients_messageable(queryset: QuerySet[Client]) -> QuerySet[Client]:
    """Narrow a client queryset to those `may_message` allows, in SQL (for bulk senders)."""
    latest = Subquery(
        Consent.objects.filter(client=OuterRef("pk"), kind=ConsentKind.PERSONAL)
        .order_by("-at", "-id")
        .values("decision")[:1]
    )
    first = PolicyVersion.objects.filter(kind=ConsentKind.PERSONAL).order_by("version").first()
    queryset = queryset.filter(forgotten_at__isnull=True, bot_blocked_at__isnull=True).annotate(
        _personal_consent=latest
    )
    granted = queryset.filter(_personal_consent=Consent.Decision.GRANTED)
    if first is None:
        return granted
    legacy = queryset.filter(_personal_consent__isnull=True, created_at__lt=first.published_at)
    return granted | legacy
