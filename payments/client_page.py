"""The client page's payments block and timeline events (see crm/extensions.py)."""

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from crm.extensions import ClientSection, TimelineItem
from crm.models import Client

from .models import Payment, Subscription
from .selectors import client_payments


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
    items = []
    for payment in client_payments(client=client, limit=limit):
        url = reverse("payments:payment-detail", args=[payment.pk])
        title = _("Payment %(amount)s ₽ · %(tariff)s") % {
            "amount": payment.amount,
            "tariff": payment.tariff.name,
        }
        if payment.paid_at and payment.status in (
            Payment.Status.SUCCEEDED,
            Payment.Status.REFUNDED,
        ):
            items.append(
                TimelineItem(
                    at=payment.paid_at,
                    kind="payment",
                    title=title,
                    text=_("Paid (%(provider)s)") % {"provider": payment.get_provider_display()},
                    url=url,
                )
            )
        items.append(
            TimelineItem(
                at=payment.created_at,
                kind="payment",
                title=title,
                text=_("Created, now: %(status)s") % {"status": payment.get_status_display()},
                url=url,
            )
        )
    return items
