"""Balance, debt and the ledger on the client page (see crm/extensions.py)."""

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from crm.extensions import ClientSection, TimelineItem
from crm.models import Client

from .forms import MoneyForm, SellForm, WriteOffForm
from .selectors import client_account, client_ledger, open_shift

TAB = "payments"  # the client page's tab (crm.extensions.CLIENT_TABS)

SECTION_LIMIT = 15


def sections(*, request: HttpRequest, client: Client) -> list[ClientSection]:
    user = request.user
    can_run = user.is_superuser or user.role in ("admin", "operator")
    html = render_to_string(
        "desk/_client_section.html",
        {
            "client": client,
            "account": client_account(client=client),
            "entries": client_ledger(client=client, limit=SECTION_LIMIT),
            "can_run": can_run,
            "has_shift": can_run and open_shift(operator=user) is not None,
            "is_admin": user.is_admin,
            "money_form": MoneyForm() if can_run else None,
            "sell_form": SellForm() if can_run else None,
            "write_off_form": WriteOffForm() if user.is_admin else None,
        },
        request=request,
    )
    return [ClientSection(title=_("Balance and debt"), html=html, order=35)]


def timeline(*, client: Client, limit: int) -> list[TimelineItem]:
    return [
        TimelineItem(
            at=entry.created_at,
            kind="payment",
            title=_("%(kind)s: %(amount)s ₽")
            % {"kind": entry.get_kind_display(), "amount": entry.amount},
            text=entry.get_method_display() + (f" · {entry.reason}" if entry.reason else ""),
        )
        for entry in client_ledger(client=client, limit=limit)
        if entry.payment_id is None  # sales are in the payments timeline already
    ]
