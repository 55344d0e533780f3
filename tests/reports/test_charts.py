"""Charts: CSP-safe, accessible, escaped SVG and a PDF Drawing from the same geometry."""

import io
import re
import xml.etree.ElementTree as ET

import pytest
from pypdf import PdfReader
from reportlab.graphics import renderPDF
from reportlab.graphics.shapes import Drawing, Group, Rect, String

from lms.reports.charts import funnel, pre_post_bars, to_drawing, to_svg, trend

NS = {"svg": "http://www.w3.org/2000/svg"}
VI = "Đổ lỗi và phán xét"
NASTY = 'Score <&> "quoted"'

BAR_ROWS = [
    (VI, 2.5, 2.2, 2.8, 3.6, 3.3, 3.9),
    (NASTY, None, None, None, 5.0, 4.8, 5.2),
    ("Fear of infection", 3.0, None, None, 4.0, 3.7, 4.3),
]


@pytest.fixture
def charts():
    return [
        pre_post_bars("Attitudes <before> & after", BAR_ROWS, "Before", "After"),
        funnel("Funnel", [("Enrolled", 1200), ("Started", 900), (VI, None), ("Done", 300)]),
        trend("Trend", [("Q1", 2.5, 3.5), ("Q2", 2.7, None), ("Q3", 2.9, 3.8), ("Q4", 3.0, 4.0)],
              "Before", "After"),
    ]  # fmt: skip


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def by_class(root: ET.Element, tag: str, cls: str) -> list[ET.Element]:
    return [e for e in root.iter(f"{{{NS['svg']}}}{tag}") if cls in e.get("class", "").split()]


def texts(root: ET.Element) -> list[str]:
    return [e.text or "" for e in root.iter(f"{{{NS['svg']}}}text")]


def test_svg_is_valid_accessible_and_scalable(charts):
    for chart in charts:
        root = parse(to_svg(chart))
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert root.get("role") == "img"
        assert root.get("width") == "100%"
        assert re.fullmatch(r"0 0 \d+(\.\d)? \d+(\.\d)?", root.get("viewBox"))
        title_id, desc_id = root.get("aria-labelledby").split()
        assert root.find(f"svg:title[@id='{title_id}']", NS).text == chart.title
        assert root.find(f"svg:desc[@id='{desc_id}']", NS).text == chart.desc
        assert chart.desc


def test_svg_has_no_inline_styles(charts):
    for chart in charts:
        svg = to_svg(chart)
        for el in parse(svg).iter():
            assert "style" not in el.attrib, el.tag
            assert not el.tag.endswith("}style")
        assert "<style" not in svg and " style=" not in svg


def test_svg_escapes_text():
    chart = pre_post_bars(NASTY, [(NASTY, 1.5, None, None, 2.0, None, None)], "<pre>", "P&P")
    svg = to_svg(chart)
    assert "<&>" not in svg and "<pre>" not in svg
    assert "&lt;&amp;&gt;" in svg
    root = parse(svg)
    assert NASTY in texts(root) and "<pre>" in texts(root) and "P&P" in texts(root)
    assert root.find("svg:title", NS).text == NASTY


def test_svg_keeps_vietnamese_and_drops_control_characters():
    decomposed = "\u0110o\u0302\u0309 lo\u0302\u0303i"  # "Đổ lỗi" typed with combining marks
    chart = funnel(VI, [(decomposed + "\x01", 10)])
    root = parse(to_svg(chart))
    assert root.find("svg:title", NS).text == VI
    assert "Đổ lỗi" in texts(root)


def test_bars_values_suppression_and_geometry():
    root = parse(to_svg(pre_post_bars("T", BAR_ROWS, "Before", "After")))
    pre_bars = by_class(root, "rect", "pre")
    pre_bars = [b for b in pre_bars if "bar" in b.get("class").split()]
    post_bars = [b for b in by_class(root, "rect", "post") if "bar" in b.get("class").split()]
    assert len(pre_bars) == 2 and len(post_bars) == 3  # the suppressed pre mean draws no bar
    pre_values = [e.text for e in by_class(root, "text", "value") if "pre" in e.get("class")]
    assert pre_values == ["2.50", "–", "3.00"]
    assert "3.60" in texts(root) and "5.00" in texts(root)
    # Scale runs 1–5 from the same origin: 3.0 is half of 5.0's length, 2.5 is 3/8 of it.
    full = float(post_bars[1].get("width"))
    assert float(pre_bars[1].get("width")) == pytest.approx(full / 2, abs=0.1)
    assert float(pre_bars[0].get("width")) == pytest.approx(full * 3 / 8, abs=0.1)
    # Whiskers: 3 per CI drawn (pre rows 1, post rows 3) and none where the CI is missing.
    assert len(by_class(root, "line", "ci")) == 3 * 4
    assert "Before" in texts(root) and "After" in texts(root)  # legend
    assert {b.get("fill") for b in pre_bars} == {"#5a6f8c"}
    assert {b.get("fill") for b in post_bars} == {"#c46a1b"}


def test_coordinates_have_at_most_one_decimal(charts):
    for chart in charts:
        for el in parse(to_svg(chart)).iter():
            if el.tag.endswith("}svg"):
                continue  # the root's width is "100%"
            for name in ("x", "y", "width", "height", "x1", "y1", "x2", "y2", "cx", "cy", "r"):
                if name in el.attrib:
                    assert re.fullmatch(r"-?\d+(\.\d)?", el.get(name)), (name, el.get(name))
            if "points" in el.attrib:
                assert re.fullmatch(r"(\d+(\.\d)?,\d+(\.\d)? ?)+", el.get("points"))


