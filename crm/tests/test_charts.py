from decimal import Decimal
from xml.etree import ElementTree

from crm.charts import bar_chart, line_chart

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

    dots = list(root.iter(f"{SVG}circle"))
    ys = [float(c.get("cy")) for c in dots]
    assert len(dots) == 3 and ys[1] < ys[2] < ys[0]
    labels = [t.text for t in root.iter(f"{SVG}text")]
    assert {"01.09", "08.09", "15.09", "4"} <= set(labels)


def test_many_points_keep_labels_apart_and_empty_data_says_so():
    root = parse(line_chart([(f"w{i}", i) for i in range(12)], title="12 недель"))
    dates = [t.text for t in root.iter(f"{SVG}text") if t.text.startswith("w")]
    assert len(dates) <= 7 and "w11" in dates

    assert "Нет данных" in str(bar_chart([], title="Пусто", empty="Нет данных"))
