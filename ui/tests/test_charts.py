import itertools
from decimal import Decimal
from xml.etree import ElementTree

from ui.charts import bar_chart, line_chart, nice_ticks, trend_chart

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(str(svg))


def test_bar_chart_draws_one_bar_per_item_scaled_to_the_largest():
    root = parse(
        bar_chart(
            [("Первичный контакт", 10, "#3b82f6"), ("Консультация", 5, None)], title="Клиенты"
        )
    )

    bars = [r for r in root.iter(f"{SVG}rect") if r.get("fill") != "#e5e7eb"]
    assert [b.get("fill") for b in bars] == ["#3b82f6", "#0f766e"]
    assert float(bars[0].get("width")) == 2 * float(bars[1].get("width"))
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Первичный контакт" in texts and "10" in texts and "5" in texts
    assert root.get("viewBox") == "0 0 360 72" and root.get("role") == "img"


def test_charts_use_presentation_attributes_only_and_escape_text():
    svg = str(
        bar_chart([("<script>alert(1)</script>", Decimal("2.5"), "#fff")], title="A & B", unit="%")
    )
    svg += str(line_chart([("01.09", 1), ("08.09", 3)], title="Лиды"))

    assert "style" not in svg and "<script>" not in svg
    assert "&lt;script&gt;" in svg and "2,5%" in svg


def test_line_chart_puts_higher_values_higher_and_labels_every_point():
    root = parse(
        line_chart([(f"{d:02d}.09", v) for d, v in [(1, 0), (8, 4), (15, 2)]], title="Лиды")
    )

    dots = [c for c in root.iter(f"{SVG}circle") if c.get("fill") != "transparent"]
    ys = [float(c.get("cy")) for c in dots]
    assert len(dots) == 3 and ys[1] < ys[2] < ys[0]
    labels = [t.text for t in root.iter(f"{SVG}text")]
    assert {"01.09", "08.09", "15.09", "4"} <= set(labels)


def test_many_points_keep_labels_apart_and_empty_data_says_so():
    root = parse(line_chart([(f"w{i}", i) for i in range(12)], title="12 недель"))
    dates = [t.text for t in root.iter(f"{SVG}text") if t.text.startswith("w")]
    assert len(dates) <= 7 and "w11" in dates

    assert "Нет данных" in str(bar_chart([], title="Пусто", empty="Нет данных"))


def test_nice_ticks_are_round_and_cover_the_range():
    assert nice_ticks(38.4, 38.6) == [38.4, 38.5, 38.6]
    ticks = nice_ticks(71.3, 84.9)
    assert ticks[0] <= 71.3 and ticks[-1] >= 84.9 and len(ticks) <= 6
    assert all(float(t).is_integer() for t in ticks)  # 70, 75, 80, 85 — never 71,3 / 76,0


def test_trend_chart_has_round_y_ticks_a_value_per_point_and_a_target_band():
    points = [("01.09", Decimal("84.4")), ("08.09", Decimal("83.6")), ("15.09", Decimal("82.0"))]
    root = parse(trend_chart(points, title="Вес", unit="кг", target=Decimal("78")))

    tips = [t.text for t in root.iter(f"{SVG}title")][1:]
    assert tips == ["01.09: 84,4\u00a0кг", "08.09: 83,6\u00a0кг", "15.09: 82\u00a0кг"]
    ticks = [t.text for t in root.iter(f"{SVG}text") if t.get("text-anchor") == "end"]
    assert {"78", "80", "84"} & set(ticks) and all("," not in t for t in ticks[:-1])
    ys = sorted(float(t.get("y")) for t in root.iter(f"{SVG}text") if t.get("x") == "34")
    assert all(b - a >= 14 for a, b in itertools.pairwise(ys))  # labels never overlap
    band = [r for r in root.iter(f"{SVG}rect") if r.get("fill") == "#fde68a"]
    assert len(band) == 1
    assert "style" not in str(trend_chart(points, title="Вес"))
