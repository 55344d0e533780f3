"""Shared PDF building blocks: fonts, a deterministic canvas and text-fitting helpers."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import BinaryIO, Literal

from reportlab.lib.colors import Color, HexColor
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from lms.text import clean

FONT_DIR = Path(__file__).with_name("fonts")
SANS = "Sans"
SANS_BOLD = "Sans-Bold"
# Codes and passwords are ASCII: a base-14 monospace font keeps 0/O and 1/l/I apart and
# costs nothing to embed.
MONO = "Courier-Bold"

INK: Color = HexColor("#1d2b36")
MUTED: Color = HexColor("#5b6770")
ACCENT: Color = HexColor("#1f5f74")
RULE: Color = HexColor("#b9c4ca")

Align = Literal["left", "center", "right"]

_register_lock = threading.Lock()


def register_fonts() -> None:
    """Register the bundled Noto Sans faces as "Sans" and "Sans-Bold" (idempotent)."""
    # The lock stops two first requests in threaded workers from swapping a font mid-render.
    with _register_lock:
        registered = pdfmetrics.getRegisteredFontNames()
        for name, filename in ((SANS, "NotoSans-Regular.ttf"), (SANS_BOLD, "NotoSans-Bold.ttf")):
            if name not in registered:
                # TTFont embeds only the glyphs a document uses (a subset): files stay small.
                pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / filename)))
        pdfmetrics.registerFontFamily(SANS, normal=SANS, bold=SANS_BOLD)


def new_canvas(
    buffer: BinaryIO,
    pagesize: tuple[float, float],
    *,
    title: str,
    author: str = "",
    lang: str | None = None,
) -> Canvas:
    """Return a compressed, byte-for-byte reproducible canvas with document metadata set."""
    register_fonts()
    # invariant=1 pins the creation date and document ID so equal input gives equal bytes.
    c = Canvas(buffer, pagesize=pagesize, invariant=1, pageCompression=1, lang=lang, initialFontName=SANS)
    c.setTitle(nfc(title))
    c.setAuthor(nfc(author))
    c.setCreator("lms")
    return c


# The font has precomposed Vietnamese glyphs but no mark positioning: text goes in as NFC.
nfc = clean


def text_width(text: str, font: str, size: float) -> float:
    """Return the width of text in points."""
    return pdfmetrics.stringWidth(nfc(text), font, size)


def fit_size(text: str, font: str, size: float, width: float, min_size: float = 6) -> float:
    """Return the largest size <= size (not below min_size) at which text fits on one line."""
    natural = text_width(text, font, size)
    return size if natural <= width else max(min_size, size * width / natural)


def ellipsize(text: str, font: str, size: float, width: float) -> str:
    """Cut text with an ellipsis so it fits width (a last resort after shrinking)."""
    text = nfc(text)
    if text_width(text, font, size) <= width:
        return text
    while text and text_width(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def draw_text(
    c: Canvas, text: str, x: float, y: float, font: str, size: float, align: Align = "left"
) -> None:
    """Draw one line at baseline y; x is its left edge, centre or right edge per align."""
    c.setFont(font, size)
    text = nfc(text)
    if align == "center":
        c.drawCentredString(x, y, text)
    elif align == "right":
        c.drawRightString(x, y, text)
    else:
        c.drawString(x, y, text)


def draw_fitted(
    c: Canvas,
    text: str,
    x: float,
    y: float,
    width: float,
    font: str,
    size: float,
    *,
    min_size: float = 6,
    align: Align = "left",
) -> float:
    """Draw text on one line, shrinking (then ellipsizing) to fit width; return the size used."""
    used = fit_size(text, font, size, width, min_size)
    draw_text(c, ellipsize(text, font, used, width), x, y, font, used, align)
    return used


def wrap(text: str, font: str, size: float, width: float, sep: str = " ") -> list[str]:
    """Greedy wrap at sep (e.g. ", " keeps names whole); over-long words are split."""
    lines: list[str] = []
    for paragraph in nfc(text).splitlines() or [""]:
        line = ""
        for word in filter(None, (w.strip() for w in paragraph.split(sep))):
            candidate = f"{line}{sep}{word}" if line else word
            if text_width(candidate, font, size) <= width:
                line = candidate
                continue
            if line:
                lines.append(line + sep.rstrip())  # keep a ", " separator's comma at line end
            while text_width(word, font, size) > width and len(word) > 1:
                cut = len(word) - 1
                while cut > 1 and text_width(word[:cut], font, size) > width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    return lines


def fit_wrapped(
    text: str,
    font: str,
    size: float,
    width: float,
    max_lines: int,
    min_size: float = 6,
    sep: str = " ",
) -> tuple[list[str], float]:
    """Wrap text, shrinking the size in 0.5 pt steps until it fits in max_lines."""
    lines = wrap(text, font, size, width, sep)
    while len(lines) > max_lines and size - 0.5 >= min_size:
        size -= 0.5
        lines = wrap(text, font, size, width, sep)
    return lines, size


def draw_lines(
    c: Canvas,
    lines: list[str],
    x: float,
    y: float,
    font: str,
    size: float,
    *,
    leading: float | None = None,
    align: Align = "left",
) -> float:
    """Draw lines downwards from baseline y; return the baseline after the last line."""
    leading = leading or size * 1.25
    for line in lines:
        draw_text(c, line, x, y, font, size, align)
        y -= leading
    return y


def draw_wrapped(
    c: Canvas,
    text: str,
    x: float,
    y: float,
    width: float,
    font: str,
    size: float,
    *,
    max_lines: int = 1000,
    min_size: float = 6,
    align: Align = "left",
) -> float:
    """Draw wrapped text (shrunk to fit max_lines) from baseline y; return the next baseline."""
    lines, size = fit_wrapped(text, font, size, width, max_lines, min_size)
    return draw_lines(c, lines, x, y, font, size, align=align)


def draw_checkbox(c: Canvas, x: float, y: float, size: float) -> None:
    """Draw an empty tick box with its lower-left corner at (x, y)."""
    c.saveState()
    c.setStrokeColor(INK)
    c.setLineWidth(0.8)
    c.rect(x, y, size, size, stroke=1, fill=0)
    c.restoreState()
