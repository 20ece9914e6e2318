"""The one search box: clients here, other apps' results without crm importing them.

An app may ship `<app>/search.py` with

    def search(*, user: User, text: str, limit: int) -> SearchGroup | None
        At most `limit` hits the user may see (ownership through `crm.access.scope_to_user`),
        in ONE query whatever the table holds; None when the app has nothing to say for this text.

Groups come back in a fixed order (clients first); each group's query is bounded by `limit`, so the
whole search runs a constant number of queries.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import import_module
from importlib.util import find_spec
from types import ModuleType
from urllib.parse import urlencode

from django.apps import apps
from django.urls import reverse
from django.utils.translation import gettext as _

from .access import visible_clients
from .models import User
from .selectors import clients_search

MIN_LENGTH = 2


@dataclass(frozen=True)
class SearchHit:
    title: str
    url: str
    detail: str = ""  # one muted line under the title: phone, stage, amount…


@dataclass
class SearchGroup:
    key: str  # "clients", "programs", "payments"
    title: str
    hits: list[SearchHit] = field(default_factory=list)
    more_url: str = ""  # the full list filtered by the same text, when there may be more
    order: int = 100


def _search_modules() -> Iterator[ModuleType]:
    for config in apps.get_app_configs():
        name = f"{config.name}.search"
        if config.name != "crm" and find_spec(name) is not None:
            yield import_module(name)


def clients_group(*, user: User, text: str, limit: int) -> SearchGroup:
    found = list(
        clients_search(visible_clients(user), text)
        .select_related("stage")
        .only(
            "first_name",
            "last_name",
            "telegram_username",
            "phone",
            "email",
            "stage__name",
            "stage__color",
        )
        .order_by("-created_at", "-id")[: limit + 1]
    )
    hits = []
    for client in found[:limit]:
        detail = " · ".join(
            part
            for part in (
                client.phone or "",
                f"@{client.telegram_username}" if client.telegram_username else "",
                client.email,
                client.stage.name if client.stage else "",
            )
            if part
        )
        hits.append(
            SearchHit(
                title=client.full_name,
                url=reverse("crm:client-detail", args=[client.pk]),
                detail=detail,
            )
        )
    more = ""
    if len(found) > limit:
        more = reverse("crm:client-list") + "?" + urlencode({"q": text})
    return SearchGroup(key="clients", title=_("Clients"), hits=hits, more_url=more, order=0)


def search_everything(*, user: User, text: str, limit: int = 5) -> list[SearchGroup]:
    """Groups with at least one hit, clients first. Text shorter than MIN_LENGTH finds nothing."""
    text = (text or "").strip()[:100]
    if len(text) < MIN_LENGTH or not user.is_authenticated:
        return []
    groups = [clients_group(user=user, text=text, limit=limit)]
    for module in _search_modules():
        if hasattr(module, "search"):
            group = module.search(user=user, text=text, limit=limit)
            if group is not None:
                groups.append(group)
    return sorted((g for g in groups if g.hits), key=lambda g: g.order)
