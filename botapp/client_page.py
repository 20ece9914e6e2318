"""The bot's part of the client page (see crm/extensions.py): the Telegram chat and a reply form."""

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from crm.extensions import ClientSection
from crm.models import Client

from . import selectors
from .forms import ReplyForm

TAB = "chat"  # the client page's tab (crm.extensions.CLIENT_TABS)


def chat_section_html(
    *, request: HttpRequest, client: Client, error: str = "", sent: bool = False
) -> str:
    return render_to_string(
        "botapp/_client_chat.html",
        {
            "client": client,
            "history": selectors.client_chat_history(client=client),
            "form": ReplyForm(),
            "error": error,
            "sent": sent,
            "can_reply": request.user.can_change,
        },
        request=request,
    )


def sections(*, request: HttpRequest, client: Client) -> list[ClientSection]:
    """One query, whatever the client's history holds (the latest messages only)."""
    return [
        ClientSection(
            title=_("Telegram chat"),
            html=chat_section_html(request=request, client=client),
            order=30,
        )
    ]
