from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from .models import Action, AuditEntry


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def audit_entries(
    *,
    actor_id: int | None = None,
    client_id: int | None = None,
    action: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[AuditEntry]:
    """Entries newest first, narrowed by the filters; one query per page (actor and client joined)."""
    entries = AuditEntry.objects.select_related("actor", "client")
    if actor_id:
        entries = entries.filter(actor_id=actor_id)
    if client_id:
        entries = entries.filter(client_id=client_id)
    if action:
        entries = entries.filter(action=action)
    if date_from:
        entries = entries.filter(at__gte=_day_start(date_from))
    if date_to:
        entries = entries.filter(at__lt=_day_start(date_to + timedelta(days=1)))
    return entries.order_by("-at", "-id")


def client_audit_entries(*, client_id: int, limit: int, with_denied: bool) -> list[AuditEntry]:
    entries = AuditEntry.objects.filter(client_id=client_id).select_related("actor")
    if not with_denied:
        entries = entries.exclude(action=Action.ACCESS_DENIED)
    return list(entries.order_by("-at", "-id")[:limit])
