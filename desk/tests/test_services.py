"""The ledger's sums and the shift's lock, through the services staff reach."""

from decimal import Decimal

import pytest

from audit.models import Action, AuditEntry
from crm.tests.factories import AdminFactory, ClientFactory, TrainerFactory
from desk import services
from desk.models import ClientAccount, LedgerEntry, Method, Shift
from payments.models import Payment, Subscription

from .factories import OperatorFactory, desk_tariff

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def operator():
    user = OperatorFactory()
    services.shift_open(operator=user)
    return user


def account(client) -> tuple[Decimal, Decimal]:
    acc = ClientAccount.objects.get(client=client)
    totals = services.ledger_totals(client=client)
    # The kept account always equals the sums of the entries.
    assert (acc.balance, acc.debt) == (totals.balance, totals.debt)
    return acc.balance, acc.debt


def test_balance_and_debt_are_the_sums_of_the_entries(operator):
    person, admin = ClientFactory(), AdminFactory()
    services.ledger_top_up(client=person, amount=D("5000"), method=Method.CASH, actor=operator)
    services.ledger_sell(
        client=person, tariff=desk_tariff("3000"), method="balance", actor=operator
    )
    assert account(person) == (D("2000"), D("0"))
    services.ledger_sell(client=person, tariff=desk_tariff("4500"), method="debt", actor=operator)
    assert account(person) == (D("2000"), D("4500"))
    services.ledger_repay(client=person, amount=D("1500"), method=Method.CARD, actor=operator)
    services.ledger_write_off(client=person, amount=D("1000"), actor=admin, reason="Акция")
    services.ledger_refund(client=person, amount=D("500.50"), method=Method.CASH, actor=operator)
    assert account(person) == (D("1499.50"), D("2000"))
    kinds = list(
        LedgerEntry.objects.filter(client=person).order_by("id").values_list("kind", flat=True)
    )
    assert kinds == ["top_up", "charge", "debt", "debt_repaid", "write_off", "refund"]


def test_paying_from_the_balance_settles_a_payment_through_payments():
    operator = OperatorFactory()
    person, tariff = ClientFactory(), desk_tariff("3000")
    services.shift_open(operator=operator)
    services.ledger_top_up(client=person, amount=D("3000"), method="transfer", actor=operator)
    entry = services.ledger_sell(client=person, tariff=tariff, method="balance", actor=operator)
    payment = entry.payment
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.provider == Payment.Provider.BALANCE and payment.amount == D("3000")
    assert Subscription.objects.filter(client=person, tariff=tariff).exists()
    person.refresh_from_db()
    assert person.stage.code == "purchased"
    assert AuditEntry.objects.filter(action=Action.PAYMENT_RECORD, client=person).exists()


def test_a_cash_sale_counts_in_the_drawer_and_leaves_the_balance(operator):
    person = ClientFactory()
    services.ledger_sell(client=person, tariff=desk_tariff("2500"), method="cash", actor=operator)
    assert account(person) == (D("0"), D("0"))
    shift = Shift.objects.get(operator=operator)
    assert services.shift_expected(shift=shift)["cash"] == D("2500")


def test_too_small_a_balance_changes_nothing(operator):
    person = ClientFactory()
    services.ledger_top_up(client=person, amount=D("100"), method="cash", actor=operator)
    with pytest.raises(services.DeskError, match="Недостаточно средств"):
        services.ledger_sell(
            client=person, tariff=desk_tariff("3000"), method="balance", actor=operator
        )
    with pytest.raises(services.DeskError, match="только 100"):
        services.ledger_refund(client=person, amount=D("101"), method="cash", actor=operator)
    assert LedgerEntry.objects.count() == 1 and not Payment.objects.exists()
    assert account(person) == (D("100"), D("0"))


@pytest.mark.parametrize("amount", [D("0"), D("-5"), D("0.001"), None, D("NaN")])
def test_zero_negative_or_odd_amounts_are_refused(operator, amount):
    with pytest.raises(services.DeskError):
        services.ledger_top_up(client=ClientFactory(), amount=amount, method="cash", actor=operator)
    assert not LedgerEntry.objects.exists()


def test_repaying_more_than_the_debt_or_no_debt_is_refused(operator):
    person = ClientFactory()
    with pytest.raises(services.DeskError, match="ничего не должен"):
        services.ledger_repay(client=person, amount=D("10"), method="cash", actor=operator)
    services.ledger_sell(client=person, tariff=desk_tariff("1000"), method="debt", actor=operator)
    with pytest.raises(services.DeskError, match="Долг"):
        services.ledger_repay(client=person, amount=D("1000.01"), method="cash", actor=operator)
    assert account(person) == (D("0"), D("1000"))


