"""The audit log's one write: `audit_record`. Every staff write made through a service calls it in
the same transaction as the change (a rolled-back change leaves no entry), and refused accesses
call it too.

    audit_record(actor=user, action=Action.CLIENT_UPDATE, obj=client, client=client,
                 changes=audit_diff(before, after))
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Model

from .context import current_origin
from .models import Action, AuditEntry

__all__ = ["Action", "audit_diff", "audit_record", "audit_snapshot"]


def _plain(value: Any) -> Any:
    """A JSON-safe, human-readable form of a field value."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Model):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return str(value)


def audit_snapshot(instance: Model, fields: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """The given fields' values, readable (a foreign key by its name), for `audit_diff`."""
    return {name: _plain(getattr(instance, name)) for name in fields}


def audit_diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Only the fields that changed, as {field: [before, after]}."""
    return {
        name: [_plain(before.get(name)), _plain(value)]
        for name, value in after.items()
        if _plain(before.get(name)) != _plain(value)
    }


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: Model | None = None,
    client: Model | None = None,
    changes: dict[str, list[Any]] | None = None,
    note: str = "",
) -> AuditEntry:
    """Write one audit entry: who (`actor`, None = the system), what (`action`, the object), the
    changed fields, when, and from which address (the current request's, if any). The client is
    taken from `obj` when `obj` is a client. Never raises for the caller's data: values are stored
    as readable text."""
    origin = current_origin()
    if client is None and obj is not None and obj._meta.label == "crm.Client":
        client = obj
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    entry = AuditEntry(
        actor=actor if authenticated else None,
        actor_name=(str(actor) if authenticated else "")[:150],
        action=str(action),
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        client=client,
        changes={name: [_plain(b), _plain(a)] for name, (b, a) in (changes or {}).items()},
        note=note,
        ip=origin.ip,
        path=origin.path,
    )
    entry.save()
    return entry


def audit_denied(*, actor: Any, note: str, client: Model | None = None) -> AuditEntry:
    """Record a refused access (another trainer's client, a read-only user trying to change)."""
    return audit_record(actor=actor, action=Action.ACCESS_DENIED, client=client, note=note)
