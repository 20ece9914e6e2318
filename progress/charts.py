"""Server-side SVG charts of the progress journal, for the page and the PDF alike.

The shared chart helper (`crm/charts.py`, issue 3) is not on main yet, so these follow its rules:
presentation attributes only (fill=, stroke=, font-size=), never style= or <style> (strict CSP,
WeasyPrint), a viewBox 360 units wide with width="100%" so the text stays readable on a 360 px phone.
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
LINE = "#0f766e"
BEFORE = "#9ca3af"
TARGET = "#b45309"
GOOD, BAD = "#15803d", "#b91c1c"


def fmt(value: Decimal | float | None, *, signed: bool = False) -> str:
    """1 decimal, comma as in Russian, a true minus sign; whole numbers without ",0"."""
    if value is None:
        return "—"
    number = Decimal(value).quantize(Decimal("0.1"))
    text = f"{abs(number):f}".rstrip("0").rstrip(".") if number % 1 else f"{abs(number):.0f}"
    text = text.replace(".", ",")
    if number < 0:
        return f"−{text}"
    return f"+{text}" if signed and number > 0 else text


def _svg(height: float, title: str, body: list[str]) -> SafeString:
    label = escape(title)
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height:g}" '
        f'width="100%" role="img" aria-label="{label}" font-family="{FONT}">'
        f"<title>{label}</title>{''.join(body)}</svg>"
    )


def line_chart(
    points: Sequence[tuple[str, Decimal]],
    *,
    title: str,
    unit: str = "",
    target: Decimal | None = None,
    empty: str = "—",
) -> SafeString:
    """Values over time: one dot per (label, value), joined; an optional dashed target line."""
    if not points:
        return _svg(
            60,
            title,
            [
                f'<text x="{WIDTH / 2:g}" y="34" text-anchor="middle" font-size="13" '
                f'fill="{MUTED}">{escape(empty)}</text>'
            ],
        )
    height, left, right, top, bottom = 210, 44, 8, 34, 36
    values = [float(v) for _, v in points]
    scale_values = [*values, float(target)] if target is not None else values
    low, high = min(scale_values), max(scale_values)
    pad = max((high - low) * 0.15, 1.0)
    low, high = low - pad, high + pad
    plot_w, plot_h = WIDTH - left - right, height - top - bottom

    def x(i: int) -> float:
        return left + (plot_w / 2 if len(points) == 1 else plot_w * i / (len(points) - 1))

    def y(v: float) -> float:
        return top + plot_h * (1 - (v - low) / (high - low))

    body = [
        f'<text x="0" y="18" font-size="15" font-weight="600" fill="{TEXT}">'
        f"{escape(title)}{', ' + escape(unit) if unit else ''}</text>"
    ]
    for tick in (low + pad, (low + high) / 2, high - pad):
        ty = y(tick)
        body.append(
            f'<line x1="{left}" y1="{ty:.1f}" x2="{WIDTH - right}" y2="{ty:.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 5}" y="{ty + 4:.1f}" font-size="12" text-anchor="end" '
            f'fill="{MUTED}">{fmt(tick)}</text>'
        )
    if target is not None:
        ty = y(float(target))
        body.append(
            f'<line x1="{left}" y1="{ty:.1f}" x2="{WIDTH - right}" y2="{ty:.1f}" stroke="{TARGET}" '
            f'stroke-width="1.5" stroke-dasharray="5 4"/>'
            f'<text x="{WIDTH - right}" y="{ty - 4:.1f}" font-size="12" text-anchor="end" '
            f'fill="{TARGET}">{fmt(target)}</text>'
        )
    coords = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
    body.append(
        f'<polyline points="{coords}" fill="none" stroke="{LINE}" stroke-width="2.5" '
        f'stroke-linejoin="round"/>'
    )
    # Label every point when they fit, otherwise the first, the last and every few in between.
    step = max(1, -(-len(points) // 5))  # at most ~5 date labels: they fit a 360 px phone
    for i, (label, value) in enumerate(points):
        cx, cy = x(i), y(float(value))
        body.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3.5" fill="{LINE}"/>')
        last = len(points) - 1
        if i == last or (i % step == 0 and last - i >= step):
            # Edge labels hang inwards so they are never cut off.
            anchor = (
                "middle"
                if len(points) == 1
                else "start"
                if i == 0
                else "end"
                if i == len(points) - 1
                else "middle"
            )
            body.append(
                f'<text x="{cx:.1f}" y="{cy - 9:.1f}" font-size="13" font-weight="600" '
                f'text-anchor="{anchor}" fill="{TEXT}">{fmt(value)}</text>'
                f'<text x="{cx:.1f}" y="{height - 12}" font-size="12" text-anchor="{anchor}" '
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
    row_h, label_w, value_w = 52, 0, 110
    track = WIDTH - label_w - value_w
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
            f'<text x="0" y="{top + 11}" font-size="13" fill="{TEXT}">{escape(label)}</text>'
            f'<rect x="0" y="{top + 16}" width="{length(start):.1f}" height="12" rx="2" '
            f'fill="{BEFORE}"/>'
            f'<rect x="0" y="{top + 30}" width="{length(current):.1f}" height="12" rx="2" '
            f'fill="{LINE}"/>'
            f'<text x="{WIDTH}" y="{top + 24}" font-size="12" text-anchor="end" fill="{MUTED}">'
            f"{fmt(start)} → {fmt(current)}</text>"
            f'<text x="{WIDTH}" y="{top + 40}" font-size="14" font-weight="600" text-anchor="end" '
            f'fill="{color}">{fmt(delta, signed=True)}</text>'
        )
    return _svg(height, title, body)


def client_charts(progress, fields: Sequence[str]) -> dict:
    """The charts of one client's page and report: a line per chosen metric and before/now."""
    from django.utils.translation import gettext as _

    from .metrics import change_tone, good_direction

    targets = {t.metric.field: t.target for t in progress.targets}
    lines = []
    for metric in progress.metrics:
        if metric.field not in fields:
            continue
        points = [
            (f"{entry.measured_on:%d.%m}", getattr(entry, metric.field))
            for entry in progress.entries
            if getattr(entry, metric.field) is not None
        ]
        lines.append(
            {
                "metric": metric,
                "svg": line_chart(
                    points,
                    title=str(metric.label),
                    unit=str(metric.unit),
                    target=targets.get(metric.field),
                ),
            }
        )
    pairs = []
    for metric in progress.metrics:
        start, (current, _entry) = progress.first[metric.field], progress.latest[metric.field]
        if len([e for e in progress.entries if getattr(e, metric.field) is not None]) < 2:
            continue
        tone = change_tone(current - start, good_direction(metric, progress.client.goal))
        pairs.append((f"{metric.label}, {metric.unit}", start, current, tone))
    comparison = before_now_chart(
        pairs, title=_("Before and now"), before=_("Before"), now=_("Now")
    )
    return {"lines": lines, "comparison": comparison, "has_comparison": bool(pairs)}
