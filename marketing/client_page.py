"""The website chat on the client page (see crm.extensions): the visitor's conversation, once they
became a lead. Two queries whatever the history holds."""

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from crm.extensions import ClientSection
from crm.models import Client

from .models import ChatMessage

TAB = "chat"  # the client page's tab (crm.extensions.CLIENT_TABS)

SHOWN = 100  # the newest messages; older ones stay in admin


def sections(*, request: HttpRequest, client: Client) -> list[ClientSection]:
    newest = list(
        ChatMessage.objects.filter(session__client=client).order_by("-created_at", "-id")[
            : SHOWN + 1
        ]
    )
    if not newest:
        return []
    html = render_to_string(
        "marketing/_client_chat.html",
        {"chat": list(reversed(newest[:SHOWN])), "more": len(newest) > SHOWN},
        request=request,
    )
    return [ClientSection(title=_("Website chat"), html=html, order=60)]
