"""Client import from XLSX or CSV: read and check every row first (the preview is that check, with
per-row messages in Russian), then write all rows in one transaction or none.

Written on openpyxl/csv rather than django-import-export's admin flow: the import is a staff page
with role checks, our dedupe rule (same phone or Telegram id = same client) and our services, so
the clients are written through `crm.services.clients_bulk_create` / `clients_bulk_update` (lead,
first stage, audit rows — as by hand, in a few queries per thousand rows).
"""

import contextlib
import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language, override
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from audit.services import Action, audit_record
from config.celery import enqueue_on_commit
from crm.models import Client, User
from crm.phones import phone_normalize
from crm.services import IMPORTED_FIELDS, ClientRowError, clients_bulk_create, clients_bulk_update

from .exports import CLIENT_COLUMNS, IMPORT_HEADER
from .models import ClientImport

MAX_ROWS = 20_000
MAX_BYTES = 10 * 1024 * 1024
IMPORTED = CLIENT_COLUMNS[:8]


def _header_names() -> tuple[dict[str, str], set[str]]:
    """Column title → field, in the current language and in Russian (the default, in which files
    are usually exported); the export's other columns (stage, balance, …) are read and ignored."""
    fields: dict[str, str] = {}
    ignored: set[str] = set()
    for language in dict.fromkeys([get_language() or "ru", "ru"]):
        with override(language):
            fields.update({str(label): name for name, label in IMPORTED})
            ignored.update(str(label) for _, label in CLIENT_COLUMNS[8:])
    return fields, ignored


class ImportError_(Exception):
    """The file as a whole cannot be imported (format, header, size); message in Russian."""


@dataclass
class Row:
    number: int  # the line in the file, header = 1
    data: dict[str, Any]
    errors: list[str] = field(default_factory=list)
    existing: Client | None = None
    action: str = ""  # "create", "update", "skip"


@dataclass
class ImportPlan:
    rows: list[Row]
    on_duplicate: str

    @property
    def errors(self) -> list[Row]:
        return [row for row in self.rows if row.errors]

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action and not row.errors)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _read_rows(name: str, content: bytes) -> list[list[str]]:
    if len(content) > MAX_BYTES:
        raise ImportError_(_("The file is larger than 10 MB."))
    if name.lower().endswith(".csv"):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = content.decode("cp1251", errors="replace")
        dialect = csv.excel
        with contextlib.suppress(csv.Error):
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        reader = csv.reader(io.StringIO(text), dialect)
        rows = []
        for row in reader:
            rows.append([_cell(v) for v in row])
            if len(rows) > MAX_ROWS + 1:
                break
        return rows
    if not name.lower().endswith(".xlsx"):
        raise ImportError_(_("Upload an .xlsx or .csv file."))
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise ImportError_(_("The file is not a readable XLSX workbook.")) from error
    rows = []
    for values in book.worksheets[0].iter_rows(values_only=True):
        rows.append([_cell(v) for v in values])
        if len(rows) > MAX_ROWS + 1:
            break
    book.close()
    return rows


def import_plan(*, name: str, content: bytes, on_duplicate: str = "skip") -> ImportPlan:
    """Read the file and decide each row (create, update or skip), writing nothing. ImportError_ for
    a file that cannot be read, a wrong header or too many rows; row problems are in `row.errors`."""
    rows = _read_rows(name, content)
    while rows and not any(rows[-1]):
        rows.pop()
    if len(rows) < 2:
        raise ImportError_(_("The file is empty."))
    header = [title for title in rows[0]]
    while header and not header[-1]:
        header.pop()
    fields, ignored = _header_names()
    unknown = [title for title in header if title not in fields and title not in ignored]
    if unknown or not {"first_name", "phone"} <= {fields.get(title) for title in header}:
        raise ImportError_(
            _("Wrong header: expected the columns %(expected)s (as in the export).")
            % {"expected": ", ".join(str(title) for title in IMPORT_HEADER)}
        )
    if len(rows) - 1 > MAX_ROWS:
        raise ImportError_(
            _("Too many rows: at most %(max)s clients in one file.")
            % {"max": f"{MAX_ROWS:,}".replace(",", " ")}
        )
    columns = [(index, fields[title]) for index, title in enumerate(header) if title in fields]
    plan = ImportPlan(rows=[], on_duplicate=on_duplicate)
    for number, values in enumerate(rows[1:], start=2):
        if not any(values):
            continue
        data = {name: (values[index] if index < len(values) else "") for index, name in columns}
        plan.rows.append(_check(Row(number=number, data=data)))
    _decide(plan)
    return plan


def _check(row: Row) -> Row:
    data = row.data
    try:
        data["phone"] = phone_normalize(data.get("phone", ""))
    except ValidationError as error:
        row.errors.append(_("Phone: %(error)s") % {"error": error.messages[0]})
        data["phone"] = ""
    raw_id = data.get("telegram_id", "")
    if raw_id:
        try:
            data["telegram_id"] = int(raw_id)
            if data["telegram_id"] <= 0:
                raise ValueError
        except ValueError:
            row.errors.append(_("Telegram id must be a positive whole number."))
            data["telegram_id"] = None
    else:
        data["telegram_id"] = None
    data["telegram_username"] = data.get("telegram_username", "").lstrip("@")
    if not (data.get("first_name") or data.get("last_name") or data.get("phone")):
        row.errors.append(_("Give at least a name or a phone."))
    for name, limit in (("first_name", 100), ("last_name", 100), ("telegram_username", 64)):
        if len(data.get(name, "")) > limit:
            row.errors.append(_("“%(column)s” is too long.") % {"column": name})
    if data.get("email"):
        from django.core.validators import validate_email

        try:
            validate_email(data["email"])
        except ValidationError:
            row.errors.append(_("The email address is not valid."))
    return row


