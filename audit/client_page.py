"""The client's change history on the client page (see crm/extensions.py)."""

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from crm.extensions import ClientSection
from crm.models import Client

from .selectors import client_audit_entries

TAB = "history"  # the client page's tab (crm.extensions.CLIENT_TABS)

SECTION_LIMIT = 20


def sections(*, request: HttpRequest, client: Client) -> list[ClientSection]:
    """Who changed what on this client; refused accesses only for admins. One query."""
    is_admin = request.user.is_admin
    entries = client_audit_entries(client_id=client.pk, limit=SECTION_LIMIT, with_denied=is_admin)
    html = render_to_string(
        "audit/_client_section.html",
        {"client": client, "entries": entries, "is_admin": is_admin},
        request=request,
    )
    return [ClientSection(title=_("Change history"), html=html, order=90)]
