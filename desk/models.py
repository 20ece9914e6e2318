from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 12, "decimal_places": 2}
ZERO = Decimal("0.00")


class Method(models.TextChoices):
    """How money moved. Cash, card and transfer go through the drawer or terminal of a shift."""

    CASH = "cash", _("Cash")
    CARD = "card", _("Card")
    TRANSFER = "transfer", _("Transfer (SBP)")
    DEBT = "debt", _("On credit")
    BALANCE = "balance", _("From the balance")
    NONE = "none", _("No money")


DRAWER_METHODS = (Method.CASH, Method.CARD, Method.TRANSFER)
SHIFT_METHODS = (*DRAWER_METHODS, Method.DEBT)


class Shift(models.Model):
    """An operator's working shift. Money taken while it is open belongs to it; closing it records
    the counted amounts against the expected ones and locks it (no entry joins a closed shift)."""

    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("operator"),
        on_delete=models.PROTECT,
        related_name="shifts",
    )
    opened_at = models.DateTimeField(_("opened"), default=timezone.now, db_index=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Filled once, at closing: what the entries say (expected) and what was counted.
    expected_cash = models.DecimalField(_("expected cash"), **MONEY, null=True, blank=True)
    expected_card = models.DecimalField(_("expected card"), **MONEY, null=True, blank=True)
    expected_transfer = models.DecimalField(_("expected transfer"), **MONEY, null=True, blank=True)
    expected_debt = models.DecimalField(_("sold on credit"), **MONEY, null=True, blank=True)
    counted_cash = models.DecimalField(_("counted cash"), **MONEY, null=True, blank=True)
    counted_card = models.DecimalField(_("counted card"), **MONEY, null=True, blank=True)
    counted_transfer = models.DecimalField(_("counted transfer"), **MONEY, null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["operator"],
                condition=Q(closed_at__isnull=True),
                name="shift_one_open_per_operator",
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True)
                | Q(
                    expected_cash__isnull=False,
                    expected_card__isnull=False,
                    expected_transfer__isnull=False,
                    expected_debt__isnull=False,
                    counted_cash__gte=0,
                    counted_card__gte=0,
                    counted_transfer__gte=0,
                ),
                name="shift_closed_has_amounts",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} · {self.operator} · {timezone.localtime(self.opened_at):%d.%m.%Y %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def rows(self) -> list[dict]:
        """Expected, counted and the difference per drawer method (a closed shift only)."""
        result = []
        for method in DRAWER_METHODS:
            expected = getattr(self, f"expected_{method}")
            counted = getattr(self, f"counted_{method}")
            result.append(
                {
                    "method": method.label,
                    "expected": expected,
                    "counted": counted,
                    "difference": counted - expected
                    if counted is not None and expected is not None
                    else None,
                }
            )
        return result

    @property
    def difference(self) -> Decimal | None:
        if self.closed_at is None:
            return None
        return sum((row["difference"] for row in self.rows()), ZERO)


class LedgerEntry(models.Model):
    """One money event on a client's account. Entries are only ever added: a mistake is corrected
    by a new entry, in the open shift. Balance and debt are sums of entries (see ClientAccount)."""

    class Kind(models.TextChoices):
        TOP_UP = "top_up", _("Top-up")
        CHARGE = "charge", _("Charge from the balance")
        DEBT = "debt", _("Sale on credit")
        DEBT_REPAID = "debt_repaid", _("Debt repaid")
        WRITE_OFF = "write_off", _("Debt written off")
        REFUND = "refund", _("Refund from the balance")

    client = models.ForeignKey(
        "crm.Client", verbose_name=_("client"), on_delete=models.PROTECT, related_name="ledger"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind)
    amount = models.DecimalField(_("amount, RUB"), **MONEY)
    method = models.CharField(_("method"), max_length=16, choices=Method)
    shift = models.ForeignKey(
        Shift,
        verbose_name=_("shift"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
    )
    payment = models.ForeignKey(
        "payments.Payment",
        verbose_name=_("payment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_entries",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["client", "-created_at"], name="ledger_client_created_idx"),
            models.Index(fields=["shift", "method"], name="ledger_shift_method_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="ledger_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.amount} ₽ · {self.client}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Ledger entries are never changed; add a correcting entry.")
        super().save(*args, **kwargs)

    @property
    def balance_delta(self) -> Decimal:
        return BALANCE_SIGN.get(self.kind, 0) * self.amount

    @property
    def debt_delta(self) -> Decimal:
        return DEBT_SIGN.get(self.kind, 0) * self.amount


# How each kind moves the balance and the debt (the one place that says it).
BALANCE_SIGN = {
    LedgerEntry.Kind.TOP_UP: 1,
    LedgerEntry.Kind.CHARGE: -1,
    LedgerEntry.Kind.REFUND: -1,
}
DEBT_SIGN = {
    LedgerEntry.Kind.DEBT: 1,
    LedgerEntry.Kind.DEBT_REPAID: -1,
    LedgerEntry.Kind.WRITE_OFF: -1,
}
# How each kind moves the money in a shift's drawer/terminal (by the entry's method).
DRAWER_SIGN = {
    LedgerEntry.Kind.TOP_UP: 1,
    LedgerEntry.Kind.DEBT_REPAID: 1,
    LedgerEntry.Kind.REFUND: -1,
}


class ClientAccount(models.Model):
    """Balance and debt of a client: the sums of the ledger, kept current by desk.services in the
    same transaction as each entry (never edited otherwise), so the client list can filter and sort
    by debt without summing the ledger per row. Its row is also the lock that serialises a client's
    money events. `ledger_totals` recomputes it from the entries; a test holds the two equal."""

    client = models.OneToOneField(
        "crm.Client",
        verbose_name=_("client"),
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="account",
    )
    balance = models.DecimalField(_("balance, RUB"), **MONEY, default=ZERO)
    debt = models.DecimalField(_("debt, RUB"), **MONEY, default=ZERO, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("client account")
        verbose_name_plural = _("client accounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(balance__gte=0), name="account_balance_not_negative"
            ),
            models.CheckConstraint(condition=Q(debt__gte=0), name="account_debt_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.client}: {self.balance} / {self.debt}"


class ClientImport(models.Model):
    """An uploaded client file between its preview and its import. The file is kept here, not on
    a web machine's disk, so the confirmation (any web machine) and the import (a worker, any
    machine) read exactly what was previewed; it is emptied once the import has run."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", _("Checked, waiting for confirmation")
        QUEUED = "queued", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Not imported")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    name = models.CharField(_("file"), max_length=255)
    content = models.BinaryField(_("content"), editable=False)
    on_duplicate = models.CharField(_("duplicates"), max_length=8)
    language = models.CharField(_("language"), max_length=10, blank=True)  # of the column titles
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PREVIEWED)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("client import")
        verbose_name_plural = _("client imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name
