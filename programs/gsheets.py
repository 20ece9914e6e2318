"""The only module that talks to the Google Sheets API (gspread, with a service account)."""

from urllib.parse import quote

import gspread
from django.conf import settings


def fetch_tabs(*, key: str, tabs: list[str]) -> dict[str, list[list[str]]]:
    """Every cell of the given tabs as text (header row first), in one batchGet request.

    Values come formatted as the sheet shows them (no number guessing: "8-10" stays "8-10").
    Raises gspread / google-auth / requests errors; the caller turns them into a sync error.
    """
    client = gspread.service_account(filename=settings.GOOGLE_SERVICE_ACCOUNT_FILE)
    client.http_client.set_timeout(settings.EXTERNAL_HTTP_TIMEOUT)
    # The Sheets API root is a setting so the same code talks to a local server in tests.
    base = settings.GOOGLE_SHEETS_API_URL.rstrip("/")
    response = client.http_client.request(
        "get",
        f"{base}/{quote(key)}/values:batchGet",
        params={
            "ranges": [f"'{tab}'" for tab in tabs],
            "valueRenderOption": "FORMATTED_VALUE",
            "majorDimension": "ROWS",
        },
    )
    data = response.json()
    ranges = data.get("valueRanges", [])
    if len(ranges) != len(tabs):
        raise ValueError(f"expected {len(tabs)} ranges from the Sheets API, got {len(ranges)}")
    return {
        tab: [[str(cell) for cell in row] for row in value_range.get("values", [])]
        for tab, value_range in zip(tabs, ranges, strict=True)
    }
