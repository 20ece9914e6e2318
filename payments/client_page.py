"""The client page's payments block and timeline events (see crm/extensions.py)."""

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from crm.extensions import ClientSection, TimelineItem
from crm.models import Client

from .models import Subscription
from .selectors import client_payment_events, client_payments

TAB = "payments"  # the client page's tab (crm.extensions.CLIENT_TABS)


def sections(*, request: HttpRequest, client: Client) -> list[ClientSection]:
    """Payments and the current subscription; record/confirm buttons for users who may change."""
    payments = client_payments(client=client, limit=20)
    subscription = (
        Subscription.objects.filter(client=client)
        .select_related("tariff")
        .order_by("-ends_on")
        .first()
    )
    html = render_to_string(
        "payments/_client_section.html",
        {
            "client": client,
            "payments": payments,
            "subscription": subscription,
            "can_change": request.user.can_change,
        },
        request=request,
    )
    return [ClientSection(title=_("Payments"), html=html, order=40)]


def timeline(*, client: Client, limit: int) -> list[TimelineItem]:
    """One item per recorded status change (creation, paid, cancelled, refunded), one query."""
    items = []
    for event in client_payment_events(client=client, limit=limit):
        payment = event.payment
        title = _("Payment %(amount)s ₽ · %(tariff)s") % {
            "amount": payment.amount,
            "tariff": payment.tariff.name,
        }
        if event.from_status:
            text = _("%(from)s → %(to)s (%(source)s)") % {
                "from": event.get_from_status_display(),
                "to": event.get_to_status_display(),
                "source": event.get_source_display(),
            }
        else:
            text = _("Created (%(source)s)") % {"source": event.get_source_display()}
        if event.actor:
            text += f" · {event.actor}"
        items.append(
            TimelineItem(
                at=event.created_at,
                kind="payment",
                title=title,
                text=text,
                url=reverse("payments:payment-detail", args=[payment.pk]),
            )
        )
    return items
