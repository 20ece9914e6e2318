"""Celery tasks for programs: thin, take ids, call a service, own the retry policy."""

import logging

from celery import shared_task

from config.celery import enqueue_on_commit
from crm.models import Client

from . import services
from .models import TrainingProgram

logger = logging.getLogger(__name__)


@shared_task(
    autoretry_for=(OSError,),  # a full disk or a lost connection; selection errors do not retry
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=5,
    # An LLM call (30 s, one retry) plus a 12-week PDF (a few seconds) fit well inside this; a
    # runaway render is stopped instead of holding a worker.
    soft_time_limit=180,
    time_limit=240,
)
def program_generate_task(client_id: int, kind: str, trigger: str) -> int | None:
    """Generate the program (idempotent) and, once its PDF exists, hand it to the bot to deliver."""
    client = Client.objects.filter(pk=client_id).first()
    if client is None:
        logger.warning(
            "Program for client %s not generated: the client no longer exists.", client_id
        )
        return None
    program = services.program_generate(client=client, kind=kind, trigger=trigger)
    if program.pdf and program.delivered_at is None:
        enqueue_on_commit(services.DELIVER_TASK, program_id=program.pk)
    return program.pk


@shared_task(soft_time_limit=120, time_limit=180)
def free_programs_reconcile_task() -> int:
    """Beat, every 10 minutes: a finished questionnaire whose free program never arrived is asked
    for again (generation renders a missing PDF, delivery sends once: asking twice is harmless)."""
    from django.db import transaction

    client_ids = services.free_programs_missing()
    with transaction.atomic():
        for client_id in client_ids:
            enqueue_on_commit(program_generate_task.name, client_id, "free", "questionnaire")
    if client_ids:
        logger.warning("Free program asked for again for %s clients", len(client_ids))
    return len(client_ids)


@shared_task(
    autoretry_for=(OSError,), retry_backoff=True, max_retries=3, soft_time_limit=120, time_limit=180
)
def program_render_pdf_task(program_id: int) -> None:
    """Re-render a program's PDF after an edit (skipped when it is already up to date)."""
    program = TrainingProgram.objects.filter(pk=program_id).first()
    if program is not None and not program.pdf_ready:
        services.program_render_pdf(program=program)


@shared_task(soft_time_limit=300, time_limit=360)
def templates_sync_task() -> int | None:
    """Nightly load of the configured library source (beat). A sheet with problems changes
    nothing and the staff chat gets the rows to fix."""
    from django.utils.translation import gettext as _

    from crm.notifications import staff_notify

    try:
        result = services.templates_sync()
    except services.TemplateSyncError as exc:
        problems = "\n".join((exc.problems or [str(exc)])[:10])
        staff_notify(
            text=_(
                "The program sheet was not loaded; the previous version stays in use.\n%(problems)s"
            )
            % {"problems": problems}
        )
        return None
    return result.version.number
