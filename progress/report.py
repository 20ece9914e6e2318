"""The progress report PDF: the same SVG charts as the page, the before/now table, a comment.

WeasyPrint gets a URL fetcher that fetches nothing but data: URIs, so a report can never read a
local file (file://) or call an outside host, whatever ends up in its HTML.
"""

from django.template.loader import render_to_string
from django.utils import timezone

from crm.models import Client

from .selectors import AUTO, client_charts, client_progress_get


def data_only_fetcher():
    """A fetcher that refuses file://, http(s):// and every scheme except inline data: URIs."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(timeout=5, allowed_protocols={"data"}, allow_redirects=False)


def report_context(*, client: Client, comment: str, program: object = AUTO) -> dict:
    progress = client_progress_get(client=client, program=program, with_photos=False)
    charts = client_charts(progress, [m.field for m in progress.metrics])
    table = []
    for metric in progress.metrics:
        start = progress.first[metric.field]
        current, _entry = progress.latest[metric.field]
        table.append(
            {"metric": metric, "start": start, "current": current, "delta": current - start}
        )
    return {
        "client": client,
        "progress": progress,
        "charts": charts,
        "table": table,
        "comment": comment,
        "generated": timezone.localtime(),
    }


def report_pdf(*, client: Client, comment: str = "", program: object = AUTO) -> bytes:
    """The report as PDF bytes (A4, Russian, about half a second for a dozen entries)."""
    from weasyprint import HTML  # imported on first use: it takes ~1 s and is not needed elsewhere

    html = render_to_string(
        "progress/report.html", report_context(client=client, comment=comment, program=program)
    )
    return HTML(string=html, base_url=None, url_fetcher=data_only_fetcher()).write_pdf()
