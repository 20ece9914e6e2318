"""Program PDFs with WeasyPrint, from a Django template.

The fetcher refuses every URL except inline `data:` ones: a program's text comes partly from a sheet
and an LLM, and a PDF renderer that follows `file://` or outside links would leak files or hang.
"""

from pathlib import Path

from django.template.loader import render_to_string
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher

CSS_PATH = Path(__file__).resolve().parent / "templates" / "programs" / "pdf" / "program.css"


class RefusedURL(ValueError):
    pass


class SafeURLFetcher(URLFetcher):
    """Fetches inline `data:` URLs only; anything else (file://, any host) is refused."""

    def __init__(self):
        super().__init__(timeout=5, allowed_protocols={"data"}, allow_redirects=False)

    def fetch(self, url, headers=None):
        if not url.startswith("data:"):
            raise RefusedURL(f"PDF rendering does not fetch {url[:100]}")
        return super().fetch(url, headers)


def render_program_pdf(context: dict) -> bytes:
    """The PDF bytes of `programs/pdf/program.html` rendered with `context`."""
    html = render_to_string("programs/pdf/program.html", context)
    fetcher = SafeURLFetcher()
    document = HTML(string=html, base_url="about:blank", url_fetcher=fetcher)
    return document.write_pdf(stylesheets=[CSS(string=CSS_PATH.read_text(), url_fetcher=fetcher)])
