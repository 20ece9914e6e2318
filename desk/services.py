"""Front desk money: the client ledger and shifts.

Every money event is a LedgerEntry added here, under the client's account row lock, with the audit
entry in the same transaction. Money that passes the desk (cash, card, transfer, a sale on credit)
needs the actor's open shift and is counted in it; closing a shift locks it (its row lock makes an
entry either land before the close, and count, or be refused).
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Case, DecimalField, F, Sum, Value, When
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from audit.services import Action, audit_record
from crm.models import Client, User
from payments.models import Payment, Tariff
from payments.services import PaymentError, payment_record_manual, price_offer

from .models import (
    BALANCE_SIGN,
    DEBT_SIGN,
    DRAWER_METHODS,
    DRAWER_SIGN,
    SHIFT_METHODS,
    ZERO,
    ClientAccount,
    LedgerEntry,
    Method,
    Shift,
)

Kind = LedgerEntry.Kind


class DeskError(Exception):
    """A refused money operation; the message is safe to show to staff (in Russian)."""


def _money(value: Decimal) -> str:
    return number_format(value, 2, force_grouping=True)


def _check_amount(amount: Decimal | None) -> Decimal:
    if amount is None or not isinstance(amount, Decimal) or not amount.is_finite():
        raise DeskError(_("Enter the amount."))
    if amount <= 0:
        raise DeskError(_("The amount must be greater than zero."))
    if amount != amount.quantize(Decimal("0.01")) or amount >= Decimal("1e10"):
        raise DeskError(_("Enter an amount in roubles with at most two decimals."))
    return amount


def _lock_account(client: Client) -> ClientAccount:
    ClientAccount.objects.get_or_create(client=client)
    return ClientAccount.objects.select_for_update().get(client=client)


def _open_shift_for(actor: User) -> Shift:
    shift = Shift.objects.select_for_update().filter(operator=actor, closed_at__isnull=True).first()
    if shift is None:
        raise DeskError(_("Open a shift first: money taken at the desk belongs to a shift."))
    return shift


def _add(
    *,
    account: ClientAccount,
    kind: str,
    amount: Decimal,
    method: str,
    actor: User,
    reason: str = "",
    shift: Shift | None = None,
    payment: Payment | None = None,
) -> LedgerEntry:
    entry = LedgerEntry(
        client=account.client,
        kind=kind,
        amount=amount,
        method=method,
        actor=actor,
        reason=reason.strip()[:255],
        shift=shift,
        payment=payment,
    )
    entry.full_clean()
    entry.save()
    before = {"balance": account.balance, "debt": account.debt}
    account.balance += entry.balance_delta
    account.debt += entry.debt_delta
    account.save(update_fields=["balance", "debt", "updated_at"])
    changes = {
        name: [before[name], getattr(account, name)]
        for name in ("balance", "debt")
        if before[name] != getattr(account, name)
    }
    audit_record(
        actor=actor,
        action=Action.LEDGER_ENTRY,
        obj=entry,
        client=account.client,
        changes=changes,
        note=f"{entry.get_kind_display()}, {entry.get_method_display()}"
        + (f": {entry.reason}" if entry.reason else ""),
    )
    return entry


def _check_drawer_method(method: str) -> str:
    if method not in DRAWER_METHODS:
        raise DeskError(_("Choose cash, card or transfer."))
    return method


def _drawer_entry(
    *,
    kind: str,
    client: Client,
    amount: Decimal,
    method: str,
    actor: User,
    reason: str,
    check: Callable[[ClientAccount, Decimal], None] | None = None,
) -> LedgerEntry:
    """Money through the drawer (cash, card, transfer) in the actor's open shift; `check` refuses
    with a DeskError, before anything is written, what the account cannot take."""
    amount, method = _check_amount(amount), _check_drawer_method(method)
    shift = _open_shift_for(actor)
    account = _lock_account(client)
    if check is not None:
        check(account, amount)
    return _add(
        account=account,
        kind=kind,
        amount=amount,
        method=method,
        actor=actor,
        reason=reason,
        shift=shift,
    )


def _balance_covers(account: ClientAccount, amount: Decimal) -> None:
    if account.balance < amount:
        raise DeskError(
            _("The balance is only %(balance)s ₽: cannot return %(amount)s ₽.")
            % {"balance": _money(account.balance), "amount": _money(amount)}
        )


def _debt_covers(account: ClientAccount, amount: Decimal) -> None:
    if account.debt == 0:
        raise DeskError(_("This client owes nothing."))
    if amount > account.debt:
        raise DeskError(
            _("The debt is %(debt)s ₽: cannot repay %(amount)s ₽.")
            % {"debt": _money(account.debt), "amount": _money(amount)}
        )


@transaction.atomic
def ledger_top_up(
    *, client: Client, amount: Decimal, method: str, actor: User, reason: str = ""
) -> LedgerEntry:
    """Money put on the client's balance at the desk (in the actor's open shift)."""
    return _drawer_entry(
        kind=Kind.TOP_UP, client=client, amount=amount, method=method, actor=actor, reason=reason
    )


@transaction.atomic
def ledger_refund(
    *, client: Client, amount: Decimal, method: str, actor: User, reason: str = ""
) -> LedgerEntry:
    """Money given back from the client's balance (out of the actor's open shift)."""
    return _drawer_entry(
        kind=Kind.REFUND,
        client=client,
        amount=amount,
        method=method,
        actor=actor,
        reason=reason,
        check=_balance_covers,
    )


@transaction.atomic
def ledger_repay(
    *, client: Client, amount: Decimal, method: str, actor: User, reason: str = ""
) -> LedgerEntry:
    """The client pays back (part of) a debt at the desk."""
    return _drawer_entry(
        kind=Kind.DEBT_REPAID,
        client=client,
        amount=amount,
        method=method,
        actor=actor,
        reason=reason,
        check=_debt_covers,
    )


@transaction.atomic
def ledger_write_off(*, client: Client, amount: Decimal, actor: User, reason: str) -> LedgerEntry:
    """Forgive (part of) a debt; admins only, with a reason. No money moves."""
    amount = _check_amount(amount)
    if not actor.is_admin:
        raise DeskError(_("Only an administrator can write off a debt."))
    if not reason.strip():
        raise DeskError(_("Say why the debt is written off."))
    account = _lock_account(client)
    if amount > account.debt:
        raise DeskError(
            _("The debt is %(debt)s ₽: cannot write off %(amount)s ₽.")
            % {"debt": _money(account.debt), "amount": _money(amount)}
        )
    return _add(
        account=account,
        kind=Kind.WRITE_OFF,
        amount=amount,
        method=Method.NONE,
        actor=actor,
        reason=reason,
    )


SALE_METHODS = (*DRAWER_METHODS, Method.BALANCE, Method.DEBT)
SALE_PROVIDER = {
    Method.CASH: Payment.Provider.CASH,
    Method.CARD: Payment.Provider.CARD,
    Method.TRANSFER: Payment.Provider.TRANSFER,
    Method.BALANCE: Payment.Provider.BALANCE,
    Method.DEBT: Payment.Provider.DEBT,
}


@transaction.atomic
def ledger_sell(
    *, client: Client, tariff: Tariff, method: str, actor: User, promo_code: str = ""
) -> LedgerEntry:
    """Sell a tariff at the desk: a settled Payment through payments.services (so the subscription,
    stage and program follow) plus its ledger entries, or DeskError and nothing at all.

    - from the balance: a charge (DeskError when the balance is too small);
    - on credit: a debt entry in the actor's open shift;
    - cash, card or transfer: a top-up in the actor's open shift and the charge, so the drawer
      counts the money and the balance is unchanged.
    """
    if method not in SALE_METHODS:
        raise DeskError(_("Choose how the client pays."))
    shift = _open_shift_for(actor) if method != Method.BALANCE else None
    account = _lock_account(client)
    try:
        offer = price_offer(tariff=tariff, promo_code=promo_code, client=client, lock=True)
    except PaymentError as error:
        raise DeskError(str(error)) from error
    price = offer.amount
    if method == Method.BALANCE and account.balance < price:
        raise DeskError(
            _("Not enough on the balance: %(balance)s ₽, the tariff costs %(price)s ₽.")
            % {"balance": _money(account.balance), "price": _money(price)}
        )
    try:
        payment = payment_record_manual(
            client=client,
            tariff=tariff,
            provider=SALE_PROVIDER[method],
            actor=actor,
            amount=price,
            promo_code=promo_code,
            desk=True,
            offer=offer,
        )
    except PaymentError as error:
        raise DeskError(str(error)) from error
    if method == Method.DEBT:
        return _add(
            account=account,
            kind=Kind.DEBT,
            amount=payment.amount,
            method=Method.DEBT,
            actor=actor,
            reason=tariff.name,
            shift=shift,
            payment=payment,
        )
    if method in DRAWER_METHODS:
        _add(
            account=account,
            kind=Kind.TOP_UP,
            amount=payment.amount,
            method=method,
            actor=actor,
            reason=tariff.name,
            shift=shift,
            payment=payment,
        )
    return _add(
        account=account,
        kind=Kind.CHARGE,
        amount=payment.amount,
        method=Method.BALANCE,
        actor=actor,
        reason=tariff.name,
        payment=payment,
    )


@dataclass(frozen=True)
class LedgerTotals:
    balance: Decimal
    debt: Decimal


def ledger_totals(*, client: Client) -> LedgerTotals:
    """Balance and debt summed from the entries themselves (one query)."""

    def signed(signs: dict) -> Case:
        return Case(
            *[When(kind=kind, then=F("amount") * sign) for kind, sign in signs.items()],
            default=Value(ZERO),
            output_field=DecimalField(max_digits=14, decimal_places=2),
        )

    sums = LedgerEntry.objects.filter(client=client).aggregate(
        balance=Sum(signed(BALANCE_SIGN)), debt=Sum(signed(DEBT_SIGN))
    )
    return LedgerTotals(balance=sums["balance"] or ZERO, debt=sums["debt"] or ZERO)


# --- Shifts -----------------------------------------------------------------------------------------


def shift_open(*, operator: User) -> Shift:
    """Open a shift for this operator; DeskError if one is already open (the database decides)."""
    if not operator.can_change or operator.is_trainer:
        raise DeskError(_("Only operators and administrators run shifts."))
    try:
        with transaction.atomic():
            shift = Shift.objects.create(operator=operator)
            audit_record(actor=operator, action=Action.SHIFT_OPEN, obj=shift)
    except IntegrityError as error:
        raise DeskError(_("You already have an open shift: close it first.")) from error
    return shift


def shift_expected(*, shift: Shift) -> dict[str, Decimal]:
    """Money the entries say the shift took, per method (cash, card, transfer, debt). One query."""
    rows = (
        LedgerEntry.objects.filter(shift=shift, method__in=SHIFT_METHODS)
        .values("method", "kind")
        .annotate(total=Sum("amount"))
    )
    expected = {str(method): ZERO for method in SHIFT_METHODS}
    for row in rows:
        if row["method"] == Method.DEBT:
            expected[Method.DEBT] += row["total"] if row["kind"] == Kind.DEBT else ZERO
        else:
            expected[row["method"]] += DRAWER_SIGN.get(row["kind"], 0) * row["total"]
    return expected


@transaction.atomic
def shift_close(
    *, shift: Shift, actor: User, counted: dict[str, Decimal], comment: str = ""
) -> Shift:
    """Close a shift with the counted cash, card and transfer amounts. Records the expected ones
    beside them; afterwards no entry joins the shift. DeskError for a closed shift, another
    operator's shift (unless the actor is an admin) or a missing/negative amount."""
    locked = Shift.objects.select_for_update().get(pk=shift.pk)
    if locked.closed_at is not None:
        raise DeskError(_("This shift is already closed."))
    if locked.operator_id != actor.pk and not actor.is_admin:
        raise DeskError(_("Only the shift's operator or an administrator can close it."))
    amounts = {}
    for method in DRAWER_METHODS:
        value = counted.get(method)
        if value is None:
            raise DeskError(_("Enter the counted amount for every method (0 if none)."))
        if value < 0:
            raise DeskError(_("A counted amount cannot be negative."))
        amounts[method] = value
    expected = shift_expected(shift=locked)
    for method in SHIFT_METHODS:
        setattr(locked, f"expected_{method}", expected[method])
    for method, value in amounts.items():
        setattr(locked, f"counted_{method}", value)
    locked.comment = comment.strip()
    locked.closed_at = timezone.now()
    locked.closed_by = actor
    locked.full_clean()
    locked.save()
    audit_record(
        actor=actor,
        action=Action.SHIFT_CLOSE,
        obj=locked,
        changes={
            f"{method}": [str(expected[method]), str(amounts[method])] for method in DRAWER_METHODS
        },
        note=locked.comment,
    )
    return locked