def test_funnel_bars_are_proportional_and_suppressed_step_shows_dash():
    chart = funnel("F", [("Enrolled", 1200), ("Started", 900), ("Hidden", None), ("Done", 0)])
    root = parse(to_svg(chart))
    widths = [float(b.get("width")) for b in by_class(root, "rect", "bar")]
    assert len(widths) == 3
    assert widths[1] / widths[0] == pytest.approx(0.75, abs=0.002)
    assert widths[2] == 0
    values = [e.text for e in by_class(root, "text", "value")]
    assert values == ["1,200 (100%)", "900 (75%)", "–", "0 (0%)"]
    assert "Hidden: –" in chart.desc


def test_funnel_without_first_count_has_no_percentages():
    root = parse(to_svg(funnel("F", [("Enrolled", None), ("Started", 40)])))
    assert [e.text for e in by_class(root, "text", "value")] == ["–", "40"]


def test_trend_series_break_at_missing_values():
    chart = trend("T", [("Q1", 2.5, 3.5), ("Q2", 2.7, None), ("Q3", 2.9, 3.8), ("Q4", 3.0, 4.0)],
                  "Before", "After")  # fmt: skip
    root = parse(to_svg(chart))
    pre_lines = by_class(root, "polyline", "pre")
    post_lines = by_class(root, "polyline", "post")
    assert len(pre_lines) == 1 and len(pre_lines[0].get("points").split()) == 4
    assert pre_lines[0].get("stroke-dasharray") == "6 4"  # dashed: not colour alone
    assert len(post_lines) == 1 and len(post_lines[0].get("points").split()) == 2  # Q3–Q4
    assert len(by_class(root, "circle", "marker")) == 4
    assert len(by_class(root, "rect", "marker")) == 3
    assert [e.text for e in by_class(root, "text", "period")] == ["Q1", "Q2", "Q3", "Q4"]
    assert "Q2: Before 2.70, After –" in chart.desc
    # At Q4 the lower value (pre 3.00) is labelled below its marker, the higher one above.
    q4_pre = next(e for e in by_class(root, "text", "pre") if e.text == "3.00")
    q4_post = next(e for e in by_class(root, "text", "post") if e.text == "4.00")
    assert float(q4_pre.get("y")) > float(by_class(root, "circle", "pre")[-1].get("cy"))
    assert float(q4_post.get("y")) < float(by_class(root, "rect", "post")[-1].get("y"))


def test_trend_y_positions_follow_the_scale():
    root = parse(to_svg(trend("T", [("A", 1.0, 5.0), ("B", 3.0, 3.0)], "Pre", "Post")))
    (c1, c2) = by_class(root, "circle", "marker")
    (r1, r2) = by_class(root, "rect", "marker")
    y1, y3 = float(c1.get("cy")), float(c2.get("cy"))
    y5 = float(r1.get("y")) + 4
    assert y5 < y3 < y1 and (y1 - y3) == pytest.approx(y3 - y5, abs=0.2)
    assert float(r2.get("y")) + 4 == pytest.approx(y3, abs=0.1)


def test_svg_ids_are_stable_and_overridable(charts):
    assert to_svg(charts[0]) == to_svg(charts[0])
    root = parse(to_svg(charts[0], id_prefix="fig-1"))
    assert root.get("aria-labelledby") == "fig-1-title fig-1-desc"


def _flatten(node):
    for child in getattr(node, "contents", []):
        yield child
        if isinstance(child, Group):
            yield from _flatten(child)


def test_drawing_renders_to_pdf_with_the_same_geometry(charts):
    for chart in charts:
        drawing = to_drawing(chart)
        assert isinstance(drawing, Drawing)
        assert (drawing.width, drawing.height) == (chart.width, chart.height)
        pdf = renderPDF.drawToString(drawing)
        assert pdf.startswith(b"%PDF")
        # Same shapes as the SVG: one ReportLab Rect per <rect>, one String per <text>.
        root = parse(to_svg(chart))
        shapes = list(_flatten(drawing))
        assert sum(isinstance(s, Rect) for s in shapes) == len(root.findall(".//svg:rect", NS))
        assert sum(isinstance(s, String) for s in shapes) == len(root.findall(".//svg:text", NS))


def test_drawing_flips_y_and_scales_to_width():
    chart = funnel("F", [("A", 10)])
    bar = next(s for s in chart.shapes if type(s).__name__ == "Rect")
    drawing = to_drawing(chart, width=chart.width / 2)
    assert drawing.width == pytest.approx(chart.width / 2)
    assert drawing.height == pytest.approx(chart.height / 2)
    rl_bar = next(s for s in _flatten(drawing) if isinstance(s, Rect))
    assert rl_bar.y == pytest.approx(chart.height - bar.y - bar.h)


def test_pdf_text_is_vietnamese_and_escaped_correctly():
    chart = pre_post_bars(VI, [(NASTY, None, None, None, 3.6, 3.3, 3.9)], "Trước", "Sau")
    text = PdfReader(io.BytesIO(renderPDF.drawToString(to_drawing(chart)))).pages[0].extract_text()
    assert VI in text and "Trước" in text and NASTY in text
    assert "–" in text and "3.60" in text
