"""Reads for training programs and the template library (scoped through crm.access)."""

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from crm.access import ensure_can_change, scope_to_user
from crm.models import User

from .models import ProgramTemplate, TemplateVersion, TrainingProgram

# Big JSON and text columns a list never shows.
HEAVY = ("content", "formatting", "formatted_text", "selection")


def program_list(
    *,
    user: User,
    kind: str = "",
    status: str = "",
    query: str = "",
    trainer_id: int | None = None,
) -> QuerySet[TrainingProgram]:
    """Programs the user may see, newest first, filtered; heavy columns deferred."""
    programs = scope_to_user(TrainingProgram.objects.all(), user, client_path="client")
    if kind:
        programs = programs.filter(kind=kind)
    if status == "delivered":
        programs = programs.filter(delivered_at__isnull=False)
    elif status == "pending":
        programs = programs.filter(delivered_at__isnull=True)
    if trainer_id:
        programs = programs.filter(client__trainer_id=trainer_id)
    if query:
        words = query.split()[:3]
        for word in words:
            programs = programs.filter(
                Q(client__first_name__icontains=word)
                | Q(client__last_name__icontains=word)
                | Q(client__phone__icontains=word)
                | Q(client__telegram_username__icontains=word)
                | Q(title__icontains=word)
            )
    return (
        programs.select_related("client", "client__trainer", "assigned_by")
        .defer(*HEAVY)
        .order_by("-assigned_at", "-id")
    )


def program_get_for(user: User, pk: int, *, for_change: bool = False) -> TrainingProgram:
    """The program if its client is visible to the user (404 otherwise); 403 for a change by
    read_only."""
    if for_change:
        ensure_can_change(user)
    programs = scope_to_user(TrainingProgram.objects.all(), user, client_path="client")
    return get_object_or_404(
        programs.select_related("client", "client__trainer", "template", "assigned_by"), pk=pk
    )


def client_programs(*, client_id: int, limit: int = 20) -> list[TrainingProgram]:
    return list(
        TrainingProgram.objects.filter(client_id=client_id)
        .select_related("assigned_by")
        .defer(*HEAVY)
        .order_by("-assigned_at", "-id")[:limit]
    )


def active_version() -> TemplateVersion | None:
    return TemplateVersion.objects.filter(is_active=True).select_related("loaded_by").first()


def template_list(
    *, version: TemplateVersion | None, gender: str = "", goal: str = "", level: str = ""
) -> QuerySet[ProgramTemplate]:
    if version is None:
        return ProgramTemplate.objects.none()
    templates = ProgramTemplate.objects.filter(version=version).defer("content")
    if gender:
        templates = templates.filter(gender=gender)
    if goal:
        templates = templates.filter(goal=goal)
    if level:
        templates = templates.filter(level=level)
    return templates
