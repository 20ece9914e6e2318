"""XLSX writing for every export: write-only (rows go to a temporary file, not memory), streamed back
with FileResponse, and user text always written as text — a name like `=HYPERLINK(…)`, `+1` or
`@SUM(1)` is stored as a string cell, never as a formula Excel would run."""

import tempfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import FileResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

BOLD = Font(bold=True)
TEXT_FORMAT = "@"


class Sheet:
    def __init__(self, book: Workbook, title: str, header: Sequence[str]):
        self.sheet = book.create_sheet(title=title[:31])
        self.sheet.append([self._cell(str(name), bold=True) for name in header])

    def _cell(self, value: Any, *, bold: bool = False) -> WriteOnlyCell:
        if isinstance(value, datetime):
            value = (
                timezone.localtime(value).replace(tzinfo=None)
                if timezone.is_aware(value)
                else value
            )
        elif isinstance(value, Decimal):
            value = float(value)
        elif value is not None and not isinstance(value, int | float | date | bool):
            value = str(value)
        cell = WriteOnlyCell(self.sheet, value=value)
        if isinstance(value, str):
            # openpyxl turns a string starting with "=" into a formula: force a plain string cell,
            # formatted as text so Excel never re-reads it as one either.
            cell.data_type = "s"
            cell.number_format = TEXT_FORMAT
        elif isinstance(value, datetime):
            cell.number_format = "DD.MM.YYYY HH:MM"
        elif isinstance(value, date):
            cell.number_format = "DD.MM.YYYY"
        if bold:
            cell.font = BOLD
        return cell

    def append(self, row: Iterable[Any]) -> None:
        self.sheet.append([self._cell(value) for value in row])


class XlsxWriter:
    """`with XlsxWriter() as book: sheet = book.sheet(...); sheet.append(...)`, then `.response()`."""

    def __init__(self):
        self.book = Workbook(write_only=True)
        self.file = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it

    def sheet(self, title: str, header: Sequence[str]) -> Sheet:
        return Sheet(self.book, title, header)

    def response(self, filename: str) -> FileResponse:
        self.book.save(self.file)
        self.file.seek(0)
        return FileResponse(
            self.file,
            as_attachment=True,
            filename=filename,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
