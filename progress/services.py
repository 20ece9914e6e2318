"""Writes of the progress journal: measurements, targets, photos, the report sent to a client."""

import io
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from config.celery import enqueue_on_commit
from crm.models import Client, User
from crm.notifications import staff_notify

from .metrics import BY_FIELD, METRIC_FIELDS
from .models import (
    CheckinSession,
    Period,
    ProgressJournal,
    ProgressPhoto,
    ProgressTarget,
    range_message,
)

if TYPE_CHECKING:
    from programs.models import TrainingProgram

SEND_DOCUMENT_TASK = "botapp.send_document"
PHOTO_MAX_BYTES = 10 * 1024 * 1024
PHOTO_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


def measurement_save(
    *,
    client: Client,
    period: str,
    values: dict[str, Decimal | None],
    program: "TrainingProgram | None" = None,
    measured_on: date | None = None,
    notes: str | None = None,
    actor: User | None = None,
    source: str = ProgressJournal.Source.WEB,
) -> tuple[ProgressJournal, bool]:
    """Create the client's entry for `period` of `program` (None: measurements outside a program),
    or correct it if it exists; returns (entry, created).

    Only the metrics given with a value are written (any subset; None leaves a metric as it was), so
    a correction never wipes what it does not mention. Out-of-range values raise ValidationError with
    a message per field and nothing is saved. A new entry needs at least one measurement. An entry
    sent through the bot notifies the staff chat after commit.
    """
    if program is not None and program.client_id != client.pk:
        raise ValidationError({"program": _("This program belongs to another client.")})
    if period not in Period.values:
        raise ValidationError({"period": _("Unknown period.")})
    unknown = set(values) - set(METRIC_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown metric: %(name)s.") % {"name": ", ".join(sorted(unknown))})
    given = {name: value for name, value in values.items() if value is not None}
    try:
        with transaction.atomic():
            entry = (
                ProgressJournal.objects.select_for_update()
                .filter(client=client, program=program, period=period)
                .first()
            )
            created = entry is None
            if created:
                if not given:
                    raise ValidationError(_("Enter at least one measurement."))
                entry = ProgressJournal(
                    client=client, program=program, period=period, created_by=actor
                )
            for name, value in given.items():
                setattr(entry, name, value)
            if measured_on is not None:
                entry.measured_on = measured_on
            if notes is not None:
                entry.notes = notes
            entry.source = source
            entry.full_clean(validate_unique=False, validate_constraints=False)
            entry.save()
    except IntegrityError:
        # Another request created the same period a moment ago: correct that entry instead.
        return measurement_save(
            client=client,
            period=period,
            values=values,
            program=program,
            measured_on=measured_on,
            notes=notes,
            actor=actor,
            source=source,
        )
    if source == ProgressJournal.Source.BOT:
        staff_notify(
            text=_("%(client)s sent measurements (%(period)s).")
            % {"client": client, "period": entry.get_period_display()},
            client=client,
        )
    return entry, created


def measurement_delete(*, entry: ProgressJournal) -> None:
    """Remove an entry entered by mistake."""
    entry.delete()


def target_set(
    *, client: Client, metric: str, value: Decimal | None, actor: User | None = None
) -> ProgressTarget | None:
    """Set (or, with value None, remove) the client's target for one metric.

    The target must lie in the metric's sane range (ValidationError otherwise). Returns the target,
    or None once removed.
    """
    spec = BY_FIELD.get(metric)
    if spec is None:
        raise ValidationError({"metric": _("Unknown metric.")})
    if value is None:
        ProgressTarget.objects.filter(client=client, metric=metric).delete()
        return None
    if not spec.low <= value <= spec.high:
        raise ValidationError({"value": range_message(spec)})
    target, _created = ProgressTarget.objects.update_or_create(
        client=client, metric=metric, defaults={"value": value, "set_by": actor}
    )
    return target


def photo_add(
    *,
    client: Client,
    pose: str,
    content: bytes,
    taken_on: date | None = None,
    source: str = ProgressJournal.Source.WEB,
) -> ProgressPhoto:
    """Store a progress photo privately (under MEDIA_ROOT with a random name).

    Only real JPEG, PNG or WebP images up to 10 MB are accepted (checked by decoding, not by the
    name); anything else raises ValidationError and nothing is stored.
    """
    from PIL import Image, UnidentifiedImageError

    if pose not in ProgressPhoto.Pose.values:
        raise ValidationError({"pose": _("Choose front, side or back.")})
    if len(content) > PHOTO_MAX_BYTES:
        raise ValidationError({"image": _("The photo is larger than 10 MB.")})
    try:
        with Image.open(io.BytesIO(content)) as image:
            image.verify()
            kind = PHOTO_FORMATS.get(image.format or "")
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        OSError,
        SyntaxError,
        ValueError,
    ) as exc:
        raise ValidationError({"image": _("This file is not a JPEG, PNG or WebP image.")}) from exc
    if kind is None:
        raise ValidationError({"image": _("This file is not a JPEG, PNG or WebP image.")})
    photo = ProgressPhoto(
        client=client,
        pose=pose,
        taken_on=taken_on or timezone.localdate(),
        content_type=kind,
        source=source,
    )
    photo.image.save("photo", ContentFile(content), save=False)
    try:
        photo.full_clean(exclude=["image"])
        photo.save()
    except Exception:
        photo.image.delete(save=False)
        raise
    return photo


