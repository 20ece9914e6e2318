"""Demo data for `manage.py seed_demo`: two weeks of the operator's closed shifts (top-ups, sales on
credit, repayments, a few refunds; counted amounts sometimes a little off) and today's open shift.
Idempotent: nothing is added once the demo operator has shifts. Rows are written directly, dated in
the past, and the accounts are summed from them (the services date everything now)."""

import random
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from crm.models import Client, User
from payments.models import Payment, Subscription, Tariff
from payments.services import clients_paid_refresh

from .models import ZERO, ClientAccount, LedgerEntry, Method, Shift
from .services import ledger_totals, shift_expected

DAYS = 14
OPERATOR = "demo-operator"
BOUGHT = {"purchased", "active", "finished"}


def _at(day, hour: int, minute: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


@transaction.atomic
def seed(*, clients: list[Client], rng: random.Random) -> int:
    operator = User.objects.filter(username=OPERATOR).first()
    tariffs = list(Tariff.objects.filter(is_active=True, grants_paid_program=False)) or list(
        Tariff.objects.filter(is_active=True)
    )
    if operator is None or not clients or not tariffs or operator.shifts.exists():
        return 0
    regulars = rng.sample(clients, min(40, len(clients)))
    # Sales on credit only to clients who bought (their stage says so), each with its subscription.
    buyers = [c for c in regulars if c.stage and c.stage.code in BOUGHT]
    today = timezone.localdate()
    rows = 0
    for back in range(DAYS, -1, -1):
        day = today - timedelta(days=back)
        shift = Shift.objects.create(operator=operator, opened_at=_at(day, 9, 0))
        debts: dict[int, Decimal] = {}
        for n in range(rng.randint(3, 8)):
            client = rng.choice(regulars)
            at = _at(day, 9 + n, rng.randint(0, 59))
            roll = rng.random()
            method = rng.choice([Method.CASH, Method.CASH, Method.CARD, Method.TRANSFER])
            if roll < 0.25 and buyers:
                client = rng.choice(buyers)
                tariff = rng.choice(tariffs)
                payment = Payment.objects.create(
                    client=client,
                    tariff=tariff,
                    amount=tariff.price,
                    provider=Payment.Provider.DEBT,
                    status=Payment.Status.SUCCEEDED,
                    paid_at=at,
                    created_at=at,
                    created_by=operator,
                    idempotence_key=f"demo-desk-{day:%Y%m%d}-{n}",
                )
                LedgerEntry.objects.create(
                    client=client,
                    kind=LedgerEntry.Kind.DEBT,
                    amount=tariff.price,
                    method=Method.DEBT,
                    shift=shift,
                    payment=payment,
                    actor=operator,
                    reason=tariff.name,
                    created_at=at,
                )
                Subscription.objects.create(
                    client=client,
                    tariff=tariff,
                    starts_on=day,
                    ends_on=day + timedelta(days=tariff.duration_days - 1),
                    last_payment=payment,
                )
                debts[client.pk] = debts.get(client.pk, ZERO) + tariff.price
            elif roll < 0.35 and debts:
                client_id, owed = next(iter(debts.items()))
                LedgerEntry.objects.create(
                    client_id=client_id,
                    kind=LedgerEntry.Kind.DEBT_REPAID,
                    amount=owed,
                    method=method,
                    shift=shift,
                    actor=operator,
                    created_at=at,
                )
                del debts[client_id]
            else:
                amount = Decimal(rng.choice([500, 1000, 1500, 2000, 3000, 5000]))
                LedgerEntry.objects.create(
                    client=client,
                    kind=LedgerEntry.Kind.TOP_UP,
                    amount=amount,
                    method=method,
                    shift=shift,
                    actor=operator,
                    created_at=at,
                )
            rows += 1
        if back == 0:
            continue  # today's shift stays open
        expected = shift_expected(shift=shift)
        off = Decimal(rng.choice([0, 0, 0, 0, -50, -100, 20]))
        Shift.objects.filter(pk=shift.pk).update(
            closed_at=_at(day, 21, 0),
            closed_by=operator,
            expected_cash=expected["cash"],
            expected_card=expected["card"],
            expected_transfer=expected["transfer"],
            expected_debt=expected["debt"],
            counted_cash=max(expected["cash"] + off, ZERO),
            counted_card=expected["card"],
            counted_transfer=expected["transfer"],
            comment="Недостача мелочью" if off < 0 else "",
        )
    clients_paid_refresh(client.pk for client in buyers)
    for client in regulars:
        totals = ledger_totals(client=client)
        if totals.balance or totals.debt:
            ClientAccount.objects.update_or_create(
                client=client, defaults={"balance": totals.balance, "debt": totals.debt}
            )
    return rows
