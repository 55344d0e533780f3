"""Report charts: layout computed once as shapes, rendered to inline SVG or a ReportLab Drawing."""

from __future__ import annotations

import hashlib
import math
import re
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape, quoteattr

from lms.text import clean

if TYPE_CHECKING:  # ReportLab loads with the first PDF chart, not at start-up
    from reportlab.graphics.shapes import Drawing

# Blue-grey vs orange stays distinct for all common colour-vision deficiencies; both are
# at least 3:1 against white (WCAG non-text contrast). #d9822b is only 2.9:1, hence darker.
PRE = "#5a6f8c"
POST = "#c46a1b"
INK = "#1d2b36"  # 14:1 on white
MUTED = "#5b6770"  # 5.8:1 on white, for axis text
GRID = "#d5dbe0"
ACCENT = "#1f5f74"
SUPPRESSED = "–"  # shown where a small cell was suppressed
SCALE = (1.0, 5.0)  # Likert range of every attitude score

WIDTH = 440.0  # about 1:1 on a 360 px phone, so 14-unit text stays readable
PAD = 12.0
LABEL, VALUE, TICK = 14.0, 13.0, 12.0  # font sizes in viewBox units
CHAR_EM = 0.56  # average glyph width of Noto Sans in ems, for wrapping without font metrics
# XML 1.0 forbids most control characters; one in a label would make the page unparsable.
_XML_NONCHARACTERS = re.compile("[\ufffe\uffff]")


@dataclass(frozen=True)
class Rect:
    """A filled rectangle; (x, y) is the top-left corner, y grows downwards."""

    x: float
    y: float
    w: float
    h: float
    fill: str
    cls: str = ""


@dataclass(frozen=True)
class Line:
    """A straight stroke."""

    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str
    width: float = 1.0
    dash: tuple[float, ...] = ()
    cls: str = ""


@dataclass(frozen=True)
class Polyline:
    """An open stroked path through points."""

    points: tuple[tuple[float, float], ...]
    stroke: str
    width: float = 2.0
    dash: tuple[float, ...] = ()
    cls: str = ""


@dataclass(frozen=True)
class Circle:
    """A filled circle."""

    cx: float
    cy: float
    r: float
    fill: str
    cls: str = ""


@dataclass(frozen=True)
class Text:
    """One line of text; y is the baseline."""

    x: float
    y: float
    text: str
    size: float = 12.0
    anchor: str = "start"  # start | middle | end, as in SVG and ReportLab
    fill: str = INK
    bold: bool = False
    cls: str = ""


Shape = Rect | Line | Polyline | Circle | Text


@dataclass(frozen=True)
class Chart:
    """A laid-out chart: size, accessible title and description, and shapes in paint order."""

    kind: str
    width: float
    height: float
    title: str
    desc: str
    shapes: tuple[Shape, ...]


BarRow = tuple[str, float | None, float | None, float | None, float | None, float | None, float | None]


def _mean(v: float) -> str:
    """Format a 1–5 mean with two decimals (the app may pass a localised formatter)."""
    return f"{v:.2f}"


def _count(n: int) -> str:
    """Format a count with thousands separators."""
    return f"{n:,}"


def _wrap(text: str, size: float, width: float) -> list[str]:
    """Split text into lines that fit width at a font size (estimated, never empty)."""
    chars = max(8, int(width / (size * CHAR_EM)))
    return textwrap.wrap(text, chars, break_long_words=True) or [""]


def _text_width(text: str, size: float) -> float:
    """Estimate the width of one line of text."""
    return len(text) * size * CHAR_EM


def _heading(title: str, width: float) -> tuple[list[Shape], float]:
    """Lay out the wrapped bold title; return shapes and the y below it."""
    shapes: list[Shape] = []
    y = PAD
    for line in _wrap(title, 17, width - 2 * PAD):
        y += 22
        shapes.append(Text(PAD, y, line, 17, bold=True, cls="chart-title"))
    return shapes, y + 8


def _legend(
    y: float, items: Sequence[tuple[str, str, str]], circle_first: bool = False
) -> tuple[list[Shape], float]:
    """Lay out swatches with labels in one row; return shapes and the y below."""
    shapes: list[Shape] = []
    x = PAD
    for i, (label, fill, cls) in enumerate(items):
        if circle_first and i == 0:  # echo the trend chart's marker shapes, not just colour
            shapes.append(Circle(x + 6.5, y + 6.5, 6.0, fill, f"legend-swatch {cls}"))
        else:
            shapes.append(Rect(x, y, 13, 13, fill, f"legend-swatch {cls}"))
        shapes.append(Text(x + 19, y + 12, label, 13, cls="legend"))
        x += 19 + _text_width(label, 13) + 20
    return shapes, y + 13


