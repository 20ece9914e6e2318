"""Payments in the top-bar search: by number (#12), amount (4990), YooKassa id or the client."""

from decimal import Decimal, InvalidOperation

from django.db.models import Q
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _

from crm.access import scope_to_user
from crm.models import Client, User
from crm.search import SearchGroup, SearchHit
from crm.selectors import clients_search
from ui.formatting import format_money

from .models import Payment


def search(*, user: User, text: str, limit: int) -> SearchGroup:
    match = Q(client__in=clients_search(Client.objects.all(), text).values("pk"))
    match |= Q(provider_payment_id=text)
    number = text.lstrip("#").replace("\u00a0", "").replace(" ", "").replace(",", ".")
    if text.startswith("#") and number.isdigit():
        match = Q(pk=int(number))
    else:
        try:
            amount = Decimal(number)
        except InvalidOperation:
            amount = None
        if amount is not None and amount.is_finite() and 0 < amount < 10**8:
            match |= Q(amount=amount)
    payments = (
        scope_to_user(Payment.objects.all(), user, client_path="client")
        .filter(match)
        .select_related("client", "tariff")
        .order_by("-created_at", "-id")[:limit]
    )
    hits = [
        SearchHit(
            title=f"#{payment.pk} · {payment.client.full_name} · {format_money(payment.amount)}",
            url=reverse("payments:payment-detail", args=[payment.pk]),
            detail=" · ".join(
                part
                for part in (
                    payment.get_status_display(),
                    payment.tariff.name if payment.tariff else "",
                    formats.date_format(payment.created_at, "d.m.Y"),
                )
                if part
            ),
        )
        for payment in payments
    ]
    return SearchGroup(key="payments", title=_("Payments"), hits=hits, order=30)
