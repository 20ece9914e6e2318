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
)
def program_generate_task(client_id: int, kind: str, trigger: str) -> int | None:
    """Generate the program (idempotent) and, once its PDF exists, hand it to the bot to deliver.

    Until the bot's `botapp.program_deliver` task is registered, this stops at the PDF (logged).
    """
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


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def program_render_pdf_task(program_id: int) -> None:
    """Re-render a program's PDF after an edit (skipped when it is already up to date)."""
    program = TrainingProgram.objects.filter(pk=program_id).first()
    if program is not None and not program.pdf_ready:
        services.program_render_pdf(program=program)


@shared_task
def templates_sync_task(user_id: int | None = None) -> int:
    """Load the configured template library source (for a periodic refresh)."""
    from crm.models import User

    actor = User.objects.filter(pk=user_id).first() if user_id else None
    return services.templates_sync(actor=actor).version.number
