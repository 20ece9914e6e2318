"""What goes into each XLSX export. Rows are read in chunks (`iterator`) as plain tuples, so memory
stays flat however many rows there are (bench/desk_export.py: 100,000 clients)."""

from collections.abc import Iterable

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import pgettext, pgettext_lazy

from crm.models import Client
from payments.models import Payment

from .models import LedgerEntry, Shift
from .reports import Report
from .xlsx import XlsxWriter

CHUNK = 2000
COLUMN = "xlsx column"  # the message context of column titles: one word may read differently there


def _lazy(title: str):
    return pgettext_lazy(COLUMN, title)


def _col(title: str) -> str:
    return pgettext(COLUMN, title)


CLIENT_COLUMNS = (
    ("first_name", _lazy("First name")),
    ("last_name", _lazy("Last name")),
    ("phone", _lazy("Phone")),
    ("telegram_id", _lazy("Telegram id")),
    ("telegram_username", _lazy("Telegram")),
    ("email", _lazy("Email")),
    ("source", _lazy("Source")),
    ("notes", _lazy("Notes")),
    ("stage__name", _lazy("Stage")),
    ("account__balance", _lazy("Balance")),
    ("account__debt", _lazy("Debt")),
    ("created_at", _lazy("Created")),
)
# The columns an import reads back (the rest are for people).
IMPORT_HEADER = [label for _, label in CLIENT_COLUMNS[:8]]


def clients_write(book: XlsxWriter, clients: QuerySet[Client]) -> None:
    sheet = book.sheet(_("Clients"), [label for _, label in CLIENT_COLUMNS])
    fields = [name for name, _ in CLIENT_COLUMNS]
    for row in clients.values_list(*fields).iterator(chunk_size=CHUNK):
        sheet.append(row)


def payments_write(book: XlsxWriter, payments: QuerySet[Payment]) -> None:
    providers, statuses = dict(Payment.Provider.choices), dict(Payment.Status.choices)
    sheet = book.sheet(
        _("Payments"),
        [
            _col("No."),
            _col("Client"),
            _col("Phone"),
            _col("Tariff"),
            _col("Amount"),
            _col("Refunded"),
            _col("Status"),
            _col("Method"),
            _col("Created"),
            _col("Paid"),
        ],
    )
    rows = payments.values_list(
        "pk",
        "client__first_name",
        "client__last_name",
        "client__phone",
        "tariff__name",
        "amount",
        "refunded_amount",
        "status",
        "provider",
        "created_at",
        "paid_at",
    )
    for (
        pk,
        first,
        last,
        phone,
        tariff,
        amount,
        refunded,
        status,
        provider,
        created,
        paid,
    ) in rows.iterator(chunk_size=CHUNK):
        sheet.append(
            [
                pk,
                f"{first} {last}".strip(),
                phone,
                tariff,
                amount,
                refunded,
                str(statuses.get(status, status)),
                str(providers.get(provider, provider)),
                created,
                paid,
            ]
        )


def ledger_write(book: XlsxWriter, entries: QuerySet[LedgerEntry]) -> None:
    kinds, methods = (
        dict(LedgerEntry.Kind.choices),
        dict(LedgerEntry._meta.get_field("method").choices),
    )
    sheet = book.sheet(
        _("Ledger"),
        [
            _col("When"),
            _col("Client"),
            _col("Phone"),
            _col("Operation"),
            _col("Amount"),
            _col("Method"),
            _col("Shift"),
            _col("Who"),
            _col("Comment"),
        ],
    )
    rows = entries.values_list(
        "created_at",
        "client__first_name",
        "client__last_name",
        "client__phone",
        "kind",
        "amount",
        "method",
        "shift_id",
        "actor__username",
        "reason",
    )
    for at, first, last, phone, kind, amount, method, shift, actor, reason in rows.iterator(
        chunk_size=CHUNK
    ):
        sheet.append(
            [
                at,
                f"{first} {last}".strip(),
                phone,
                str(kinds[kind]),
                amount,
                str(methods[method]),
                shift,
                actor,
                reason,
            ]
        )


