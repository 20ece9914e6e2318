"""The client page's personal-data block (see crm/extensions.py): consents, export, forget."""

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from crm.extensions import ClientSection
from crm.models import Client

from .models import ConsentKind
from .selectors import consent_history

TAB = "overview"  # the client page's tab (crm.extensions.CLIENT_TABS)

SHOWN = 10


def sections(*, request: HttpRequest, client: Client) -> list[ClientSection]:
    """One query: the latest decisions (newest first)."""
    consents = list(consent_history(client=client)[:SHOWN])
    html = render_to_string(
        "privacy/_client_section.html",
        {
            "client": client,
            "consents": consents,
            "kinds": ConsentKind,
            "is_admin": request.user.is_admin,
        },
        request=request,
    )
    return [ClientSection(title=_("Personal data"), html=html, order=90)]