def photo_delete(*, photo: ProgressPhoto) -> None:
    """Delete the photo's row and, after commit, its file."""
    storage, name = photo.image.storage, photo.image.name
    photo.delete()
    transaction.on_commit(lambda: storage.delete(name))


def health_data_delete(*, client: Client, **_signal) -> int:
    """`privacy.signals.health_withdrawn`: the client's measurements, photos (their files after
    commit) and any check-in in progress are deleted; their goals (target weight) stay. Returns how
    many measurements and photos went."""
    photos = list(ProgressPhoto.objects.filter(client=client))
    for photo in photos:
        photo_delete(photo=photo)
    measurements, _by_model = ProgressJournal.objects.filter(client=client).delete()
    CheckinSession.objects.filter(client=client).delete()
    return measurements + len(photos)


def report_send(
    *,
    client: Client,
    comment: str,
    program: "TrainingProgram | None" = None,
    actor: User | None = None,
) -> bool:
    """Render the progress report PDF and ask the bot to send it to the client.

    The PDF is written to default storage under progress/reports/; the bot's task
    `botapp.send_document` (kwargs client_id, path = the storage name, caption) is enqueued after
    commit. Returns False, changing nothing
    visible to the client, when the client has no Telegram chat or the bot cannot send documents.
    """
    from django.core.files.storage import default_storage

    from .report import report_pdf

    if not client.telegram_id:
        return False
    pdf = report_pdf(client=client, comment=comment, program=program.pk if program else None)
    name = default_storage.save(
        f"progress/reports/{client.pk}/report-{timezone.now():%Y%m%d-%H%M%S}.pdf", ContentFile(pdf)
    )
    caption = _("Your progress report")
    sent = enqueue_on_commit(SEND_DOCUMENT_TASK, client_id=client.pk, path=name, caption=caption)
    if not sent:
        default_storage.delete(name)
    return sent


# How far back a missed week is still worth telling the trainer about (a job down for a few days
# catches up; older weeks are history, not news).
MISSED_CHECKIN_LOOKBACK_WEEKS = 2


def checkins_missed_notify(*, today: date | None = None) -> int:
    """Tell each client's trainer (bell) about a week of the 12 that ended without a check-in.

    Week N of a journal is days 7N−6…7N after its "before" entry (as `checkin.checkin_period`
    counts); it has ended once 7N days have passed. Each missed week notifies once: the key
    `checkin_missed:<journal>:week_N` meets the notifications' unique constraint, so a rerun, a
    retried task or two workers change nothing. Queries: two reads, then one insert per new miss.
    """
    from crm.models import Notification
    from crm.services import notification_create

    today = today or timezone.localdate()
    # journals whose weeks 1–12 may have ended in the lookback window
    newest_start = today - timedelta(days=7)
    oldest_start = today - timedelta(days=7 * (12 + MISSED_CHECKIN_LOOKBACK_WEEKS))
    starts = list(
        ProgressJournal.objects.filter(
            period=Period.BEFORE,
            measured_on__gte=oldest_start,
            measured_on__lte=newest_start,
            client__trainer__isnull=False,
            client__is_preview=False,
            client__forgotten_at__isnull=True,
        ).select_related("client", "client__trainer")
    )
    due: list[tuple[ProgressJournal, int]] = []
    for start in starts:
        ended = ((today - start.measured_on).days - 1) // 7  # the last week that has ended
        for week in range(max(1, ended - MISSED_CHECKIN_LOOKBACK_WEEKS + 1), min(ended, 12) + 1):
            due.append((start, week))
    if not due:
        return 0
    done = set(
        ProgressJournal.objects.filter(
            client_id__in={start.client_id for start, _week in due},
            period__in={f"week_{week}" for _start, week in due},
        ).values_list("client_id", "program_id", "period")
    )
    created = 0
    for start, week in due:
        if (start.client_id, start.program_id, f"week_{week}") in done:
            continue
        client = start.client
        notification = notification_create(
            recipient=client.trainer,
            kind=Notification.Kind.CHECKIN_MISSED,
            client=client,
            text=_("%(name)s sent no check-in for week %(week)s.")
            % {"name": client.full_name, "week": week},
            url=reverse("progress:client-progress", args=[client.pk]),
            dedup_key=f"checkin_missed:{client.pk}:{start.program_id or 0}:week_{week}",
        )
        created += notification is not None
    return created
