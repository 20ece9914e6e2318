"""The progress journal on the client page (see crm.extensions): a summary, a link and the entries
in the timeline. Each function runs one query."""

from datetime import datetime, time

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.extensions import ClientSection, TimelineItem
from crm.models import Client
from ui.charts import fmt

from .models import ProgressJournal
from .selectors import client_summary_get

TAB = "progress"  # the client page's tab (crm.extensions.CLIENT_TABS)


def sections(*, request: HttpRequest, client: Client) -> list[ClientSection]:
    html = render_to_string(
        "progress/_client_section.html",
        {"client": client, "summary": client_summary_get(client=client)},
        request=request,
    )
    return [ClientSection(title=_("Progress"), html=html, order=40)]


def timeline(*, client: Client, limit: int) -> list[TimelineItem]:
    url = reverse("progress:client-progress", args=[client.pk])
    items = []
    for entry in ProgressJournal.objects.filter(client=client).order_by("-measured_on", "-id")[
        :limit
    ]:
        parts = [
            f"{label} {fmt(value)}"
            for label, value in ((_("weight"), entry.weight), (_("waist"), entry.waist))
            if value is not None
        ]
        items.append(
            TimelineItem(
                at=timezone.make_aware(datetime.combine(entry.measured_on, time(12))),
                kind="progress",
                title=_("Measurements: %(period)s") % {"period": entry.get_period_display()},
                text=", ".join(parts),
                url=url,
            )
        )
    return items
