from django import template

from ui.charts import fmt

register = template.Library()


@register.filter
def measure(value) -> str:
    """80,5 · 80 · — (Russian decimal comma, no trailing ",0")."""
    return fmt(value)


@register.filter
def change(value) -> str:
    """+1,5 · −2 · — (always signed)."""
    return fmt(value, signed=True)


@register.filter
def svg_img(svg: str) -> str:
    """An inline SVG chart as an <img> with a data: URI: WeasyPrint sizes images by CSS reliably
    (an inline <svg width="100%"> shrinks in its layout), and data: is all the report may fetch."""
    import base64

    from django.utils.html import format_html

    encoded = base64.b64encode(str(svg).encode()).decode()
    return format_html('<img class="svg" src="data:image/svg+xml;base64,{}" alt="">', encoded)