def _desc(parts: Sequence[str]) -> str:
    """Join per-item descriptions into one accessible description."""
    return "; ".join(parts) + "." if parts else ""


def pre_post_bars(
    title: str,
    rows: Sequence[BarRow],
    pre_label: str,
    post_label: str,
    *,
    desc: str | None = None,
    fmt: Callable[[float], str] = _mean,
    width: float = WIDTH,
) -> Chart:
    """Grouped horizontal bars of pre and post means (1–5) with 95% CI whiskers."""
    lo, hi = SCALE
    x0, x1 = PAD, width - PAD - 44  # room right of a full bar for its value
    bar_h, gap = 18.0, 4.0

    def sx(v: float) -> float:
        return x0 + (min(max(v, lo), hi) - lo) / (hi - lo) * (x1 - x0)

    shapes, y = _heading(title, width)
    legend, y = _legend(y, [(pre_label, PRE, "pre"), (post_label, POST, "post")])
    shapes += legend
    top = y = y + 14
    body: list[Shape] = []
    parts: list[str] = []
    for label, *values in rows:
        for line in _wrap(label, LABEL, width - 2 * PAD):
            y += LABEL + 4
            body.append(Text(PAD, y, line, LABEL, cls="label"))
        y += 6
        said = []
        for (mean, ci_lo, ci_hi), fill, cls, name in (
            (values[0:3], PRE, "pre", pre_label),
            (values[3:6], POST, "post", post_label),
        ):
            mid = y + bar_h / 2
            if mean is None:
                body.append(Text(x0 + 4, mid + 5, SUPPRESSED, VALUE, cls=f"value {cls}"))
                said.append(f"{name} {SUPPRESSED}")
            else:
                end = sx(mean)
                body.append(Rect(x0, y, end - x0, bar_h, fill, f"bar {cls}"))
                if ci_lo is not None and ci_hi is not None:
                    a, b = sx(ci_lo), sx(ci_hi)
                    body.append(Line(a, mid, b, mid, INK, 1.5, cls="ci"))
                    body.append(Line(a, mid - 5, a, mid + 5, INK, 1.5, cls="ci"))
                    body.append(Line(b, mid - 5, b, mid + 5, INK, 1.5, cls="ci"))
                    end = max(end, b)
                    said.append(f"{name} {fmt(mean)} [{fmt(ci_lo)}, {fmt(ci_hi)}]")
                else:
                    said.append(f"{name} {fmt(mean)}")
                body.append(Text(end + 5, mid + 5, fmt(mean), VALUE, cls=f"value {cls}"))
            y += bar_h + gap
        parts.append(f"{label}: {', '.join(said)}")
        y += 10
    # Grid first so bars paint over it; ticks sit under the last row.
    for tick in range(int(lo), int(hi) + 1):
        gx = sx(tick)
        shapes.append(Line(gx, top, gx, y, GRID, 1.0, cls="grid"))
        shapes.append(Text(gx, y + TICK + 4, str(tick), TICK, "middle", MUTED, cls="tick"))
    shapes += body
    return Chart("bars", width, y + TICK + 4 + PAD, title, desc or _desc(parts), tuple(shapes))


def funnel(
    title: str,
    steps: Sequence[tuple[str, int | None]],
    *,
    desc: str | None = None,
    fmt: Callable[[int], str] = _count,
    width: float = WIDTH,
) -> Chart:
    """Horizontal bars proportional to each step's count, with % of the first step."""
    x0, x1 = PAD, width - PAD - 100  # room for "12,345 (100%)"
    first = steps[0][1] if steps else None
    biggest = max((n for _, n in steps if n is not None), default=0)
    shapes, y = _heading(title, width)
    parts: list[str] = []
    for label, n in steps:
        for line in _wrap(label, LABEL, width - 2 * PAD):
            y += LABEL + 4
            shapes.append(Text(PAD, y, line, LABEL, cls="label"))
        y += 6
        mid = y + 10
        if n is None:
            shapes.append(Text(x0 + 4, mid + 5, SUPPRESSED, VALUE, cls="value"))
            parts.append(f"{label}: {SUPPRESSED}")
        else:
            w = (x1 - x0) * n / biggest if biggest else 0.0
            shapes.append(Rect(x0, y, w, 20, ACCENT, "bar"))
            value = fmt(n) + (f" ({round(100 * n / first)}%)" if first else "")
            shapes.append(Text(x0 + w + 5, mid + 5, value, VALUE, cls="value"))
            parts.append(f"{label}: {value}")
        y += 30
    return Chart("funnel", width, y + PAD, title, desc or _desc(parts), tuple(shapes))


