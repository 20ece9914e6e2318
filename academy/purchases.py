"""Payments calls this when a payment succeeds (see payments/extensions.py)."""

from payments.models import Payment

from .services import membership_activate


def payment_succeeded(*, payment: Payment) -> None:
    membership_activate(payment=payment)
