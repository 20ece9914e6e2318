"""Writes for training programs and the template library."""

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Client, User
from crm.notifications import staff_notify
from pipeline.models import StageMove
from pipeline.services import stage_apply_event

from . import sources
from .formatting import ProgramFacts, format_program, plain_text
from .library import GOAL_RU, LEVEL_RU, SETUP_RU
from .models import ProgramTemplate, TemplateVersion, TrainingProgram
from .pdf import render_program_pdf
from .selection import Answers, program_content, select_template
from .sheets import ParsedTemplate, SheetError, parse_tabs

logger = logging.getLogger(__name__)
Kind = TrainingProgram.Kind
DELIVER_TASK = "botapp.program_deliver"
MAX_EXERCISES_PER_DAY = 30


class ProgramError(Exception):
    """A program operation that cannot be done; the message is safe to show to the user."""


class TemplateSyncError(Exception):
    """The library could not be loaded; nothing changed. `problems` lists each bad row."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or []


# --- Template library ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncResult:
    version: TemplateVersion
    created: bool  # False: the source is identical to the active version, nothing was loaded


def _checksum(tabs: dict) -> str:
    digest = hashlib.sha256()
    for tab in sorted(tabs):
        digest.update(tab.encode())
        for row in tabs[tab]:
            digest.update("\x1f".join(row).encode())
            digest.update(b"\x1e")
    return digest.hexdigest()


def templates_sync(*, source: str | None = None, actor: User | None = None) -> SyncResult:
    """Load the library from `source` (default: the configured one) as a new active version.

    Atomic: on any problem (unreadable source, a bad row) TemplateSyncError lists what is wrong
    (tab and row number) and the previous version stays active. Loading the same data as the active
    version creates nothing (`created=False`).
    """
    try:
        data = sources.fetch(source)
    except sources.SourceError as exc:
        raise TemplateSyncError(str(exc)) from exc
    checksum = _checksum(data.tabs)
    active = TemplateVersion.objects.filter(is_active=True).first()
    if active and active.checksum == checksum and active.source == data.source:
        return SyncResult(active, created=False)
    parsed = _parse(data.tabs, checksum)
    with transaction.atomic():
        # Lock the active row so two syncs cannot both become active.
        active = TemplateVersion.objects.select_for_update().filter(is_active=True).first()
        if active and active.checksum == checksum and active.source == data.source:
            return SyncResult(active, created=False)
        number = (TemplateVersion.objects.aggregate(n=Max("number"))["n"] or 0) + 1
        if active:
            active.is_active = False
            active.save(update_fields=["is_active"])
        version = TemplateVersion.objects.create(
            number=number,
            source=data.source,
            source_detail=data.detail[:500],
            checksum=checksum,
            template_count=len(parsed),
            row_count=sum(t.row_count for t in parsed),
            is_active=True,
            loaded_by=actor,
        )
        ProgramTemplate.objects.bulk_create(
            [_template_row(version, template) for template in parsed], batch_size=200
        )
    logger.info(
        "Template library v%s loaded from %s: %s templates", number, data.source, len(parsed)
    )
    return SyncResult(version, created=True)


_parsed_cache: dict[str, list[ParsedTemplate]] = {}


def _parse(tabs: dict, checksum: str) -> list[ParsedTemplate]:
    """Parsed templates; the last good parse is remembered by checksum (the bundled library is
    the same on every fresh database, and parsing 40 000 rows takes a moment)."""
    if checksum in _parsed_cache:
        return _parsed_cache[checksum]
    try:
        parsed = parse_tabs(tabs)
    except SheetError as exc:
        raise TemplateSyncError(str(exc), exc.problems) from exc
    _parsed_cache.clear()
    _parsed_cache[checksum] = parsed
    return parsed


def _template_row(version: TemplateVersion, parsed: ParsedTemplate) -> ProgramTemplate:
    return ProgramTemplate(
        version=version,
        code=parsed.code[:64],
        sheet=parsed.sheet[:100],
        title=parsed.title[:200],
        gender=parsed.gender,
        level=parsed.level,
        goal=parsed.goal,
        location=parsed.location,
        equipment=parsed.equipment,
        days_per_week=parsed.days_per_week,
        weeks=len(parsed.weeks),
        exercise_count=parsed.row_count,
        content=parsed.content(),
    )


def templates_ensure_loaded() -> TemplateVersion:
    """The active library version; with none yet, the bundled library is loaded first, so a new
    installation with no configuration gives programs right away."""
    active = TemplateVersion.objects.filter(is_active=True).first()
    if active is not None:
        return active
    try:
        return templates_sync(source=TemplateVersion.Source.BUNDLED).version
    except IntegrityError:
        # Another process loaded it at the same moment.
        return TemplateVersion.objects.get(is_active=True)


# --- Programs -----------------------------------------------------------------------------------


def _facts(program: TrainingProgram, template: ProgramTemplate) -> ProgramFacts:
    first_week = (program.content.get("weeks") or [{}])[0]
    return ProgramFacts(
        client_name=program.client.full_name if program.client.first_name else "",
        gender=template.gender,
        goal=template.goal,
        level=template.level,
        equipment=template.equipment,
        days_per_week=template.days_per_week,
        weeks=program.weeks,
        paid=program.is_paid,
        exercises=[
            e["name"] for day in first_week.get("days", []) for e in day.get("exercises", [])
        ],
    )


def program_generate(
    *,
    client: Client,
    kind: str,
    trigger: str,
    actor: User | None = None,
    template: ProgramTemplate | None = None,
) -> TrainingProgram:
    """The client's program for this (kind, trigger), created once: template chosen from the
    questionnaire answers (or the given `template`), introduction and tips written (LLM or
    deterministic), PDF rendered.

    Idempotent: a second call with the same (client, kind, trigger) returns the same program (and
    renders its PDF if an earlier attempt stopped before that). Free programs hold the first
    PROGRAM_FREE_WEEKS weeks, paid ones all 12. When a configured LLM fails, the staff chat is told.
    """
    if kind not in Kind.values:
        raise ProgramError(_("Unknown program kind: %(kind)s") % {"kind": kind})
    trigger = trigger[:100]
    existing = TrainingProgram.objects.filter(client=client, kind=kind, trigger=trigger).first()
    if existing is not None:
        return existing if existing.pdf_ready else program_render_pdf(program=existing)

    templates_ensure_loaded()
    answers = Answers.from_client(client)
    if template is None:
        selection = select_template(answers)
        if selection.template is None:
            raise ProgramError(_("The template library is empty."))
        template = selection.template
        selection_data = selection.as_dict(answers)
    else:
        selection_data = {
            "template": template.code,
            "version": template.version.number,
            "answers": answers.as_dict(),
            "exact": False,
            "reasons": [_("Chosen by hand by %(user)s.") % {"user": actor or _("the system")}],
        }
    paid = kind == Kind.PAID
    content = program_content(template.content, weeks=None if paid else settings.PROGRAM_FREE_WEEKS)
    program = TrainingProgram(
        client=client,
        kind=kind,
        trigger=trigger,
        title=template.title,
        template=template,
        template_code=template.code,
        selection=selection_data,
        weeks=len(content["weeks"]),
        content=content,
        is_paid=paid,
        assigned_by=actor,
        assigned_at=timezone.now(),
    )
    # The LLM call happens before any transaction: no row is locked while the network answers.
    formatted = format_program(_facts(program, template))
    program.formatting = formatted.as_dict()
    program.formatted_by = formatted.by
    program.formatted_text = plain_text(
        title=program.title, formatted=program.formatting, content=content
    )
    program.full_clean(exclude=["pdf", "client", "template", "assigned_by"], validate_unique=False)
    try:
        with transaction.atomic():
            program.save()
            if formatted.error:
                staff_notify(
                    text=_(
                        "The LLM could not format the program for %(client)s (%(error)s); "
                        "the standard text was used."
                    )
                    % {"client": client, "error": formatted.error},
                    client=client,
                )
    except IntegrityError:
        # A concurrent call created it first: that one is the program.
        program = TrainingProgram.objects.get(client=client, kind=kind, trigger=trigger)
        return program if program.pdf_ready else program_render_pdf(program=program)
    return program_render_pdf(program=program)


def program_assign(
    *, client: Client, kind: str, actor: User, template: ProgramTemplate | None = None, token: str
) -> TrainingProgram:
    """A program given by hand: `assigned_by` is the actor. `token` comes from the form, so a
    double-submitted form creates one program."""
    return program_generate(
        client=client, kind=kind, trigger=f"manual:{token}"[:100], actor=actor, template=template
    )


def _pdf_context(program: TrainingProgram) -> dict:
    template = program.template
    start = timezone.localdate(program.assigned_at)
    trainer = program.client.trainer
    return {
        "program": program,
        "content": program.content,
        "formatting": program.formatting,
        "client_name": program.client.full_name,
        "facts": {
            "goal": GOAL_RU.get(template.goal, "") if template else "",
            "level": LEVEL_RU.get(template.level, "") if template else "",
            "setup": SETUP_RU.get(template.equipment, "") if template else "",
            "days": template.days_per_week if template else "",
        },
        "start": start,
        "end": start + timedelta(weeks=max(program.weeks, 1), days=-1),
        "trainer": {
            "name": str(trainer) if trainer else _("Your trainer"),
            "phone": trainer.phone if trainer else "",
            "email": trainer.email if trainer else "",
        },
    }


def program_render_pdf(*, program: TrainingProgram) -> TrainingProgram:
    """Render the program's PDF from its current content and store it, replacing the old file.

    If the content changed while rendering, the new file is kept but the program stays marked
    out of date, so the next download or task renders again.
    """
    program = TrainingProgram.objects.select_related("client__trainer", "template").get(
        pk=program.pk
    )
    snapshot = program.content
    data = render_program_pdf(_pdf_context(program))
    with transaction.atomic():
        locked = TrainingProgram.objects.select_for_update().get(pk=program.pk)
        old_name = locked.pdf.name
        locked.pdf.save(f"program-{locked.pk}-{locked.kind}.pdf", ContentFile(data), save=False)
        locked.pdf_rendered_at = timezone.now()
        locked.pdf_stale = locked.content != snapshot
        locked.save(update_fields=["pdf", "pdf_rendered_at", "pdf_stale", "updated_at"])
        if old_name and old_name != locked.pdf.name:
            storage = locked.pdf.storage
            transaction.on_commit(lambda: storage.delete(old_name))
    locked.client = program.client
    locked.template = program.template
    return locked


def program_ensure_pdf(*, program: TrainingProgram) -> TrainingProgram:
    """The program with an up-to-date PDF (rendered now if missing or out of date)."""
    if program.pdf_ready and program.pdf.storage.exists(program.pdf.name):
        return program
    return program_render_pdf(program=program)


@dataclass(frozen=True)
class ExerciseData:
    name: str
    sets: int
    reps: str
    rest: str = ""
    notes: str = ""


def _find_day(content: dict, week: int, day: int) -> dict:
    for w in content.get("weeks", []):
        if w["number"] == week:
            for d in w.get("days", []):
                if d["number"] == day:
                    return d
    raise ProgramError(_("Week %(week)s has no day %(day)s.") % {"week": week, "day": day})


def _find_exercise(content: dict, exercise_id: str) -> tuple[dict, int]:
    for w in content.get("weeks", []):
        for d in w.get("days", []):
            for index, exercise in enumerate(d.get("exercises", [])):
                if exercise.get("id") == exercise_id:
                    return d, index
    raise ProgramError(_("This exercise is no longer in the program."))


def _content_changed(program: TrainingProgram, content: dict) -> None:
    program.content = content
    program.pdf_stale = True
    program.formatted_text = plain_text(
        title=program.title, formatted=program.formatting, content=content
    )
    program.save(update_fields=["content", "pdf_stale", "formatted_text", "updated_at"])
    from .tasks import program_render_pdf_task

    # The PDF follows the edit: re-rendered in the background after commit (and on download).
    program_render_pdf_task.delay_on_commit(program.pk)


def _exercise_dict(data: ExerciseData, exercise_id: str) -> dict:
    return {
        "id": exercise_id,
        "name": data.name.strip()[:200],
        "sets": int(data.sets),
        "reps": data.reps.strip()[:40],
        "rest": data.rest.strip()[:40],
        "notes": data.notes.strip()[:500],
    }


@transaction.atomic
def program_exercise_update(
    *, program: TrainingProgram, exercise_id: str, data: ExerciseData
) -> dict:
    """Change one exercise; the PDF is marked out of date and re-rendered after commit."""
    locked = TrainingProgram.objects.select_for_update().get(pk=program.pk)
    content = locked.content
    day, index = _find_exercise(content, exercise_id)
    exercise = _exercise_dict(data, exercise_id)
    if day["exercises"][index].get("video"):
        exercise["video"] = day["exercises"][index]["video"]
    day["exercises"][index] = exercise
    _content_changed(locked, content)
    return exercise


@transaction.atomic
def program_exercise_add(
    *, program: TrainingProgram, week: int, day: int, data: ExerciseData
) -> dict:
    """Append an exercise to a day; returns it (with its new id)."""
    locked = TrainingProgram.objects.select_for_update().get(pk=program.pk)
    content = locked.content
    target = _find_day(content, week, day)
    if len(target.get("exercises", [])) >= MAX_EXERCISES_PER_DAY:
        raise ProgramError(
            _("A training day holds at most %(count)s exercises.")
            % {"count": MAX_EXERCISES_PER_DAY}
        )
    exercise = _exercise_dict(data, f"x{uuid.uuid4().hex[:10]}")
    target.setdefault("exercises", []).append(exercise)
    _content_changed(locked, content)
    return exercise


@transaction.atomic
def program_exercise_delete(*, program: TrainingProgram, exercise_id: str) -> None:
    """Remove one exercise (a day keeps at least one)."""
    locked = TrainingProgram.objects.select_for_update().get(pk=program.pk)
    content = locked.content
    day, index = _find_exercise(content, exercise_id)
    if len(day["exercises"]) <= 1:
        raise ProgramError(_("A training day needs at least one exercise."))
    del day["exercises"][index]
    _content_changed(locked, content)


def program_send(*, program: TrainingProgram) -> bool:
    """Ask the bot to send the program's PDF to the client (after commit). False when the bot's
    delivery task is not available or the PDF is missing."""
    if not program.pdf:
        return False
    from config.celery import enqueue_on_commit

    return enqueue_on_commit(DELIVER_TASK, program_id=program.pk)


def program_mark_delivered(*, program: TrainingProgram) -> bool:
    """Record that the client received the program: sets delivered_at once (False when it was
    already delivered). A paid program moves the client on with the `program_delivered` event."""
    with transaction.atomic():
        locked = (
            TrainingProgram.objects.select_for_update().select_related("client").get(pk=program.pk)
        )
        if locked.delivered_at is not None:
            return False
        locked.delivered_at = timezone.now()
        locked.save(update_fields=["delivered_at", "updated_at"])
        if locked.is_paid:
            stage_apply_event(client=locked.client, event="program_delivered")
    program.delivered_at = locked.delivered_at
    return True


def free_programs_missing(
    *, older_than: timedelta = timedelta(minutes=15), within: timedelta = timedelta(days=14)
) -> list[int]:
    """Clients who finished the questionnaire `older_than` ago (and at most `within`), reachable in
    the bot, and still without a delivered free program: a worker died mid-render or the embedded
    broker lost the task. At most 200, oldest ids first."""
    now = timezone.now()
    delivered = TrainingProgram.objects.filter(
        client=OuterRef("client"),
        kind=TrainingProgram.Kind.FREE,
        trigger="questionnaire",
        delivered_at__isnull=False,
    )
    return list(
        StageMove.objects.filter(
            event=StageMove.Event.QUESTIONNAIRE_COMPLETED,
            moved_at__lt=now - older_than,
            moved_at__gte=now - within,
            client__in=Client.objects.filter(telegram_id__isnull=False, bot_blocked_at=None),
        )
        .exclude(Exists(delivered))
        .order_by("client_id")
        .values_list("client_id", flat=True)
        .distinct()[:200]
    )