def shifts_write(book: XlsxWriter, shifts: QuerySet[Shift]) -> None:
    sheet = book.sheet(
        _("Shifts"),
        [
            _col("No."),
            _col("Operator"),
            _col("Opened"),
            _col("Closed"),
            _col("Cash expected"),
            _col("Cash counted"),
            _col("Card expected"),
            _col("Card counted"),
            _col("Transfers expected"),
            _col("Transfers counted"),
            _col("On credit"),
            _col("Difference"),
            _col("Comment"),
        ],
    )
    rows = shifts.values_list(
        "pk",
        "operator__username",
        "opened_at",
        "closed_at",
        "expected_cash",
        "counted_cash",
        "expected_card",
        "counted_card",
        "expected_transfer",
        "counted_transfer",
        "expected_debt",
        "comment",
    )
    for row in rows.iterator(chunk_size=CHUNK):
        *money, comment = row
        difference = None
        if row[3] is not None:
            difference = (row[5] - row[4]) + (row[7] - row[6]) + (row[9] - row[8])
        sheet.append([*money, difference, comment])


def report_write(book: XlsxWriter, report: Report) -> None:
    def table(title: str, header: list[str], rows: Iterable) -> None:
        sheet = book.sheet(title, header)
        for row in rows:
            sheet.append(row)

    table(_("Income by day"), [_col("Day"), _col("Income")], report.income_by_day)
    table(_("Income by method"), [_col("Method"), _col("Income")], report.income_by_method)
    table(
        _("Sales by tariff"),
        [_col("Tariff"), _col("Sales"), _col("Amount")],
        report.sales_by_tariff,
    )
    table(
        _("Sales by trainer"),
        [_col("Trainer"), _col("Sales"), _col("Amount")],
        report.sales_by_trainer,
    )
    table(
        _("Sales by promotion"),
        [_col("Promotion"), _col("Sales"), _col("Amount"), _col("Promotion discount")],
        report.sales_by_promotion,
    )
    table(
        _("Clients by day"),
        [_col("Day"), _col("Active"), _col("New")],
        [
            (day, active, new)
            for (day, active), (_day, new) in zip(
                report.active_by_day, report.new_by_day, strict=True
            )
        ],
    )
    table(
        _("Shift performance"),
        [_col("Operator"), _col("Shifts"), _col("Takings"), _col("On credit"), _col("Difference")],
        [
            (s["operator"], s["shifts"], s["takings"], s["on_credit"], s["difference"])
            for s in report.shifts
        ],
    )
    table(
        _("Refunds"),
        [_col("Refunds"), _col("Amount")],
        [(report.refunds_count, report.refunds_total)],
    )


def attendance_write(book: XlsxWriter, marks: QuerySet) -> None:
    """The academy's roll calls: one row per student marked at a session."""
    from academy.models import Attendance

    statuses = dict(Attendance.Status.choices)
    sheet = book.sheet(
        _("Attendance"),
        [
            _col("Session"),
            _col("Group"),
            _col("Discipline"),
            _col("Trainer"),
            _col("Client"),
            _col("Phone"),
            _col("Mark"),
            _col("Membership"),
            _col("Walk-in"),
            _col("Marked by"),
            _col("Marked at"),
        ],
    )
    rows = marks.values_list(
        "session_starts_at",
        "session__title",
        "session__discipline__name",
        "session__trainer__first_name",
        "session__trainer__last_name",
        "client__first_name",
        "client__last_name",
        "client__phone",
        "status",
        "membership__plan__tariff__name",
        "walk_in",
        "marked_by__username",
        "marked_at",
    )
    for (
        starts,
        title,
        discipline,
        trainer_first,
        trainer_last,
        first,
        last,
        phone,
        status,
        plan,
        walk_in,
        marked_by,
        marked_at,
    ) in rows.iterator(chunk_size=CHUNK):
        sheet.append(
            [
                starts,
                title,
                discipline,
                f"{trainer_first} {trainer_last}".strip(),
                f"{first} {last}".strip(),
                phone,
                str(statuses.get(status, status)),
                plan,
                _("yes") if walk_in else "",
                marked_by,
                marked_at,
            ]
        )
