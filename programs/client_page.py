"""The client page's programs block and timeline events (see crm/extensions.py). One query each."""

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from crm.extensions import ClientSection, TimelineItem
from crm.models import Client

from . import selectors

TAB = "program"  # the client page's tab (crm.extensions.CLIENT_TABS)


def sections(*, request: HttpRequest, client: Client) -> list[ClientSection]:
    programs = selectors.client_programs(client_id=client.pk)
    html = render_to_string(
        "programs/_client_section.html",
        {"programs": programs, "client": client, "can_change": request.user.can_change},
        request=request,
    )
    return [ClientSection(title=_("Training programs"), html=html, order=30)]


def timeline(*, client: Client, limit: int) -> list[TimelineItem]:
    items: list[TimelineItem] = []
    for program in selectors.client_programs(client_id=client.pk, limit=limit):
        url = reverse("programs:program-detail", args=[program.pk])
        title = program.title or program.get_kind_display()
        kind = program.get_kind_display()
        items.append(
            TimelineItem(
                at=program.assigned_at,
                kind="program",
                title=_("%(kind)s program assigned") % {"kind": kind},
                text=title,
                url=url,
            )
        )
        if program.delivered_at:
            items.append(
                TimelineItem(
                    at=program.delivered_at,
                    kind="program",
                    title=_("%(kind)s program delivered") % {"kind": kind},
                    text=title,
                    url=url,
                )
            )
    return sorted(items, key=lambda item: item.at, reverse=True)[:limit]