def trend(
    title: str,
    points: Sequence[tuple[str, float | None, float | None]],
    pre_label: str,
    post_label: str,
    *,
    desc: str | None = None,
    fmt: Callable[[float], str] = _mean,
    width: float = WIDTH,
) -> Chart:
    """Line chart of pre and post means (1–5) per period; gaps where a value is missing."""
    lo, hi = SCALE
    shapes, y = _heading(title, width)
    legend, y = _legend(y, [(pre_label, PRE, "pre"), (post_label, POST, "post")], True)
    shapes += legend
    top, bottom = y + 22, y + 222
    x0, x1 = PAD + 24, width - PAD

    def sy(v: float) -> float:
        return bottom - (min(max(v, lo), hi) - lo) / (hi - lo) * (bottom - top)

    for tick in range(int(lo), int(hi) + 1):
        gy = sy(tick)
        shapes.append(Line(x0, gy, x1, gy, GRID, 1.0, cls="grid"))
        shapes.append(Text(x0 - 8, gy + 4, str(tick), TICK, "end", MUTED, cls="tick"))
    inner = 28.0  # keep end points and their labels off the plot edges
    step = (x1 - x0 - 2 * inner) / (len(points) - 1) if len(points) > 1 else 0.0
    xs = [x0 + inner + i * step if step else (x0 + x1) / 2 for i in range(len(points))]
    # Label every k-th period when the labels would otherwise overlap.
    widest = max((_text_width(p[0], TICK) for p in points), default=0.0)
    every = max(1, math.ceil((widest + 6) / step)) if step else 1
    for i, (x, (period, _, _)) in enumerate(zip(xs, points, strict=True)):
        if i % every == 0:
            shapes.append(Text(x, bottom + 18, period, TICK, "middle", MUTED, cls="period"))
    for idx, fill, cls, dash in ((1, PRE, "pre", (6.0, 4.0)), (2, POST, "post", ())):
        series = [(x, p[idx]) for x, p in zip(xs, points, strict=True)]
        # A missing period breaks the line: bridging it would invent a value.
        for present, run in groupby(series, key=lambda xv: xv[1] is not None):
            line = tuple((x, sy(v)) for x, v in run if v is not None)
            if present and len(line) > 1:
                shapes.append(Polyline(line, fill, 2.0, dash, f"line {cls}"))
    parts: list[str] = []
    for x, (period, pre, post) in zip(xs, points, strict=True):
        for v, fill, cls in ((pre, PRE, "pre"), (post, POST, "post")):
            if v is None:
                continue
            py = sy(v)
            if cls == "pre":
                shapes.append(Circle(x, py, 4.5, fill, f"marker {cls}"))
            else:  # a different marker shape keeps series apart without colour
                shapes.append(Rect(x - 4, py - 4, 8, 8, fill, f"marker {cls}"))
            other = post if cls == "pre" else pre
            # The lower of the two values is labelled below its marker so labels never collide.
            below = other is not None and (v < other or (v == other and cls == "pre"))
            ty = py + 18 if below and py + 18 < bottom else py - 9  # not over period labels
            shapes.append(Text(x, ty, fmt(v), VALUE - 1, "middle", INK, cls=f"value {cls}"))
        said = [
            f"{name} {SUPPRESSED if v is None else fmt(v)}"
            for name, v in ((pre_label, pre), (post_label, post))
        ]
        parts.append(f"{period}: {', '.join(said)}")
    return Chart("trend", width, bottom + 34, title, desc or _desc(parts), tuple(shapes))


def _num(v: float) -> str:
    """Format a coordinate with at most one decimal, dropping a trailing .0."""
    s = f"{v:.1f}"
    s = s[:-2] if s.endswith(".0") else s
    return "0" if s == "-0" else s


def _clean(text: str) -> str:
    """lms.text.clean, and drop the characters XML cannot carry."""
    return _XML_NONCHARACTERS.sub("", clean(text))  # XML also refuses U+FFFE and U+FFFF


def _attrs(**kwargs: object) -> str:
    """Render presentation attributes (underscores become hyphens), skipping empty ones."""
    out = []
    for key, value in kwargs.items():
        if value in ("", None, ()):
            continue
        if isinstance(value, float | int):
            value = _num(float(value))
        elif isinstance(value, tuple):
            value = " ".join(_num(v) for v in value)
        out.append(f"{key.rstrip('_').replace('_', '-')}={quoteattr(str(value))}")
    return " ".join(out)


