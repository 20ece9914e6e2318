"""NPS answers and automation messages on the client page (see crm.extensions). Each function runs
a constant number of queries."""

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from crm.extensions import ClientSection, TimelineItem
from crm.models import Client

from .models import NpsResponse, Run

TAB = "history"  # the client page's tab (crm.extensions.CLIENT_TABS)

SHOWN = 5


def sections(*, request: HttpRequest, client: Client) -> list[ClientSection]:
    answers = list(
        NpsResponse.objects.filter(client=client)
        .select_related("program")
        .order_by("-created_at")[:SHOWN]
    )
    runs = list(
        Run.objects.filter(client=client)
        .select_related("rule", "outbound_message")
        .order_by("-created_at", "-id")[:SHOWN]
    )
    if not answers and not runs:
        return []
    html = render_to_string(
        "automations/_client_section.html",
        {"client": client, "answers": answers, "runs": runs},
        request=request,
    )
    return [ClientSection(title=_("Automations and NPS"), html=html, order=60)]


def timeline(*, client: Client, limit: int) -> list[TimelineItem]:
    items = [
        TimelineItem(
            at=answer.created_at,
            kind="nps",
            title=_("NPS: %(score)s of 10") % {"score": answer.score},
            text=answer.comment,
        )
        for answer in NpsResponse.objects.filter(client=client).order_by("-created_at")[:limit]
    ]
    log = reverse("automations:run-log")
    for run in (
        Run.objects.filter(client=client, status=Run.Status.DONE)
        .exclude(text="")
        .select_related("rule")
        .order_by("-done_at")[:limit]
    ):
        items.append(
            TimelineItem(
                at=run.done_at,
                kind="automation",
                title=_("Automation: %(rule)s") % {"rule": run.rule.name},
                text=run.text[:200],
                url=f"{log}?rule={run.rule_id}",
            )
        )
    return items
