"""How other apps act on a paid purchase without payments importing them.

An app may ship `<app>/purchases.py` with

    def payment_succeeded(*, payment: Payment) -> None

called once per payment, inside `payment_succeed`'s transaction and under its row lock (so what
it writes commits or rolls back with the payment). The academy creates a membership there.
"""

from importlib import import_module
from importlib.util import find_spec

from django.apps import apps

from .models import Payment


def purchase_fulfil(*, payment: Payment) -> None:
    for config in apps.get_app_configs():
        name = f"{config.name}.purchases"
        if find_spec(name) is not None:
            module = import_module(name)
            if hasattr(module, "payment_succeeded"):
                module.payment_succeeded(payment=payment)
