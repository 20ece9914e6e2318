from celery import shared_task
from django.db import transaction
from django.utils import timezone

from crm.models import Client
from crm.notifications import client_message

from .models import CheckinPrompt
from .selectors import week_start

PROMPT_TEXT = (
    "Пора записать замеры за неделю! Отправьте /progress — бот спросит вес и обхваты по очереди, "
    "любой замер можно пропустить."
)


def checkin_prompt_send(*, client: Client, week: object) -> bool:
    """Prompt one client once per week: the unique (client, week) row makes a rerun send nothing."""
    with transaction.atomic():
        _prompt, created = CheckinPrompt.objects.get_or_create(client=client, week_start=week)
        if created:
            client_message(client=client, text=PROMPT_TEXT)
    return created


@shared_task(name="progress.checkin_prompt_weekly")
def checkin_prompt_weekly_task() -> int:
    """Beat task (PROGRESS_CHECKIN_WEEKDAY / PROGRESS_CHECKIN_HOUR): ask every active client with a
    Telegram chat for this week's measurements. Returns how many prompts were sent."""
    week = week_start(timezone.localdate())
    clients = Client.objects.filter(stage__code="active", telegram_id__isnull=False).exclude(
        pk__in=CheckinPrompt.objects.filter(week_start=week).values("client_id")
    )
    return sum(checkin_prompt_send(client=client, week=week) for client in clients.iterator())
