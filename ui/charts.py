"""Server-side SVG charts for pages and PDFs alike (no script, no CDN, no CSS inside).

Only presentation attributes (fill=, stroke=, font-size=) are used, never style= or <style>, so the
charts pass the strict CSP and render the same in WeasyPrint. Sizes come from a viewBox 360 units
wide with `width="100%"`: text stays readable on a 360 px phone and scales up on a desktop.

    bar_chart([("Январь", 12, "#3b82f6"), ...], title="…", unit="%")   horizontal bars
    line_chart([("01.09", 4), ("08.09", 7), ...], title="…")           counts over categories
    trend_chart([("01.09", Decimal("80.5")), ...], title="Вес", unit="кг", target=...)
                                        measured values: y-axis with round ticks, target band
    before_now_chart([(label, before, now, tone), ...], title=…, before=…, now=…)

Every point carries a <title> with its value: a tooltip on hover, read out by screen readers.
"""

import math
from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 360
FONT = "system-ui, 'DejaVu Sans', sans-serif"
TEXT = "#1f2933"
MUTED = "#6b7280"
GRID = "#e5e7eb"
DEFAULT_COLOR = LINE = "#0f766e"
BEFORE = "#9ca3af"
TARGET = "#b45309"
TARGET_BAND = "#fde68a"
GOOD, BAD = "#15803d", "#b91c1c"

Number = int | float | Decimal


def fmt(value: Number | None, *, signed: bool = False) -> str:
    """1 decimal, comma as in Russian, a true minus sign; whole numbers without ",0"."""
    if value is None:
        return "—"
    number = Decimal(value).quantize(Decimal("0.1"))
    text = f"{abs(number):f}".rstrip("0").rstrip(".") if number % 1 else f"{abs(number):.0f}"
    text = text.replace(".", ",")
    if number < 0:
        return f"−{text}"
    return f"+{text}" if signed and number > 0 else text


def _fmt_unit(value: Number, unit: str = "") -> str:
    if isinstance(value, float | Decimal) and value != int(value):
        text = f"{float(value):.1f}".replace(".", ",")
    else:
        text = f"{int(value):,}".replace(",", "\u202f")
    return f"{text}{unit}" if unit in ("", "%") else f"{text}\u00a0{unit}"


def nice_ticks(low: float, high: float, *, count: int = 4) -> list[float]:
    """Round tick values covering [low, high]: steps of 1, 2, 2.5 or 5 × 10ⁿ, so labels never
    read 38.4 / 38.6 on top of each other."""
    if high <= low:
        high = low + 1
    raw = (high - low) / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step + 1e-9)  # the epsilon keeps 38.4 / 0.1 from flooring to 383
    last = math.ceil(high / step - 1e-9)
    return [round(i * step, 6) for i in range(first, last + 1)]


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


