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
# Column titles carry the message context "xlsx column" (one word may read differently there),
# written out at each call: makemessages finds only literal contexts.


CLIENT_COLUMNS = (
    ("first_name", pgettext_lazy("xlsx column", "First name")),
    ("last_name", pgettext_lazy("xlsx column", "Last name")),
    ("phone", pgettext_lazy("xlsx column", "Phone")),
    ("telegram_id", pgettext_lazy("xlsx column", "Telegram id")),
    ("telegram_username", pgettext_lazy("xlsx column", "Telegram")),
    ("email", pgettext_lazy("xlsx column", "Email")),
    ("source", pgettext_lazy("xlsx column", "Source")),
    ("notes", pgettext_lazy("xlsx column", "Notes")),
    ("stage__name", pgettext_lazy("xlsx column", "Stage")),
    ("account__balance", pgettext_lazy("xlsx column", "Balance")),
    ("account__debt", pgettext_lazy("xlsx column", "Debt")),
    ("created_at", pgettext_lazy("xlsx column", "Created")),
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
            pgettext("xlsx column", "No."),
            pgettext("xlsx column", "Client"),
            pgettext("xlsx column", "Phone"),
            pgettext("xlsx column", "Tariff"),
            pgettext("xlsx column", "Amount"),
            pgettext("xlsx column", "Refunded"),
            pgettext("xlsx column", "Status"),
            pgettext("xlsx column", "Method"),
            pgettext("xlsx column", "Created"),
            pgettext("xlsx column", "Paid"),
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
            pgettext("xlsx column", "When"),
            pgettext("xlsx column", "Client"),
            pgettext("xlsx column", "Phone"),
            pgettext("xlsx column", "Operation"),
            pgettext("xlsx column", "Amount"),
            pgettext("xlsx column", "Method"),
            pgettext("xlsx column", "Shift"),
            pgettext("xlsx column", "Who"),
            pgettext("xlsx column", "Comment"),
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
            pgettext("xlsx column", "No."),
            pgettext("xlsx column", "Operator"),
            pgettext("xlsx column", "Opened"),
            pgettext("xlsx column", "Closed"),
            pgettext("xlsx column", "Cash expected"),
            pgettext("xlsx column", "Cash counted"),
            pgettext("xlsx column", "Card expected"),
            pgettext("xlsx column", "Card counted"),
            pgettext("xlsx column", "Transfers expected"),
            pgettext("xlsx column", "Transfers counted"),
            pgettext("xlsx column", "On credit"),
            pgettext("xlsx column", "Difference"),
            pgettext("xlsx column", "Comment"),
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

    table(
        _("Income by day"),
        [pgettext("xlsx column", "Day"), pgettext("xlsx column", "Income")],
        report.income_by_day,
    )
    table(
        _("Income by method"),
        [pgettext("xlsx column", "Method"), pgettext("xlsx column", "Income")],
        report.income_by_method,
    )
    table(
        _("Sales by tariff"),
        [
            pgettext("xlsx column", "Tariff"),
            pgettext("xlsx column", "Sales"),
            pgettext("xlsx column", "Amount"),
        ],
        report.sales_by_tariff,
    )
    table(
        _("Sales by trainer"),
        [
            pgettext("xlsx column", "Trainer"),
            pgettext("xlsx column", "Sales"),
            pgettext("xlsx column", "Amount"),
        ],
        report.sales_by_trainer,
    )
    table(
        _("Sales by promotion"),
        [
            pgettext("xlsx column", "Promotion"),
            pgettext("xlsx column", "Sales"),
            pgettext("xlsx column", "Amount"),
            pgettext("xlsx column", "Promotion discount"),
        ],
        report.sales_by_promotion,
    )
    table(
        _("Clients by day"),
        [
            pgettext("xlsx column", "Day"),
            pgettext("xlsx column", "Active"),
            pgettext("xlsx column", "New"),
        ],
        [
            (day, active, new)
            for (day, active), (_day, new) in zip(
                report.active_by_day, report.new_by_day, strict=True
            )
        ],
    )
    table(
        _("Shift performance"),
        [
            pgettext("xlsx column", "Operator"),
            pgettext("xlsx column", "Shifts"),
            pgettext("xlsx column", "Takings"),
            pgettext("xlsx column", "On credit"),
            pgettext("xlsx column", "Difference"),
        ],
        [
            (s["operator"], s["shifts"], s["takings"], s["on_credit"], s["difference"])
            for s in report.shifts
        ],
    )
    table(
        _("Refunds"),
        [pgettext("xlsx column", "Refunds"), pgettext("xlsx column", "Amount")],
        [(report.refunds_count, report.refunds_total)],
    )


def attendance_write(book: XlsxWriter, marks: QuerySet) -> None:
    """The academy's roll calls: one row per student marked at a session."""
    from academy.models import Attendance

    statuses = dict(Attendance.Status.choices)
    sheet = book.sheet(
        _("Attendance"),
        [
            pgettext("xlsx column", "Session"),
            pgettext("xlsx column", "Group"),
            pgettext("xlsx column", "Discipline"),
            pgettext("xlsx column", "Trainer"),
            pgettext("xlsx column", "Client"),
            pgettext("xlsx column", "Phone"),
            pgettext("xlsx column", "Mark"),
            pgettext("xlsx column", "Membership"),
            pgettext("xlsx column", "Walk-in"),
            pgettext("xlsx column", "Marked by"),
            pgettext("xlsx column", "Marked at"),
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
