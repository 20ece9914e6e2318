"""Reads that pages rely on; each takes the user and applies the ownership rule."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from pipeline.models import PipelineStage

from .access import scope_to_user, visible_clients
from .models import Client, Lead, User


@dataclass
class StageCount:
    stage: PipelineStage
    clients: int


@dataclass
class Dashboard:
    stages: list[StageCount]
    total_clients: int
    unstaged_clients: int
    new_leads_this_week: int
    new_clients_this_week: int
    follow_ups: list[Client]
    follow_ups_total: int
    week_start: datetime


def week_start(now: datetime | None = None) -> datetime:
    """Monday 00:00 of the current week in the site's time zone."""
    local = timezone.localtime(now)
    monday = local - timedelta(days=local.weekday())
    return monday.replace(hour=0, minute=0, second=0, microsecond=0)


def end_of_today(now: datetime | None = None) -> datetime:
    local = timezone.localtime(now)
    return local.replace(hour=23, minute=59, second=59, microsecond=999999)


def follow_ups_due(user: User, *, now: datetime | None = None) -> QuerySet[Client]:
    """Clients whose next contact is due today or overdue, oldest first."""
    return (
        visible_clients(user)
        .filter(next_contact_at__lte=end_of_today(now))
        .select_related("stage", "trainer")
        .order_by("next_contact_at", "id")
    )


def dashboard_get(*, user: User, follow_up_limit: int = 10) -> Dashboard:
    """Numbers for the dashboard, in a constant number of queries."""
    since = week_start()
    clients = visible_clients(user)
    per_stage = dict(clients.values_list("stage").annotate(n=Count("id")).values_list("stage", "n"))
    stages = [
        StageCount(stage=stage, clients=per_stage.get(stage.pk, 0))
        for stage in PipelineStage.objects.all()
    ]
    totals = clients.aggregate(total=Count("id"), new=Count("id", filter=Q(created_at__gte=since)))
    due = follow_ups_due(user)
    return Dashboard(
        stages=stages,
        total_clients=totals["total"],
        unstaged_clients=per_stage.get(None, 0),
        new_leads_this_week=scope_to_user(Lead.objects, user, client_path="client")
        .filter(created_at__gte=since)
        .count(),
        new_clients_this_week=totals["new"],
        follow_ups=list(due[:follow_up_limit]),
        follow_ups_total=due.count(),
        week_start=since,
    )
