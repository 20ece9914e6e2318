"""Small server-side SVG charts for pages and PDFs (no script, no CDN, no CSS).

Only presentation attributes (fill=, stroke=, font-size=) are used, never style= or <style>, so the
charts pass the strict CSP and render the same in WeasyPrint. Sizes come from a viewBox 360 units
wide with `width="100%"`: text stays readable on a 360 px phone and scales up on a desktop.

    bar_chart([("Январь", 12, "#3b82f6"), ...], title="…", unit="%")   horizontal bars
    line_chart([("01.09", 4), ("08.09", 7), ...], title="…")           a line over categories
"""

from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 360
FONT = "system-ui, 'DejaVu Sans', sans-serif"
TEXT = "#1f2933"
MUTED = "#6b7280"
GRID = "#e5e7eb"
DEFAULT_COLOR = "#0f766e"

Number = int | float | Decimal


def _fmt(value: Number, unit: str = "") -> str:
    if isinstance(value, float | Decimal) and value != int(value):
        text = f"{float(value):.1f}".replace(".", ",")
    else:
        text = f"{int(value):,}".replace(",", "\u202f")
    return f"{text}{unit}" if unit in ("", "%") else f"{text} {unit}"


def _svg(height: float, title: str, body: list[str]) -> SafeString:
    label = escape(title)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height:g}" '
        f'width="100%" role="img" aria-label="{label}" font-family="{FONT}">'
        f"<title>{label}</title>"
    )
    return mark_safe(head + "".join(body) + "</svg>")


def _empty(title: str, message: str) -> SafeString:
    return _svg(
        60,
        title,
        [
            f'<text x="{WIDTH / 2:g}" y="34" text-anchor="middle" font-size="13" '
            f'fill="{MUTED}">{escape(message)}</text>'
        ],
    )


def bar_chart(
    items: Sequence[tuple[str, Number, str | None]],
    *,
    title: str,
    unit: str = "",
    max_value: Number | None = None,
    empty: str = "—",
) -> SafeString:
    """Horizontal bars, one per (label, value, colour or None), label above its bar."""
    if not items:
        return _empty(title, empty)
    top = max_value or max((float(value) for _, value, _ in items), default=0) or 1
    row, bar_h, label_w = 34, 14, 56
    track = WIDTH - label_w - 4
    body = []
    for index, (label, value, color) in enumerate(items):
        y = index * row
        length = max(float(value) / float(top) * track, 0 if not value else 2)
        body.append(
            f'<text x="0" y="{y + 12}" font-size="12" fill="{TEXT}">{escape(str(label))}</text>'
            f'<rect x="0" y="{y + 16}" width="{track:.1f}" height="{bar_h}" rx="3" fill="{GRID}"/>'
            f'<rect x="0" y="{y + 16}" width="{length:.1f}" height="{bar_h}" rx="3" '
            f'fill="{escape(color or DEFAULT_COLOR)}"/>'
            f'<text x="{WIDTH}" y="{y + 28}" font-size="12" font-weight="600" text-anchor="end" '
            f'fill="{TEXT}">{escape(_fmt(value, unit))}</text>'
        )
    return _svg(len(items) * row + 4, title, body)


def line_chart(
    points: Sequence[tuple[str, Number]],
    *,
    title: str,
    unit: str = "",
    color: str = DEFAULT_COLOR,
    empty: str = "—",
) -> SafeString:
    """A line with dots over categories (weeks, dates); every value is written above its dot."""
    if not points:
        return _empty(title, empty)
    values = [float(value) for _, value in points]
    low = min(0.0, min(values))
    high = max(values) if max(values) > low else low + 1
    left, right, top_pad, bottom = 8, 8, 18, 30
    height = 180
    plot_h = height - top_pad - bottom
    step = (WIDTH - left - right) / max(len(points) - 1, 1)

    def x(i: int) -> float:
        return left + i * step if len(points) > 1 else WIDTH / 2

    def y(v: float) -> float:
        return top_pad + plot_h - (v - low) / (high - low) * plot_h

    body = [
        f'<line x1="{left}" y1="{y(low):.1f}" x2="{WIDTH - right}" y2="{y(low):.1f}" '
        f'stroke="{GRID}" stroke-width="1"/>'
    ]
    coords = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
    body.append(
        f'<polyline points="{coords}" fill="none" stroke="{escape(color)}" stroke-width="2.5" '
        'stroke-linejoin="round" stroke-linecap="round"/>'
    )
    # Label at most ~7 categories so that text never overlaps at 360 px.
    every = max(1, -(-len(points) // 7))
    for i, ((label, value), v) in enumerate(zip(points, values, strict=True)):
        body.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3.5" fill="{escape(color)}"/>')
        anchor = "start" if i == 0 else ("end" if i == len(points) - 1 else "middle")
        body.append(
            f'<text x="{x(i):.1f}" y="{y(v) - 7:.1f}" font-size="11" text-anchor="{anchor}" '
            f'fill="{TEXT}">{escape(_fmt(value, unit))}</text>'
        )
        last = len(points) - 1
        if (i % every == 0 and last - i >= every) or i == last:
            body.append(
                f'<text x="{x(i):.1f}" y="{height - 10}" font-size="11" text-anchor="{anchor}" '
                f'fill="{MUTED}">{escape(str(label))}</text>'
            )
    return _svg(height, title, body)
