"""Programs in the top-bar search: by the client's name/phone/@username or the program's title."""

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from crm.access import scope_to_user
from crm.models import Client, User
from crm.search import SearchGroup, SearchHit
from crm.selectors import clients_search

from .models import TrainingProgram


def search(*, user: User, text: str, limit: int) -> SearchGroup:
    title = Q()
    for variant in {text, text.lower(), text.capitalize()}:  # SQLite folds only ASCII case
        title |= Q(title__icontains=variant)
    matching_clients = clients_search(Client.objects.all(), text).values("pk")
    programs = (
        scope_to_user(TrainingProgram.objects.all(), user, client_path="client")
        .filter(title | Q(client__in=matching_clients))
        .select_related("client")
        .only(
            "title",
            "kind",
            "weeks",
            "assigned_at",
            "client__first_name",
            "client__last_name",
            "client__telegram_username",
            "client__phone",
        )
        .order_by("-assigned_at", "-id")[:limit]
    )
    hits = [
        SearchHit(
            title=f"{program.title or program.get_kind_display()} · {program.client.full_name}",
            url=reverse("programs:program-detail", args=[program.pk]),
            detail=f"{program.get_kind_display()} · {program.assigned_at:%d.%m.%Y}",
        )
        for program in programs
    ]
    return SearchGroup(key="programs", title=_("Programs"), hits=hits, order=20)