def test_money_at_the_desk_needs_an_open_shift():
    operator, person = OperatorFactory(), ClientFactory()
    with pytest.raises(services.DeskError, match="Откройте смену"):
        services.ledger_top_up(client=person, amount=D("10"), method="cash", actor=operator)
    with pytest.raises(services.DeskError, match="Откройте смену"):
        services.ledger_sell(client=person, tariff=desk_tariff(), method="debt", actor=operator)
    assert not LedgerEntry.objects.exists() and not Payment.objects.exists()


def test_write_off_is_for_admins_with_a_reason(operator):
    person = ClientFactory()
    services.ledger_sell(client=person, tariff=desk_tariff("1000"), method="debt", actor=operator)
    with pytest.raises(services.DeskError):
        services.ledger_write_off(client=person, amount=D("10"), actor=operator, reason="x")
    with pytest.raises(services.DeskError):
        services.ledger_write_off(client=person, amount=D("10"), actor=AdminFactory(), reason=" ")


def test_one_open_shift_per_operator():
    operator = OperatorFactory()
    services.shift_open(operator=operator)
    with pytest.raises(services.DeskError, match="уже открыта"):
        services.shift_open(operator=operator)
    assert Shift.objects.filter(operator=operator).count() == 1
    with pytest.raises(services.DeskError):
        services.shift_open(operator=TrainerFactory())


def test_closing_records_expected_against_counted_and_locks_the_shift(operator):
    person = ClientFactory()
    shift = Shift.objects.get(operator=operator)
    services.ledger_top_up(client=person, amount=D("3000"), method="cash", actor=operator)
    services.ledger_top_up(client=person, amount=D("1200"), method="card", actor=operator)
    services.ledger_refund(client=person, amount=D("200"), method="cash", actor=operator)
    services.ledger_sell(client=person, tariff=desk_tariff("700"), method="debt", actor=operator)
    services.ledger_repay(client=person, amount=D("300"), method="transfer", actor=operator)
    closed = services.shift_close(
        shift=shift,
        actor=operator,
        counted={"cash": D("2750"), "card": D("1200"), "transfer": D("300")},
        comment="Не хватает 50",
    )
    rows = {row["method"]: row for row in closed.rows()}
    assert rows["Наличные"]["expected"] == D("2800") and rows["Наличные"]["difference"] == D("-50")
    assert rows["Карта"]["difference"] == D("0")
    assert closed.expected_debt == D("700") and closed.difference == D("-50")
    assert AuditEntry.objects.filter(action=Action.SHIFT_CLOSE).exists()

    with pytest.raises(services.DeskError, match="уже закрыта"):
        services.shift_close(
            shift=shift, actor=operator, counted=dict.fromkeys(("cash", "card", "transfer"), D(0))
        )
    # The closed shift takes no more money: the next entry needs a new shift.
    with pytest.raises(services.DeskError, match="Откройте смену"):
        services.ledger_top_up(client=person, amount=D("1"), method="cash", actor=operator)
    entry = LedgerEntry.objects.filter(shift=shift).first()
    entry.amount = D("1")
    with pytest.raises(ValueError):
        entry.save()
    new_shift = services.shift_open(operator=operator)
    correction = services.ledger_refund(
        client=person, amount=D("50"), method="cash", actor=operator, reason="Исправление"
    )
    assert correction.shift == new_shift


def test_closing_needs_every_counted_amount_and_no_negatives(operator):
    shift = Shift.objects.get(operator=operator)
    with pytest.raises(services.DeskError):
        services.shift_close(shift=shift, actor=operator, counted={"cash": D("1")})
    with pytest.raises(services.DeskError):
        services.shift_close(
            shift=shift, actor=operator, counted={"cash": D("-1"), "card": D(0), "transfer": D(0)}
        )
    with pytest.raises(services.DeskError):
        services.shift_close(
            shift=shift,
            actor=OperatorFactory(),
            counted=dict.fromkeys(("cash", "card", "transfer"), D(0)),
        )
    shift.refresh_from_db()
    assert shift.is_open


def test_demo_data_is_consistent_and_idempotent():
    import random

    from crm.tests.factories import UserFactory
    from desk import demo

    UserFactory(username="demo-operator", role="operator")
    desk_tariff("1990", name="План питания")
    clients = [ClientFactory() for _ in range(10)]
    assert demo.seed(clients=clients, rng=random.Random(1)) > 0
    assert demo.seed(clients=clients, rng=random.Random(1)) == 0
    for acc in ClientAccount.objects.all():
        totals = services.ledger_totals(client=acc.client)
        assert (acc.balance, acc.debt) == (totals.balance, totals.debt)
    assert Shift.objects.filter(closed_at__isnull=True).count() == 1
