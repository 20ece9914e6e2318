"""Demo programs for `manage.py seed_demo`: a free program for every client who answered the
questionnaire, a paid 12-week one for every buyer. Content and texts are stored; PDFs are rendered on
first download (or by the task), never at seed time. Idempotent through the (client, kind, trigger)
unique key."""

import random
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from crm.models import Client

from .formatting import ProgramFacts, deterministic, plain_text
from .models import ProgramTemplate, TrainingProgram
from .selection import Answers, choose, program_content
from .services import templates_ensure_loaded

BATCH = 200
BOUGHT = {"purchased", "active", "finished"}
QUALIFIED = {"consultation", "deciding", *BOUGHT}


def _program(client: Client, template: ProgramTemplate, selection: dict, *, paid: bool, rng):
    weeks = None if paid else settings.PROGRAM_FREE_WEEKS
    content = program_content(template.content, weeks=weeks)
    code = client.stage.code if client.stage else ""
    if paid:
        assigned = (client.stage_changed_at or client.created_at) - timedelta(
            days=rng.randint(0, 3)
        )
        assigned = max(assigned, client.created_at)
        delivered = (
            assigned + timedelta(minutes=rng.randint(1, 30)) if code != "purchased" else None
        )
    else:
        # Within two days of the first contact, but never in the future for a fresh lead.
        now = timezone.now()
        assigned = min(client.created_at + timedelta(hours=rng.randint(1, 48)), now)
        delivered = min(assigned + timedelta(seconds=rng.randint(5, 90)), now)
    facts = ProgramFacts(
        client_name=client.full_name if client.first_name else "",
        gender=template.gender,
        goal=template.goal,
        level=template.level,
        equipment=template.equipment,
        days_per_week=template.days_per_week,
        weeks=len(content["weeks"]),
        paid=paid,
        exercises=[],
    )
    formatting = deterministic(facts).as_dict()
    return TrainingProgram(
        client=client,
        kind=TrainingProgram.Kind.PAID if paid else TrainingProgram.Kind.FREE,
        trigger="demo:payment" if paid else "demo:questionnaire",
        title=template.title,
        template=template,
        template_code=template.code,
        selection=selection,
        weeks=len(content["weeks"]),
        content=content,
        formatting=formatting,
        formatted_by=TrainingProgram.FormattedBy.DETERMINISTIC,
        formatted_text=plain_text(title=template.title, formatted=formatting, content=content),
        is_paid=paid,
        assigned_at=assigned,
        delivered_at=delivered,
    )


def seed(*, clients: list[Client], rng: random.Random) -> int:
    version = templates_ensure_loaded()
    candidates = list(ProgramTemplate.objects.filter(version=version).select_related("version"))
    created = 0
    wanted = [c for c in clients if c.stage and c.stage.code in QUALIFIED and c.goal]
    for start in range(0, len(wanted), BATCH):
        batch = wanted[start : start + BATCH]
        existing = set(
            TrainingProgram.objects.filter(
                client__in=batch, trigger__in=["demo:payment", "demo:questionnaire"]
            ).values_list("client_id", "kind")
        )
        rows = []
        for client in batch:
            answers = Answers.from_client(client)
            selection = choose(candidates, answers)
            template = selection.template
            record = {**selection.as_dict(answers), "version": version.number}
            if (client.pk, "free") not in existing:
                rows.append(_program(client, template, record, paid=False, rng=rng))
            if client.stage.code in BOUGHT and (client.pk, "paid") not in existing:
                rows.append(_program(client, template, record, paid=True, rng=rng))
        TrainingProgram.objects.bulk_create(rows, ignore_conflicts=True)
        created += len(rows)
    return created