def _svg_shape(s: Shape) -> str:
    """Render one shape as an SVG element."""
    if isinstance(s, Rect):
        return f"<rect {_attrs(x=s.x, y=s.y, width=s.w, height=s.h, fill=s.fill, class_=s.cls)}/>"
    if isinstance(s, Line):
        a = _attrs(
            x1=s.x1,
            y1=s.y1,
            x2=s.x2,
            y2=s.y2,
            stroke=s.stroke,
            stroke_width=s.width,
            stroke_dasharray=s.dash,
            class_=s.cls,
        )
        return f"<line {a}/>"
    if isinstance(s, Polyline):
        pts = " ".join(f"{_num(x)},{_num(y)}" for x, y in s.points)
        a = _attrs(
            points=pts,
            fill="none",
            stroke=s.stroke,
            stroke_width=s.width,
            stroke_dasharray=s.dash,
            stroke_linejoin="round",
            class_=s.cls,
        )
        return f"<polyline {a}/>"
    if isinstance(s, Circle):
        return f"<circle {_attrs(cx=s.cx, cy=s.cy, r=s.r, fill=s.fill, class_=s.cls)}/>"
    a = _attrs(
        x=s.x,
        y=s.y,
        font_size=s.size,
        fill=s.fill,
        text_anchor=s.anchor,
        font_weight="bold" if s.bold else "",
        class_=s.cls,
    )
    return f"<text {a}>{escape(_clean(s.text))}</text>"


def to_svg(chart: Chart, id_prefix: str | None = None) -> str:
    """Render an inline SVG that needs no inline styles (safe under a strict CSP)."""
    # Ids must be unique on a page; hashing the content keeps output deterministic.
    uid = id_prefix or "chart-" + hashlib.sha256(repr(chart).encode()).hexdigest()[:10]
    head = _attrs(
        xmlns="http://www.w3.org/2000/svg",
        viewBox=f"0 0 {_num(chart.width)} {_num(chart.height)}",
        width="100%",
        role="img",
        aria_labelledby=f"{uid}-title {uid}-desc",
        class_=f"chart chart-{chart.kind}",
        font_family="'Noto Sans', sans-serif",
    )
    return "".join(
        [
            f"<svg {head}>",
            f"<title id={quoteattr(uid + '-title')}>{escape(_clean(chart.title))}</title>",
            f"<desc id={quoteattr(uid + '-desc')}>{escape(_clean(chart.desc))}</desc>",
            *(_svg_shape(s) for s in chart.shapes),
            "</svg>",
        ]
    )


def to_drawing(
    chart: Chart,
    *,
    width: float | None = None,
    font: str | None = None,
    bold_font: str | None = None,
) -> Drawing:
    """Render a ReportLab Drawing (for PDFs), optionally scaled to a given width in points."""
    from reportlab.graphics.shapes import Circle as RLCircle
    from reportlab.graphics.shapes import Drawing, Group, PolyLine, String
    from reportlab.graphics.shapes import Line as RLLine
    from reportlab.graphics.shapes import Rect as RLRect
    from reportlab.lib.colors import HexColor

    from lms.pdf import SANS, SANS_BOLD, register_fonts

    font, bold_font = font or SANS, bold_font or SANS_BOLD
    register_fonts()  # the bundled Noto Sans has the Vietnamese glyphs Helvetica lacks
    k = (width / chart.width) if width else 1.0
    h = chart.height

    group = Group(transform=(k, 0, 0, k, 0, 0))
    for s in chart.shapes:  # ReportLab's y axis points up: flip every y
        if isinstance(s, Rect):
            group.add(RLRect(s.x, h - s.y - s.h, s.w, s.h, fillColor=HexColor(s.fill), strokeColor=None))
        elif isinstance(s, Line):
            group.add(
                RLLine(
                    s.x1,
                    h - s.y1,
                    s.x2,
                    h - s.y2,
                    strokeColor=HexColor(s.stroke),
                    strokeWidth=s.width,
                    strokeDashArray=list(s.dash) or None,
                )
            )
        elif isinstance(s, Polyline):
            flat = [c for x, y in s.points for c in (x, h - y)]
            group.add(
                PolyLine(
                    flat,
                    strokeColor=HexColor(s.stroke),
                    strokeWidth=s.width,
                    strokeDashArray=list(s.dash) or None,
                    strokeLineJoin=1,
                )
            )
        elif isinstance(s, Circle):
            group.add(RLCircle(s.cx, h - s.cy, s.r, fillColor=HexColor(s.fill), strokeColor=None))
        else:
            group.add(
                String(
                    s.x,
                    h - s.y,
                    _clean(s.text),
                    fontName=bold_font if s.bold else font,
                    fontSize=s.size,
                    fillColor=HexColor(s.fill),
                    textAnchor=s.anchor,
                )
            )
    drawing = Drawing(chart.width * k, h * k)
    drawing.add(group)
    return drawing
