"""Shifts under concurrency (PostgreSQL): row locks, not luck, keep the drawer right."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from crm.tests.factories import AdminFactory, ClientFactory
from desk import services
from desk.models import ClientAccount, LedgerEntry, Shift
from pipeline.services import stages_ensure_defaults

from .factories import OperatorFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ZEROS = {"cash": Decimal(0), "card": Decimal(0), "transfer": Decimal(0)}


def run_at_once(*jobs) -> list:
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def run(index, job):
        try:
            barrier.wait()
            results[index] = job()
        except Exception as error:  # noqa: BLE001 - the test inspects what each thread got
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_two_operators_closing_their_shifts_at_once_while_money_comes_in():
    stages_ensure_defaults()
    first, second = OperatorFactory(), OperatorFactory()
    person = ClientFactory()
    shifts = [services.shift_open(operator=op) for op in (first, second)]
    for op in (first, second):
        services.ledger_top_up(client=person, amount=Decimal("100"), method="cash", actor=op)

    def close(shift, op):
        return lambda: services.shift_close(
            shift=shift, actor=op, counted={**ZEROS, "cash": Decimal("100")}
        )

    def top_up(op):
        return lambda: services.ledger_top_up(
            client=person, amount=Decimal("50"), method="cash", actor=op
        )

    results = run_at_once(
        close(shifts[0], first), close(shifts[1], second), top_up(first), top_up(second)
    )
    # Each late top-up either landed before its shift closed (and is counted) or was refused.
    for shift in Shift.objects.all():
        assert shift.closed_at is not None
        in_shift = sum(e.amount for e in LedgerEntry.objects.filter(shift=shift))
        assert shift.expected_cash == in_shift
    for result in results[2:]:
        assert isinstance(result, LedgerEntry | services.DeskError), result
    assert not any(
        isinstance(r, Exception) and not isinstance(r, services.DeskError) for r in results
    )
    # The account kept under the row lock equals the ledger's sums.
    totals = services.ledger_totals(client=person)
    assert ClientAccount.objects.get(client=person).balance == totals.balance


def test_the_same_shift_closed_twice_at_once_closes_once():
    stages_ensure_defaults()
    operator, admin = OperatorFactory(), AdminFactory()
    shift = services.shift_open(operator=operator)
    results = run_at_once(
        lambda: services.shift_close(shift=shift, actor=operator, counted=ZEROS),
        lambda: services.shift_close(shift=shift, actor=admin, counted=ZEROS),
    )
    closed = [r for r in results if isinstance(r, Shift)]
    refused = [r for r in results if isinstance(r, services.DeskError)]
    assert len(closed) == 1 and len(refused) == 1
    assert "уже закрыта" in str(refused[0])


def test_two_sales_from_one_balance_at_once_never_overdraw():
    stages_ensure_defaults()
    from .factories import desk_tariff

    operator = OperatorFactory()
    services.shift_open(operator=operator)
    person, tariff = ClientFactory(), desk_tariff("3000")
    services.ledger_top_up(client=person, amount=Decimal("4000"), method="cash", actor=operator)
    results = run_at_once(
        *[
            lambda: services.ledger_sell(
                client=person, tariff=tariff, method="balance", actor=operator
            )
            for _ in range(3)
        ]
    )
    assert sum(isinstance(r, LedgerEntry) for r in results) == 1
    assert ClientAccount.objects.get(client=person).balance == Decimal("1000")