def _decide(plan: ImportPlan) -> None:
    """Match rows to existing clients (one query per field) and to each other."""
    phones = {row.data["phone"] for row in plan.rows if row.data.get("phone")}
    ids = {row.data["telegram_id"] for row in plan.rows if row.data.get("telegram_id")}
    by_phone = {c.phone: c for c in Client.objects.filter(phone__in=phones)} if phones else {}
    by_id = {c.telegram_id: c for c in Client.objects.filter(telegram_id__in=ids)} if ids else {}
    seen: dict[tuple, int] = {}
    for row in plan.rows:
        keys = [("phone", row.data.get("phone")), ("tg", row.data.get("telegram_id"))]
        for key in keys:
            if key[1] and key in seen:
                row.errors.append(_("Same client as row %(row)s.") % {"row": seen[key]})
        for key in keys:
            if key[1]:
                seen.setdefault(key, row.number)
        matches = {
            c.pk: c
            for c in (by_phone.get(row.data.get("phone")), by_id.get(row.data.get("telegram_id")))
            if c is not None
        }
        if len(matches) > 1:
            row.errors.append(_("The phone and the Telegram id belong to two different clients."))
            continue
        row.existing = next(iter(matches.values()), None)
        if row.existing is None:
            row.action = "create"
        else:
            row.action = "update" if plan.on_duplicate == "update" else "skip"


def import_apply(*, plan: ImportPlan, actor: User) -> dict[str, int]:
    """Write the plan: every row or none (ImportError_ when any row has an error)."""
    if plan.errors:
        raise ImportError_(
            _(
                "Nothing was imported: fix the rows with errors (%(count)s) and upload the file again."
            )
            % {"count": len(plan.errors)}
        )
    created = [row for row in plan.rows if row.action == "create"]
    updated = [row for row in plan.rows if row.action == "update"]
    with transaction.atomic():
        batch = created
        try:
            clients_bulk_create(
                actor=actor,
                rows=[{name: row.data.get(name) for name, _label in IMPORTED} for row in created],
                notes=_("Imported from a file"),
            )
            batch = updated
            clients_bulk_update(
                actor=actor,
                changes={
                    row.existing.pk: {
                        name: row.data[name] for name in IMPORTED_FIELDS if row.data.get(name)
                    }
                    for row in updated
                },
            )
        except ClientRowError as error:
            raise ImportError_(
                _("Row %(row)s: %(error)s Nothing was imported.")
                % {"row": batch[error.index].number, "error": " ".join(error.messages)}
            ) from error
        except ValidationError as error:
            raise ImportError_(
                _("%(error)s Nothing was imported.") % {"error": " ".join(error.messages)}
            ) from error
        counts = {action: plan.count(action) for action in ("create", "update", "skip")}
        audit_record(
            actor=actor,
            action=Action.IMPORT,
            note=_("Clients imported: %(create)s new, %(update)s updated, %(skip)s skipped.")
            % counts,
        )
    return counts


# --- Import in the background --------------------------------------------------------------------
# 20,000 rows take about a minute to check and write (bench/desk.py): longer than a web request
# may live. The preview stays in the request; the write runs in a task.

IMPORT_TASK = "desk.tasks.client_import_task"
PREVIEW_KEPT = timedelta(days=1)


def import_preview_store(
    *, name: str, content: bytes, on_duplicate: str, actor: User
) -> ClientImport:
    """Keep a checked file until it is confirmed (the uploader's earlier unconfirmed files and any
    left for a day go: they hold personal data nobody asked to import)."""
    stale = Q(created_by=actor) | Q(created_at__lt=timezone.now() - PREVIEW_KEPT)
    ClientImport.objects.filter(stale, status=ClientImport.Status.PREVIEWED).delete()
    return ClientImport.objects.create(
        created_by=actor,
        name=name[:255],
        content=content,
        on_duplicate=on_duplicate,
        language=get_language() or "",
    )


@transaction.atomic
def import_confirm(*, import_id: int, actor: User) -> ClientImport | None:
    """The uploader confirmed the preview: the import is queued (once; None when there is no such
    preview of theirs any more)."""
    found = (
        ClientImport.objects.select_for_update()
        .filter(pk=import_id, created_by=actor, status=ClientImport.Status.PREVIEWED)
        .first()
    )
    if found is None:
        return None
    found.status = ClientImport.Status.QUEUED
    found.save(update_fields=["status"])
    enqueue_on_commit(IMPORT_TASK, import_id=found.pk)
    return found


def import_run(*, import_id: int) -> ClientImport | None:
    """Write a queued import, all rows or none, and record the outcome on it. A redelivered task
    waits for the row lock and then finds it done; a worker that dies mid-way leaves it queued
    (its transaction rolls back), so the redelivery imports it whole."""
    with transaction.atomic():
        found = (
            ClientImport.objects.select_for_update()
            .filter(pk=import_id, status=ClientImport.Status.QUEUED)
            .first()
        )
        if found is None:
            return None
        with override(found.language or settings.LANGUAGE_CODE):
            try:
                plan = import_plan(
                    name=found.name, content=bytes(found.content), on_duplicate=found.on_duplicate
                )
                found.counts = import_apply(plan=plan, actor=found.created_by)
                found.status = ClientImport.Status.DONE
            except ImportError_ as error:  # the data changed since the preview
                found.status, found.error = ClientImport.Status.FAILED, str(error)
        found.content, found.finished_at = b"", timezone.now()
        found.save(update_fields=["counts", "status", "error", "content", "finished_at"])
    return found
