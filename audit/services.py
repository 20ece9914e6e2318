"""The audit log's one write: `audit_record`. Every staff write made through a service calls it in
the same transaction as the change (a rolled-back change leaves no entry), and refused accesses
call it too.

    audit_record(actor=user, action=Action.CLIENT_UPDATE, obj=client, client=client,
                 changes=audit_diff(before, after))
"""

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Model, Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from .context import current_origin
from .models import Action, AuditEntry

__all__ = [
    "Action",
    "audit_diff",
    "audit_entry",
    "audit_record",
    "audit_record_many",
    "audit_redact",
    "audit_snapshot",
]


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


def audit_entry(
    *,
    actor: Any,
    action: str,
    obj: Model | None = None,
    client: Model | None = None,
    changes: dict[str, list[Any]] | None = None,
    note: str = "",
) -> AuditEntry:
    """One audit entry, not saved yet: who (`actor`, None = the system), what (`action`, the
    object), the changed fields, when, and from which address (the current request's, if any). The
    client is taken from `obj` when `obj` is a client. Never raises for the caller's data: values
    are stored as readable text."""
    origin = current_origin()
    if client is None and obj is not None and obj._meta.label == "crm.Client":
        client = obj
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEntry(
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


def audit_record(**fields: Any) -> AuditEntry:
    """Write one audit entry: `audit_entry`'s keyword arguments, saved."""
    entry = audit_entry(**fields)
    entry.save()
    return entry


def audit_record_many(entries: list[AuditEntry], *, batch_size: int = 1000) -> None:
    """Write many entries made by `audit_entry` in a few inserts (an import of thousands of
    clients)."""
    AuditEntry.objects.bulk_create(entries, batch_size=batch_size)


def audit_denied(*, actor: Any, note: str, client: Model | None = None) -> AuditEntry:
    """Record a refused access (another trainer's client, a read-only user trying to change)."""
    return audit_record(actor=actor, action=Action.ACCESS_DENIED, client=client, note=note)


def scrub_needles(values: list[str]) -> list[str]:
    """A forgotten person's values worth looking for in kept texts: at least 4 characters (shorter
    ones would hit unrelated words), longest first (a full name before its first name)."""
    return sorted({v for v in values if v and len(v) >= 4}, key=len, reverse=True)


def scrub(value: Any, needles: list[str], mark: str) -> Any:
    """The value (text, number, or JSON list/dict of them) with every occurrence of the needles
    replaced by `mark` — the one scrubber of the 152-FZ purge, for audit entries and kept texts."""
    if isinstance(value, str):
        for needle in needles:
            value = value.replace(needle, mark)
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return mark if str(value) in needles else value
    if isinstance(value, list):
        return [scrub(item, needles, mark) for item in value]
    if isinstance(value, dict):
        return {key: scrub(item, needles, mark) for key, item in value.items()}
    return value


def audit_redact(
    *, client_id: int, fields: set[str], values: list[str], label: str, mark: str
) -> int:
    """Remove a forgotten person's personal data from the audit log (152-FZ); the purge of
    `privacy` is the only caller. Entries about the client lose the before/after values of the
    personal `fields` and, for the client itself, its name (`label` instead); in every entry (also
    those not linked to the client, e.g. a note that names them) each of `values` (name, phone,
    e-mail, Telegram — at least 4 characters, shorter ones would hit unrelated words) is replaced
    by `mark`.
    Who did what when, and the object, stay: the entry is stamped `redacted_at`, the one change
    the immutability trigger allows. Returns the number of entries changed."""
    values = scrub_needles(values)
    linked = Q(client_id=client_id) | Q(object_type="crm.client", object_id=str(client_id))
    mentions = Q()
    for value in values:
        escaped = json.dumps(value)[1:-1]  # how a JSON column may store it (\\u escapes)
        mentions |= Q(note__contains=value) | Q(object_repr__contains=value)
        mentions |= Q(_changes__contains=value) | Q(_changes__contains=escaped)
    # The plain manager: the model's own queryset refuses every update by design.
    entries = AuditEntry._base_manager.annotate(_changes=Cast("changes", TextField()))
    found = entries.filter(linked | mentions) if values else entries.filter(linked)
    now = timezone.now()
    changed = 0
    for entry in found.iterator():
        is_linked = entry.client_id == client_id or (
            entry.object_type == "crm.client" and entry.object_id == str(client_id)
        )
        changes = {
            name: [mark, mark] if is_linked and name in fields else scrub(pair, values, mark)
            for name, pair in entry.changes.items()
        }
        repr_ = label if entry.object_type == "crm.client" and is_linked else entry.object_repr
        update = {
            "changes": changes,
            "note": scrub(entry.note, values, mark),
            "object_repr": scrub(repr_, values, mark)[:200],
        }
        if all(getattr(entry, name) == value for name, value in update.items()):
            continue
        AuditEntry._base_manager.filter(pk=entry.pk).update(**update, redacted_at=now)
        changed += 1
    return changed