def _point(cx: float, cy: float, color: str, tip: str, radius: float = 4) -> str:
    """A dot with its value as a tooltip; a larger transparent circle makes it easy to tap."""
    return (
        f'<g class="point"><title>{escape(tip)}</title>'
        f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="11" fill="transparent"/>'
        f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{radius:g}" fill="{escape(color)}"/></g>'
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
            f"<g><title>{escape(str(label))}: {escape(_fmt_unit(value, unit))}</title>"
            f'<text x="0" y="{y + 12}" font-size="12" fill="{TEXT}">{escape(str(label))}</text>'
            f'<rect x="0" y="{y + 16}" width="{track:.1f}" height="{bar_h}" rx="3" fill="{GRID}"/>'
            f'<rect x="0" y="{y + 16}" width="{length:.1f}" height="{bar_h}" rx="3" '
            f'fill="{escape(color or DEFAULT_COLOR)}"/>'
            f'<text x="{WIDTH}" y="{y + 28}" font-size="12" font-weight="600" text-anchor="end" '
            f'fill="{TEXT}">{escape(_fmt_unit(value, unit))}</text></g>'
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
    """Counts over categories (weeks, dates) from zero; every value is written above its dot."""
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
        text = _fmt_unit(value, unit)
        body.append(_point(x(i), y(v), color, f"{label}: {text}", radius=3.5))
        anchor = "start" if i == 0 else ("end" if i == len(points) - 1 else "middle")
        body.append(
            f'<text x="{x(i):.1f}" y="{y(v) - 7:.1f}" font-size="11" text-anchor="{anchor}" '
            f'fill="{TEXT}">{escape(text)}</text>'
        )
        last = len(points) - 1
        if (i % every == 0 and last - i >= every) or i == last:
            body.append(
                f'<text x="{x(i):.1f}" y="{height - 10}" font-size="11" text-anchor="{anchor}" '
                f'fill="{MUTED}">{escape(str(label))}</text>'
            )
    return _svg(height, title, body)


def trend_chart(
    points: Sequence[tuple[str, Decimal]],
    *,
    title: str,
    unit: str = "",
    target: Decimal | None = None,
    empty: str = "—",
) -> SafeString:
    """Measured values over time: a y-axis with round ticks, one dot per (label, value) with its
    value on hover/tap, the first and last value written out, an optional target line with a band
    of ±1 % around it (the "close enough" zone)."""
    if not points:
        return _empty(title, empty)
    height, left, right, top, bottom = 230, 40, 10, 30, 30
    values = [float(v) for _, v in points]
    scale = [*values, float(target)] if target is not None else values
    spread = max(max(scale) - min(scale), 1.0)
    ticks = nice_ticks(min(scale) - spread * 0.1, max(scale) + spread * 0.1)
    low, high = ticks[0], ticks[-1]
    plot_w, plot_h = WIDTH - left - right, height - top - bottom

    def x(i: int) -> float:
        return left + (plot_w / 2 if len(points) == 1 else plot_w * i / (len(points) - 1))

    def y(v: float) -> float:
        return top + plot_h * (1 - (v - low) / (high - low))

    body = [
        f'<text x="0" y="18" font-size="15" font-weight="600" fill="{TEXT}">'
        f"{escape(title)}{', ' + escape(unit) if unit else ''}</text>"
    ]
    for tick in ticks:
        ty = y(tick)
        body.append(
            f'<line x1="{left}" y1="{ty:.1f}" x2="{WIDTH - right}" y2="{ty:.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 6}" y="{ty + 4:.1f}" font-size="12" text-anchor="end" '
            f'fill="{MUTED}">{fmt(Decimal(str(tick)))}</text>'
        )
    if target is not None:
        ty = y(float(target))
        band = max(abs(float(target)) * 0.01, 0.1)
        band_top, band_bottom = (
            y(min(float(target) + band, high)),
            y(max(float(target) - band, low)),
        )
        body.append(
            f'<rect x="{left}" y="{band_top:.1f}" width="{plot_w}" '
            f'height="{max(band_bottom - band_top, 2):.1f}" fill="{TARGET_BAND}" fill-opacity="0.6"/>'
            f'<line x1="{left}" y1="{ty:.1f}" x2="{WIDTH - right}" y2="{ty:.1f}" stroke="{TARGET}" '
            f'stroke-width="1.5" stroke-dasharray="5 4"/>'
            f'<text x="{WIDTH - right}" y="{ty - 5:.1f}" font-size="12" text-anchor="end" '
            f'fill="{TARGET}">{fmt(target)}</text>'
        )
    coords = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
    body.append(
        f'<polyline points="{coords}" fill="none" stroke="{LINE}" stroke-width="2.5" '
        f'stroke-linejoin="round"/>'
    )
    suffix = f"\u00a0{unit}" if unit else ""
    step = max(1, -(-len(points) // 5))  # at most ~5 date labels: they fit a 360 px phone
    last = len(points) - 1
    for i, (label, value) in enumerate(points):
        cx, cy = x(i), y(float(value))
        body.append(_point(cx, cy, LINE, f"{label}: {fmt(value)}{suffix}"))
        anchor = (
            "middle"
            if len(points) == 1
            else "start"
            if i == 0
            else "end"
            if i == last
            else "middle"
        )
        if i in (0, last):  # the start and the current value, written out
            body.append(
                f'<text x="{cx:.1f}" y="{cy - 9:.1f}" font-size="13" font-weight="600" '
                f'text-anchor="{anchor}" fill="{TEXT}">{fmt(value)}</text>'
            )
        if i == last or (i % step == 0 and last - i >= step):
            body.append(
                f'<text x="{cx:.1f}" y="{height - 10}" font-size="12" text-anchor="{anchor}" '
                f'fill="{MUTED}">{escape(label)}</text>'
            )
    return _svg(height, title, body)


def before_now_chart(
    rows: Sequence[tuple[str, Decimal, Decimal, str]], *, title: str, before: str, now: str
) -> SafeString:
    """Paired bars per metric: (label, before value, current value, tone of the change).

    Bars start at 80 % of the smaller value so a 3 cm change on a 90 cm waist stays visible.
    """
    if not rows:
        return _svg(60, title, [f'<text x="0" y="34" font-size="13" fill="{MUTED}">—</text>'])
    row_h, value_w = 52, 110
    track = WIDTH - value_w
    height = 34 + row_h * len(rows)
    body = [
        f'<text x="0" y="18" font-size="15" font-weight="600" fill="{TEXT}">{escape(title)}</text>'
        f'<rect x="{WIDTH - 150}" y="7" width="12" height="12" fill="{BEFORE}"/>'
        f'<text x="{WIDTH - 134}" y="18" font-size="12" fill="{MUTED}">{escape(before)}</text>'
        f'<rect x="{WIDTH - 70}" y="7" width="12" height="12" fill="{LINE}"/>'
        f'<text x="{WIDTH - 54}" y="18" font-size="12" fill="{MUTED}">{escape(now)}</text>'
    ]
    for index, (label, start, current, tone) in enumerate(rows):
        top = 34 + index * row_h
        base = min(float(start), float(current)) * 0.8
        span = max(float(start), float(current)) - base or 1

        def length(v: Decimal, base: float = base, span: float = span) -> float:
            return max(2.0, (float(v) - base) / span * track)

        delta = current - start
        color = {"good": GOOD, "bad": BAD}.get(tone, MUTED)
        body.append(
            f"<g><title>{escape(label)}: {fmt(start)} → {fmt(current)}</title>"
            f'<text x="0" y="{top + 11}" font-size="13" fill="{TEXT}">{escape(label)}</text>'
            f'<rect x="0" y="{top + 16}" width="{length(start):.1f}" height="12" rx="2" '
            f'fill="{BEFORE}"/>'
            f'<rect x="0" y="{top + 30}" width="{length(current):.1f}" height="12" rx="2" '
            f'fill="{LINE}"/>'
            f'<text x="{WIDTH}" y="{top + 24}" font-size="12" text-anchor="end" fill="{MUTED}">'
            f"{fmt(start)} → {fmt(current)}</text>"
            f'<text x="{WIDTH}" y="{top + 40}" font-size="14" font-weight="600" text-anchor="end" '
            f'fill="{color}">{fmt(delta, signed=True)}</text></g>'
        )
    return _svg(height, title, body)
