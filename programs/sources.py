"""Where the template library comes from: Google Sheets, a public CSV export, or the bundled copy.

All three return the same thing — tab name → rows of text, header first — so one parser checks them.
"""

import csv
import io
from dataclasses import dataclass

import requests
from django.conf import settings

from . import gsheets
from .library import MEN_TAB, WOMEN_TAB, bundled_rows
from .models import TemplateVersion

Source = TemplateVersion.Source
DEFAULT_TABS = [MEN_TAB, WOMEN_TAB]
MAX_CSV_BYTES = 20 * 1024 * 1024


class SourceError(Exception):
    """The source could not be read (network, credentials, not a CSV); safe to show to staff."""


@dataclass(frozen=True)
class SheetData:
    source: str
    detail: str
    tabs: dict[str, list[list[str]] | tuple]


def configured_source() -> str:
    """gspread when a key and a service account are set, else CSV URLs, else the bundled library."""
    if settings.PROGRAM_SHEET_KEY and settings.GOOGLE_SERVICE_ACCOUNT_FILE:
        return Source.GSPREAD
    if settings.PROGRAM_SHEET_CSV_URLS:
        return Source.CSV
    return Source.BUNDLED


def fetch(source: str | None = None) -> SheetData:
    source = source or configured_source()
    if source == Source.GSPREAD:
        return _fetch_gspread()
    if source == Source.CSV:
        return _fetch_csv()
    if source == Source.BUNDLED:
        return SheetData(Source.BUNDLED, "programs/library.py", dict(bundled_rows()))
    raise SourceError(f"unknown source {source!r}")


def _fetch_gspread() -> SheetData:
    if not (settings.PROGRAM_SHEET_KEY and settings.GOOGLE_SERVICE_ACCOUNT_FILE):
        raise SourceError("PROGRAM_SHEET_KEY and GOOGLE_SERVICE_ACCOUNT_FILE must both be set")
    try:
        tabs = gsheets.fetch_tabs(key=settings.PROGRAM_SHEET_KEY, tabs=DEFAULT_TABS)
    except Exception as exc:  # any SDK or network failure means "could not read"
        raise SourceError(f"Google Sheets: {type(exc).__name__}: {str(exc)[:300]}") from exc
    return SheetData(Source.GSPREAD, f"sheet {settings.PROGRAM_SHEET_KEY}", tabs)


def csv_targets() -> list[tuple[str, str]]:
    """(tab, url) pairs from PROGRAM_SHEET_CSV_URLS: `Tab=URL` items, or bare URLs in the order
    Men_12w_2, Women_12w_2."""
    targets = []
    for index, item in enumerate(settings.PROGRAM_SHEET_CSV_URLS):
        name, sep, url = item.partition("=")
        if sep and not name.lower().startswith(("http://", "https://")):
            targets.append((name.strip(), url.strip()))
        elif index < len(DEFAULT_TABS):
            targets.append((DEFAULT_TABS[index], item.strip()))
        else:
            raise SourceError(
                f"PROGRAM_SHEET_CSV_URLS item {index + 1}: name the tab, like Women_12w_2=https://…"
            )
    return targets


def _fetch_csv() -> SheetData:
    tabs = {}
    for tab, url in csv_targets():
        try:
            response = requests.get(url, timeout=settings.EXTERNAL_HTTP_TIMEOUT)
            response.raise_for_status()
        except requests.RequestException as exc:
            raise SourceError(f"{tab}: could not download {url}: {exc}") from exc
        if len(response.content) > MAX_CSV_BYTES:
            raise SourceError(f"{tab}: {url} is larger than {MAX_CSV_BYTES // 1024 // 1024} MB")
        kind = response.headers.get("Content-Type", "")
        if "html" in kind:
            raise SourceError(
                f"{tab}: {url} returned a web page, not CSV — is the sheet shared with "
                "“Anyone with the link”?"
            )
        text = response.content.decode("utf-8-sig", errors="replace")
        tabs[tab] = list(csv.reader(io.StringIO(text)))
    return SheetData(Source.CSV, ", ".join(url for _, url in csv_targets()), tabs)
