"""The client page's academy block: memberships left, ranks, recent attendance (crm/extensions.py)."""

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.extensions import ClientSection, TimelineItem
from crm.models import Client

from .forms import FreezeForm, MembershipSellForm
from .models import Attendance, ClientRank, RankHistory
from .selectors import client_memberships

TAB = "overview"  # the client page's tab (crm.extensions.CLIENT_TABS)


def sections(*, request: HttpRequest, client: Client) -> list[ClientSection]:
    memberships = client_memberships(client=client)
    today = timezone.localdate()
    attendance = list(
        Attendance.objects.filter(client=client)
        .select_related("session")
        .order_by("-session_starts_at")[:10]
    )
    ranks = list(ClientRank.objects.filter(client=client).select_related("discipline", "rank"))
    history = list(
        RankHistory.objects.filter(client=client)
        .select_related("discipline", "rank", "grading")
        .order_by("-awarded_on", "-id")[:20]
    )
    if not (memberships or attendance or ranks or request.user.can_change):
        return []
    html = render_to_string(
        "academy/_client_section.html",
        {
            "client": client,
            "memberships": memberships,
            "today": today,
            "attendance": attendance,
            "ranks": ranks,
            "rank_history": history,
            "sell_form": MembershipSellForm(),
            "freeze_form": FreezeForm(),
            "can_change": request.user.can_change,
        },
        request=request,
    )
    return [ClientSection(title=_("Academy"), html=html, order=45)]


def timeline(*, client: Client, limit: int) -> list[TimelineItem]:
    return [
        TimelineItem(
            at=a.session_starts_at,
            kind="attendance",
            title=a.session.title,
            text=a.get_status_display(),
        )
        for a in Attendance.objects.filter(client=client)
        .select_related("session")
        .order_by("-session_starts_at")[:limit]
    ]
