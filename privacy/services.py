"""Consents, the right to be forgotten and the export of a person's data (152-FZ).

Forgetting has two steps:
1. `client_forget` (at once, on the client's `/forget` or an admin's button): the client leaves every
   staff page, list, report, export and automation (`Client.objects` no longer returns them), their
   contact identifiers and name are cleared so nothing can message them and they come back as a new
   person, and unsent messages are dropped.
2. `clients_purge` (the daily job, once `PRIVACY_PURGE_GRACE_DAYS` have passed — well within the 30
   days the law allows): every row that belongs to them is deleted with its files (questionnaire,
   measurements, photos, program PDFs, messages, history), the client row is emptied of every
   personal field, and payments stay for accounting, anonymised.

Every step is written to the request's own record (`DeletionRequest.steps`, which holds no personal
data) and to the audit log when the `audit` app is installed.

The purge and the export find a client's data by introspection: every model with a foreign key to
`crm.Client` — including apps added later — is covered without this module knowing it.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import zipfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.db import models, transaction
from django.db.models.deletion import Collector
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _

from audit.services import audit_record, audit_redact, scrub, scrub_needles
from crm.models import Client, User

from .defaults import SHIPPED
from .models import (
    Consent,
    ConsentKind,
    ConsentRequest,
    DeletionRequest,
    PolicyVersion,
)
from .selectors import consent_decision, policy_current
from .signals import health_withdrawn

logger = logging.getLogger(__name__)

# Rows kept (anonymised) when a client is purged: money for accounting, and the consent and
# deletion records themselves (they hold no personal data once the client row is emptied).
KEPT_MODELS = {
    "payments.payment",
    "payments.promocodeusage",
    "payments.subscription",
    "privacy.consent",
    "privacy.deletionrequest",
}
# Client fields that are not personal data and stay on the anonymous client row.
KEPT_CLIENT_FIELDS = {
    "id",
    "source",
    "trainer",
    "stage",
    "stage_changed_at",
    "created_at",
    "updated_at",
    "forgotten_at",
    "is_preview",
}
# Payment fields that may name the payer (receipt contacts, provider answers).
PAYMENT_PERSONAL_FIELDS = {"metadata": dict, "last_error": str, "confirmation_url": str}


REDACTED = "[удалено]"  # stands where a purged person's value was in a kept text


class PrivacyError(Exception):
    """A request that cannot be carried out; the message is safe to show."""


def _audit(*, action: str, note: str, actor: User | None = None) -> None:
    """An audit entry that names the client by number only: it must outlive the purge without
    holding personal data."""
    audit_record(actor=actor, action=action, note=note)


def _step(request: DeletionRequest, code: str, **details) -> None:
    request.steps = [*request.steps, {"at": timezone.now().isoformat(), "step": code, **details}]


# --- consents ---------------------------------------------------------------------------------------


def policy_publish(
    *, kind: str, text: str, policy_url: str = "", user: User | None = None
) -> PolicyVersion:
    """Publish the next version of a consent text (the old versions stay, consents point at them)."""
    with transaction.atomic():
        last = (
            PolicyVersion.objects.select_for_update().filter(kind=kind).order_by("-version").first()
        )
        policy = PolicyVersion(
            kind=kind,
            version=(last.version + 1) if last else 1,
            text=text,
            policy_url=policy_url,
            published_by=user,
        )
        policy.full_clean()
        policy.save()
    return policy


def policy_in_force(*, kind: str) -> PolicyVersion:
    """The text a client is asked to agree to: the latest published one, or the shipped version 1
    when none is (so nothing is ever processed unasked, and no caller handles "no text")."""
    policy = policy_current(kind=kind)
    if policy is None:
        policy, _created = PolicyVersion.objects.get_or_create(
            kind=kind, version=1, defaults={"text": SHIPPED[kind], "published_at": timezone.now()}
        )
    return policy


def consent_record(
    *, client: Client, kind: str, decision: str, channel: str, policy: PolicyVersion | None = None
) -> Consent:
    """Store one decision of the client on the current text of this kind (or the one given)."""
    policy = policy or policy_in_force(kind=kind)
    if client.forgotten_at is not None:
        raise PrivacyError(_("This client asked to be forgotten."))
    consent = Consent(client=client, kind=kind, decision=decision, policy=policy, channel=channel)
    consent.full_clean()
    consent.save()
    return consent


def consent_asked(*, client: Client, kind: str) -> None:
    """Remember that the bot showed this consent question to the client."""
    ConsentRequest.objects.get_or_create(client=client, kind=kind)


def consent_ask_due(*, client: Client, kind: str) -> bool:
    """A client from before consents existed, never asked and with no decision: ask them once."""
    if consent_decision(client=client, kind=kind) is not None:
        return False
    first = PolicyVersion.objects.filter(kind=kind).order_by("version").first()
    if first is None or client.created_at >= first.published_at:
        return False  # newcomers are asked where it matters (before the questionnaire)
    return not ConsentRequest.objects.filter(client=client, kind=kind).exists()


def health_withdraw(*, client: Client, channel: str, user: User | None = None) -> bool:
    """The client withdrew their consent to the processing of their health data (152-FZ art. 9):
    the decline is recorded and the apps delete what they hold of it (`signals.health_withdrawn`)
    at once. False, changing nothing, when they had not agreed (a second press)."""
    with transaction.atomic():
        locked = Client.objects.select_for_update().get(pk=client.pk)
        if consent_decision(client=locked, kind=ConsentKind.HEALTH) != Consent.Decision.GRANTED:
            return False
        consent_record(
            client=locked,
            kind=ConsentKind.HEALTH,
            decision=Consent.Decision.WITHDRAWN,
            channel=channel,
        )
        health_withdrawn.send(sender=Consent, client=locked)
        _audit(
            actor=user,
            action="privacy.health_withdraw",
            note=_(
                "Client #%(id)s withdrew the health-data consent; measurements and photos deleted."
            )
            % {"id": locked.pk},
        )
    return True


# --- forgetting -------------------------------------------------------------------------------------


@dataclass
class ForgetResult:
    request: DeletionRequest
    created: bool  # False: the client had already asked (a second /forget changes nothing)


def client_forget(*, client: Client, channel: str, user: User | None = None) -> ForgetResult:
    """Hide the client everywhere at once and schedule the purge. Idempotent."""
    with transaction.atomic():
        locked = Client._base_manager.select_for_update().get(pk=client.pk)
        existing = DeletionRequest.objects.filter(client=locked).first()
        if existing is not None:
            return ForgetResult(request=existing, created=False)
        now = timezone.now()
        request = DeletionRequest(
            client=locked,
            client_ref=locked.pk,
            channel=channel,
            requested_by=user if user is not None and user.is_authenticated else None,
            requested_at=now,
            purge_after=now + timedelta(days=settings.PRIVACY_PURGE_GRACE_DAYS),
            purge_keys=_purge_keys(locked),
        )
        _step(request, "requested", channel=channel, by_staff=request.requested_by_id)
        for kind in ConsentKind.values:
            Consent.objects.create(
                client=locked,
                kind=kind,
                decision=Consent.Decision.WITHDRAWN,
                policy=policy_in_force(kind=kind),
                channel=channel,
            )
        locked.forgotten_at = now
        for name in ("phone", "telegram_id"):
            setattr(locked, name, None)
        for name in ("first_name", "last_name", "telegram_username", "email"):
            setattr(locked, name, "")
        locked.save(
            update_fields=[
                "forgotten_at",
                "phone",
                "telegram_id",
                "first_name",
                "last_name",
                "telegram_username",
                "email",
                "updated_at",
            ]
        )
        dropped = _outbox_drop(locked)
        _chat_reset(locked)
        _step(request, "hidden", unsent_messages_dropped=dropped)
        request.save()
        _audit(
            action="privacy.forget",
            note=f"client #{locked.pk}: hidden at their request ({channel}); purge after "
            f"{request.purge_after:%Y-%m-%d}",
            actor=request.requested_by,
        )
    logger.info("client forgotten", extra={"client_id": locked.pk, "channel": channel})
    return ForgetResult(request=request, created=True)


def _purge_keys(client: Client) -> dict:
    """What the purge needs and cannot find by foreign key once the client row is emptied: the
    Telegram id (the chat's updates are keyed by it) and the person's values, to remove from the
    audit log (`audit.services.audit_redact`). Emptied by the purge."""
    keys: dict = {"telegram_id": client.telegram_id} if client.telegram_id else {}
    values = {
        client.first_name,
        client.last_name,
        f"{client.first_name} {client.last_name}".strip(),
        client.email,
        client.telegram_username,
        str(client.telegram_id or ""),
    }
    if client.phone:  # +79991112233 is also written 89991112233 and 9991112233
        digits = "".join(ch for ch in client.phone if ch.isdigit())
        values |= {client.phone, digits, f"8{digits[1:]}", digits[1:]}
    keys["values"] = sorted(v for v in values if v)
    return keys


def _outbox_drop(client: Client) -> int:
    if not apps.is_installed("botapp"):
        return 0
    OutboundMessage = apps.get_model("botapp", "OutboundMessage")
    return OutboundMessage.objects.filter(client=client, status="pending").update(
        status="skipped", error="client asked to be forgotten"
    )


def _chat_reset(client: Client) -> None:
    """The bot's conversation row keeps the chat (a button on an old message must not make a new
    client) but loses the answers typed so far."""
    if apps.is_installed("botapp"):
        apps.get_model("botapp", "BotChat").objects.filter(client=client).update(
            state="idle", step="", answers={}, promo_code="", editing=False
        )


def _files_of(instances) -> list[models.fields.files.FieldFile]:
    found = []
    for instance in instances:
        for field in instance._meta.concrete_fields:
            if isinstance(field, models.FileField):
                value = getattr(instance, field.attname)
                if value:
                    found.append(getattr(instance, field.name))
    return found


def _client_relations() -> list:
    return [
        rel
        for rel in Client._meta.related_objects
        if (rel.one_to_many or rel.one_to_one) and rel.related_model._meta.concrete_fields
    ]


def client_purge(*, request: DeletionRequest) -> DeletionRequest:
    """Delete everything the forgotten client left, keep payments anonymised. Idempotent."""
    with transaction.atomic():
        request = DeletionRequest.objects.select_for_update().get(pk=request.pk)
        if request.status == DeletionRequest.Status.PURGED:
            return request
        client = Client._base_manager.select_for_update().get(pk=request.client_id)
        collector = Collector(using="default")
        deleted_rows: dict[str, int] = {}
        for rel in _client_relations():
            label = rel.related_model._meta.label_lower
            if label in KEPT_MODELS:
                continue
            rows = list(rel.related_model._base_manager.filter(**{rel.field.name: client}))
            if rows:
                collector.collect(rows, keep_parents=True)
        telegram_id = request.purge_keys.get("telegram_id")
        if telegram_id and apps.is_installed("botapp"):
            # The chat's updates and messages are keyed by the Telegram id, some without a
            # foreign key (button answers, edits, replies after the forget).
            for name in ("TelegramUpdate", "OutboundMessage"):
                rows = apps.get_model("botapp", name)._base_manager.filter(chat_id=telegram_id)
                collector.collect(list(rows))
            apps.get_model("botapp", "RateSlot").objects.filter(key=f"chat:{telegram_id}").delete()
        files = []
        for model, instances in collector.data.items():
            files.extend(_files_of(instances))
            deleted_rows[model._meta.label_lower] = len(instances)
        collector.delete()
        _anonymise_client(client)
        payments = _anonymise_payments(client)
        values = request.purge_keys.get("values", [])
        redacted = _audit_redact(client, values)
        _staff_messages_scrub(values)
        _followups_scrub(values)
        request.status = DeletionRequest.Status.PURGED
        request.purged_at = timezone.now()
        request.purge_keys = {}
        _step(
            request,
            "purged",
            rows=deleted_rows,
            files=len(files),
            payments_anonymised=payments,
            audit_entries_redacted=redacted,
        )
        request.save()
        _audit(
            action="privacy.purge",
            note=f"client #{client.pk}: personal data deleted ({sum(deleted_rows.values())} "
            f"rows, {len(files)} files); {payments} payments kept, anonymised",
        )
        # Files go once the rows are surely gone; a rollback keeps both.
        transaction.on_commit(lambda: _delete_files(files))
    return request


def _audit_redact(client: Client, values: list[str]) -> int:
    """Audit entries are immutable, but may not keep a forgotten person's data: the purge is the one
    writer allowed to replace the personal values in them (who did what when stays)."""
    client.refresh_from_db()
    personal = {
        field.name
        for field in Client._meta.concrete_fields
        if field.name not in KEPT_CLIENT_FIELDS and not field.primary_key
    }
    return audit_redact(
        client_id=client.pk, fields=personal, values=values, label=str(client), mark=REDACTED
    )


def _staff_messages_scrub(values: list[str]) -> int:
    """Notes to the staff chat name the client in their text without a link to them ("Анна
    заполнил(а) анкету"): the stored copies lose the person's values."""
    needles = scrub_needles(values)
    if not apps.is_installed("botapp") or not needles:
        return 0
    OutboundMessage = apps.get_model("botapp", "OutboundMessage")
    mentions = models.Q()
    for needle in needles:
        mentions |= models.Q(text__contains=needle)
    changed = 0
    for message in OutboundMessage._base_manager.filter(mentions).only("pk", "text").iterator():
        changed += OutboundMessage._base_manager.filter(pk=message.pk).update(
            text=scrub(message.text, needles, REDACTED)
        )
    return changed


def _followups_scrub(values: list[str]) -> int:
    """Tasks promised in the durable outbox (`followups`) carry texts that name the client (a staff
    note's kwargs) and are kept a week after they ran: those that ran are deleted, those still
    waiting lose the person's values (the task still runs)."""
    needles = scrub_needles(values)
    if not apps.is_installed("followups") or not needles:
        return 0
    FollowUp = apps.get_model("followups", "FollowUp")
    found = FollowUp.objects.annotate(
        _args=Cast("args", models.TextField()), _kwargs=Cast("kwargs", models.TextField())
    )
    mentions = models.Q()
    for needle in needles:
        for form in {needle, json.dumps(needle)[1:-1]}:  # a JSON column may store \\u escapes
            mentions |= models.Q(_args__contains=form) | models.Q(_kwargs__contains=form)
    found = found.filter(mentions)
    changed, _deleted = found.filter(relayed_at__isnull=False).delete()
    for followup in found.filter(relayed_at__isnull=True).only("pk", "args", "kwargs"):
        FollowUp.objects.filter(pk=followup.pk).update(
            args=scrub(followup.args, needles, REDACTED),
            kwargs=scrub(followup.kwargs, needles, REDACTED),
        )
        changed += 1
    return changed


def _delete_files(files) -> None:
    for file in files:
        try:
            file.storage.delete(file.name)
        except OSError:
            logger.exception("could not delete a purged file %s", file.name)


def _anonymise_client(client: Client) -> None:
    changed = []
    for field in Client._meta.concrete_fields:
        if field.name in KEPT_CLIENT_FIELDS or field.primary_key:
            continue
        if field.null:
            value = None
        elif field.has_default():
            value = field.get_default()
        else:
            value = "" if isinstance(field, (models.CharField, models.TextField)) else None
        if value is None and not field.null:
            continue
        setattr(client, field.attname, value)
        changed.append(field.attname)
    Client._base_manager.filter(pk=client.pk).update(
        **{name: getattr(client, name) for name in changed}
    )


def _anonymise_payments(client: Client) -> int:
    if not apps.is_installed("payments"):
        return 0
    Payment = apps.get_model("payments", "Payment")
    fields = {
        name: kind() for name, kind in PAYMENT_PERSONAL_FIELDS.items() if _has_field(Payment, name)
    }
    return Payment._base_manager.filter(client=client).update(**fields)


def _has_field(model, name: str) -> bool:
    try:
        model._meta.get_field(name)
    except Exception:  # noqa: BLE001
        return False
    return True


def clients_purge(*, now=None) -> int:
    """The daily job: purge every request past its grace period. Returns how many were purged."""
    now = now or timezone.now()
    due = DeletionRequest.objects.filter(
        status=DeletionRequest.Status.HIDDEN, purge_after__lte=now
    ).values_list("pk", flat=True)
    count = 0
    for pk in list(due):
        client_purge(request=DeletionRequest(pk=pk))
        count += 1
    exports_cleanup(now=now)
    return count


# --- export -----------------------------------------------------------------------------------------


@dataclass
class Export:
    parts: list[Path]

    @property
    def size(self) -> int:
        return sum(p.stat().st_size for p in self.parts)


def export_dir() -> Path:
    return Path(settings.PRIVACY_EXPORT_DIR)


def exports_cleanup(*, now=None) -> int:
    """Exports are personal data too: delete them after PRIVACY_EXPORT_KEEP_HOURS."""
    now = now or timezone.now()
    root = export_dir()
    if not root.is_dir():
        return 0
    cutoff = (now - timedelta(hours=settings.PRIVACY_EXPORT_KEEP_HOURS)).timestamp()
    removed = 0
    for folder in root.iterdir():
        if folder.is_dir() and folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def _display(instance: models.Model, field) -> str:
    value = getattr(instance, field.attname)
    if value in (None, ""):
        return ""
    if field.choices:
        return str(getattr(instance, f"get_{field.name}_display")())
    if isinstance(field, models.ForeignKey):
        return str(getattr(instance, field.name))
    return str(value)


def _summary(client: Client) -> str:
    lines = [
        _("Everything we hold about you"),
        _("Prepared %(time)s") % {"time": timezone.localtime().strftime("%d.%m.%Y %H:%M")},
        "",
        _("Profile and questionnaire"),
    ]
    for field in Client._meta.concrete_fields:
        if field.primary_key or field.name in ("is_preview", "forgotten_at"):
            continue
        shown = _display(client, field)
        if shown:
            lines.append(f"  {field.verbose_name}: {shown}")
    lines += ["", _("Consents")]
    for consent in Consent.objects.filter(client=client).select_related("policy"):
        lines.append(
            f"  {timezone.localtime(consent.at):%d.%m.%Y %H:%M} · {consent.get_kind_display()} · "
            f"{consent.get_decision_display()} · {consent.policy} · {consent.get_channel_display()}"
        )
    lines += [
        "",
        _(
            "The folder data/ holds every record we keep about you (measurements, programs, "
            "messages, payments…) as JSON; files/ holds your photos and program PDFs."
        ),
    ]
    return "\n".join(lines) + "\n"


def _gather(
    client: Client,
) -> tuple[dict[str, bytes], list[tuple[str, models.fields.files.FieldFile]]]:
    documents: dict[str, bytes] = {"README.txt": _summary(client).encode()}
    documents["data/crm.client.json"] = serializers.serialize(
        "json", [client], indent=1, ensure_ascii=False
    ).encode()
    files = []
    for rel in _client_relations():
        model = rel.related_model
        rows = list(model._base_manager.filter(**{rel.field.name: client}).order_by("pk"))
        if not rows:
            continue
        label = model._meta.label_lower
        documents[f"data/{label}.json"] = serializers.serialize(
            "json", rows, indent=1, ensure_ascii=False
        ).encode()
        for file in _files_of(rows):
            files.append((f"files/{label}/{file.instance.pk}-{os.path.basename(file.name)}", file))
    if client.telegram_id and apps.is_installed("botapp"):
        updates = apps.get_model("botapp", "TelegramUpdate")._base_manager.filter(
            chat_id=client.telegram_id
        )
        messages = [
            {"received_at": u.received_at.isoformat(), "update": u.payload}
            for u in updates.order_by("update_id")
        ]
        if messages:
            documents["data/telegram_messages.json"] = json.dumps(
                messages, ensure_ascii=False, indent=1
            ).encode()
    return documents, files


def client_export(
    *, client: Client, part_mb: int | None = None, actor: User | None = None
) -> Export:
    """A zip (or several, each under PRIVACY_EXPORT_PART_MB — Telegram takes 50 MB per document) of
    everything we hold about the client: profile, questionnaire, consents, programs with their
    PDFs, measurements, photos, messages, payments. Part 1 holds all the records; photos and PDFs
    fill the parts in order."""
    limit = part_mb * 1024 * 1024 if part_mb else None
    folder = export_dir() / get_random_string(24)
    folder.mkdir(parents=True)
    documents, files = _gather(client)
    stamp = timezone.localtime().strftime("%Y%m%d")
    parts: list[Path] = []

    def new_part() -> tuple[zipfile.ZipFile, Path]:
        path = folder / f"my-data-{stamp}-part{len(parts) + 1}.zip"
        parts.append(path)
        return zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED), path

    archive, path = new_part()
    for name, body in documents.items():
        archive.writestr(name, body)
    for name, file in files:
        try:
            size = file.size
        except OSError:
            archive.writestr(f"{name}.missing.txt", _("This file is no longer stored."))
            continue
        archive.fp.flush()
        if limit and path.stat().st_size + size > limit and archive.namelist():
            archive.close()
            archive, path = new_part()
        info = zipfile.ZipInfo(name, date_time=timezone.localtime().timetuple()[:6])
        info.compress_type = zipfile.ZIP_STORED  # photos and PDFs are compressed already
        with file.open("rb") as source, archive.open(info, "w", force_zip64=True) as target:
            shutil.copyfileobj(source, target, 1024 * 1024)
    archive.close()
    if len(parts) == 1:
        single = folder / f"my-data-{stamp}.zip"
        parts[0].rename(single)
        parts = [single]
    export = Export(parts=parts)
    _audit(
        action="privacy.export",
        note=f"client #{client.pk}: all their data exported ({len(parts)} file(s), "
        f"{export.size} bytes)",
        actor=actor,
    )
    return export
