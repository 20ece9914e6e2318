"""How other apps add to the client page without crm importing them.

An app may ship `<app>/client_page.py` with either or both of:

    TAB = "payments"
        The client page's tab its sections go to (one of CLIENT_TABS; "overview" when absent). A tab
        is loaded on its own, so only the modules of that tab run.
    def sections(*, request: HttpRequest, client: Client) -> list[ClientSection]
        Blocks shown on the client page (programs, payments, progress, the chat with the bot…).
    def timeline(*, client: Client, limit: int) -> list[TimelineItem]
        Events merged into the client's timeline (newest first, at most `limit`).

Each function must run a constant number of queries, whatever the client's history holds.

The app that owns the trainer's website settings ships `<app>/website.py` with
`bot_deep_link(*, start: str) -> str` (the bot's t.me link with a start payload, "" if unknown); crm's
website contact form answers with it through `website_bot_link`.

The app that owns money offers the pipeline board its sums in `<app>/selectors.py`:
`board_paid_total() -> Aggregate` (over a Client queryset, grouped by stage for the column heads);
`board_money` finds it. It and the cards read `Client.paid_total`, which that app keeps up to date.
"""

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from importlib import import_module
from importlib.util import find_spec
from types import ModuleType

from django.apps import apps
from django.http import HttpRequest

from .models import Client

# The client page's tabs, in the order shown (crm/templates/crm/client_detail.html names them).
CLIENT_TABS = ("overview", "history", "progress", "program", "payments", "chat")
DEFAULT_TAB = "overview"


@dataclass(frozen=True)
class ClientSection:
    title: str
    html: str  # already rendered (render_to_string with the request), safe to insert
    order: int = 100


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    kind: (
        str  # short code for the icon/colour: "action", "contact", "stage", "payment", "program", …
    )
    title: str
    text: str = ""
    url: str = ""


def _app_modules(module: str) -> Iterator[ModuleType]:
    for config in apps.get_app_configs():
        name = f"{config.name}.{module}"
        if config.name != "crm" and find_spec(name) is not None:
            yield import_module(name)


def _client_page_modules() -> Iterator[ModuleType]:
    return _app_modules("client_page")


def website_bot_link(*, start: str) -> str:
    """The bot's deep link for the website (`https://t.me/<bot>?start=<start>`), "" when unknown."""
    for module in _app_modules("website"):
        if hasattr(module, "bot_deep_link"):
            return module.bot_deep_link(start=start)
    return ""


@functools.cache
def board_money() -> ModuleType | None:
    """The selectors module that offers the board's money (see above), None without one (the
    installed apps do not change while the process runs)."""
    for module in _app_modules("selectors"):
        if hasattr(module, "board_paid_total"):
            return module
    return None


def client_sections(
    *, request: HttpRequest, client: Client, tab: str | None = None
) -> list[ClientSection]:
    """The blocks other apps add to one tab of the client page (to every tab when `tab` is None)."""
    found: list[ClientSection] = []
    for module in _client_page_modules():
        if tab is not None and getattr(module, "TAB", DEFAULT_TAB) != tab:
            continue
        if hasattr(module, "sections"):
            found.extend(module.sections(request=request, client=client))
    return sorted(found, key=lambda section: section.order)


def client_timeline(*, client: Client, limit: int = 50) -> list[TimelineItem]:
    """Events from every app, newest first (crm's own actions and contacts are added by crm)."""
    found: list[TimelineItem] = []
    for module in _client_page_modules():
        if hasattr(module, "timeline"):
            found.extend(module.timeline(client=client, limit=limit))
    return sorted(found, key=lambda item: item.at, reverse=True)[:limit]
