"""Paper version of a survey: one set of sheets per trainee code, for workshops without phones."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from lms.pdf import (
    ACCENT,
    INK,
    MONO,
    MUTED,
    RULE,
    SANS,
    SANS_BOLD,
    draw_checkbox,
    draw_fitted,
    draw_lines,
    draw_text,
    new_canvas,
    text_width,
    wrap,
)

# Keys render_paper_survey needs in PaperForm.labels, already in the form's language.
PAPER_LABEL_KEYS = (
    "trainee_code",  # Mã học viên / Trainee code
    "phase",  # Thời điểm / Phase
    "before",  # Trước tập huấn / Before
    "after",  # Sau tập huấn / After
    "tick_one",  # Đánh dấu một ô mỗi dòng / Tick one box per row
    "item",  # Mã câu / ID (column heading for item IDs)
    "statement",  # Nội dung / Statement
    "knowledge",  # Câu hỏi kiến thức / Knowledge questions
    "tick_answer",  # Đánh dấu một đáp án / Tick one answer
    "page",  # "trang {page}/{pages}" / "page {page}/{pages}" (str.format template)
)


@dataclass(frozen=True)
class PaperForm:
    """A survey to print: Likert items, knowledge items and the trainee codes to print it for."""

    title: str
    intro: str
    language: str
    trainee_codes: Sequence[str]
    likert_labels: Sequence[str]  # five labels, from "strongly disagree" to "strongly agree"
    items: Sequence[tuple[str, str]]  # (item_id, statement)
    knowledge: Sequence[tuple[str, str, Sequence[str]]]  # (item_id, question, options)
    labels: Mapping[str, str]


W, H = A4
MARGIN = 36.0
TOP = H - MARGIN
BOTTOM = MARGIN + 22  # room for the footer
ID_W, SCALE_W = 42.0, 50.0
TEXT_W = W - 2 * MARGIN - ID_W - 5 * SCALE_W
BOX = 10.0
SIZE, LEADING = 9.5, 12.0
HEADER_H = 62.0


@dataclass(frozen=True)
class _Block:
    """A piece of a sheet that is never split across pages."""

    height: float
    draw: Callable[[Canvas, float], None]  # draws with its top edge at the given y
    table: bool = False  # a Likert row: needs the column header above it on each page
    keep_with_next: bool = False


def render_paper_survey(form: PaperForm) -> bytes:
    """Render every trainee code's sheets; rows never split and pages read "code · page x/y"."""
    buffer = io.BytesIO()
    c = new_canvas(buffer, A4, title=form.title, lang=form.language)
    # The layout does not depend on the code, so paginate once and draw it per code.
    pages = _paginate(_blocks(form), _table_header(form))
    for code in form.trainee_codes:
        for number, page in enumerate(pages, 1):
            _page_header(c, form, code)
            y = TOP - HEADER_H
            for block in page:
                block.draw(c, y)
                y -= block.height
            c.setFillColor(MUTED)
            footer = f"{code} · {form.labels['page'].format(page=number, pages=len(pages))}"
            draw_text(c, footer, W - MARGIN, MARGIN, SANS, 8, "right")
            c.showPage()
    c.save()
    return buffer.getvalue()


def _paginate(blocks: list[_Block], table_header: _Block) -> list[list[_Block]]:
    """Fill pages with whole blocks; repeat the table header; keep headings with what follows."""

    def with_header(block: _Block, after: _Block | None) -> list[_Block]:
        # A Likert row opening a table section (or a page) goes under a column header.
        opens_table = block.table and not (after and after.table)
        return [table_header, block] if opens_table else [block]

    room = TOP - HEADER_H - BOTTOM
    pages: list[list[_Block]] = [[]]
    for index, block in enumerate(blocks):
        last = pages[-1][-1] if pages[-1] else None
        need = with_header(block, last)
        if block.keep_with_next and index + 1 < len(blocks):
            need += with_header(blocks[index + 1], block)
        used = sum(b.height for b in pages[-1])
        if pages[-1] and used + sum(b.height for b in need) > room:
            pages.append([])
            last = None
        pages[-1] += with_header(block, last)
    return pages


def _page_header(c: Canvas, form: PaperForm, code: str) -> None:
    """Title, the trainee code in big type and the before/after phase boxes, on every page."""
    labels = form.labels
    c.setFillColor(INK)
    draw_fitted(c, form.title, MARGIN, TOP - 12, 300, SANS_BOLD, 12, min_size=8)
    c.setFillColor(ACCENT)
    draw_text(c, labels["phase"], MARGIN, TOP - 34, SANS_BOLD, 8)
    x = MARGIN
    c.setFillColor(INK)
    for key in ("before", "after"):
        draw_checkbox(c, x, TOP - 50, BOX + 2)
        draw_text(c, labels[key], x + BOX + 7, TOP - 48, SANS, 9.5)
        x += BOX + 20 + max(60, text_width(labels[key], SANS, 9.5))
    c.setFillColor(ACCENT)
    draw_text(c, labels["trainee_code"], W - MARGIN, TOP - 8, SANS_BOLD, 8, "right")
    c.setFillColor(INK)
    draw_fitted(c, code, W - MARGIN, TOP - 40, 190, MONO, 28, min_size=12, align="right")
    c.setStrokeColor(ACCENT)
    c.setLineWidth(1)
    c.line(MARGIN, TOP - 58, W - MARGIN, TOP - 58)


def _blocks(form: PaperForm) -> list[_Block]:
    """Lay out the intro, one block per Likert row, then the knowledge questions."""
    blocks: list[_Block] = []
    width = W - 2 * MARGIN
    intro = wrap(form.intro, SANS, SIZE, width) if form.intro.strip() else []
    tick = form.labels["tick_one"]

    def draw_intro(c: Canvas, y: float) -> None:
        c.setFillColor(INK)
        y = draw_lines(c, intro, MARGIN, y - SIZE - 4, SANS, SIZE, leading=LEADING)
        c.setFillColor(ACCENT)
        draw_text(c, tick, MARGIN, y - 4, SANS_BOLD, SIZE)

    blocks.append(_Block(len(intro) * LEADING + 26, draw_intro, keep_with_next=True))
    blocks += [_likert_row(item_id, text) for item_id, text in form.items]
    if form.knowledge:
        heading, hint = form.labels["knowledge"], form.labels["tick_answer"]

        def draw_heading(c: Canvas, y: float) -> None:
            c.setFillColor(ACCENT)
            draw_text(c, heading, MARGIN, y - 22, SANS_BOLD, 11)
            c.setFillColor(MUTED)
            draw_text(c, hint, MARGIN, y - 36, SANS, 8.5)

        blocks.append(_Block(44, draw_heading, keep_with_next=True))
        blocks += [_knowledge_item(*item) for item in form.knowledge]
    return blocks


def _table_header(form: PaperForm) -> _Block:
    """Column header for the Likert table: ID, statement and the five scale labels."""
    label_lines = [wrap(label, SANS_BOLD, 6.8, SCALE_W - 2) for label in form.likert_labels]
    height = max(map(len, label_lines), default=1) * 8.5 + 10

    def draw(c: Canvas, y: float) -> None:
        c.saveState()
        c.setFillColor(ACCENT)
        draw_fitted(c, form.labels["item"], MARGIN + 2, y - 12, ID_W - 6, SANS_BOLD, 7.5)
        draw_text(c, form.labels["statement"], MARGIN + ID_W, y - 12, SANS_BOLD, 7.5)
        for index, lines in enumerate(label_lines):
            centre = MARGIN + ID_W + TEXT_W + (index + 0.5) * SCALE_W
            draw_lines(c, lines, centre, y - 10, SANS_BOLD, 6.8, leading=8.5, align="center")
        c.setStrokeColor(INK)
        c.setLineWidth(0.8)
        c.line(MARGIN, y - height, W - MARGIN, y - height)
        c.restoreState()

    return _Block(height, draw)


def _likert_row(item_id: str, text: str) -> _Block:
    """One statement with its ID and five tick boxes, ruled underneath."""
    lines = wrap(text, SANS, SIZE, TEXT_W - 8)
    height = max(len(lines) * LEADING, BOX) + 10

    def draw(c: Canvas, y: float) -> None:
        c.setFillColor(MUTED)
        draw_fitted(c, item_id, MARGIN + 2, y - 5 - SIZE, ID_W - 6, SANS_BOLD, 8, min_size=5)
        c.setFillColor(INK)
        draw_lines(c, lines, MARGIN + ID_W, y - 5 - SIZE, SANS, SIZE, leading=LEADING)
        middle = y - height / 2
        for index in range(5):
            centre = MARGIN + ID_W + TEXT_W + (index + 0.5) * SCALE_W
            draw_checkbox(c, centre - BOX / 2, middle - BOX / 2, BOX)
        c.setStrokeColor(RULE)
        c.setLineWidth(0.4)
        c.line(MARGIN, y - height, W - MARGIN, y - height)

    return _Block(height, draw, table=True)


def _knowledge_item(item_id: str, question: str, options: Sequence[str]) -> _Block:
    """A question with one tick box per option, each option on its own (wrapped) line."""
    indent = MARGIN + ID_W
    width = W - MARGIN - indent
    question_lines = wrap(question, SANS_BOLD, SIZE, width)
    option_lines = [wrap(option, SANS, SIZE, width - BOX - 8) for option in options]
    height = (len(question_lines) + sum(map(len, option_lines))) * LEADING + 4 * len(options) + 16

    def draw(c: Canvas, y: float) -> None:
        y -= 6 + SIZE
        c.setFillColor(MUTED)
        draw_fitted(c, item_id, MARGIN + 2, y, ID_W - 6, SANS_BOLD, 8, min_size=5)
        c.setFillColor(INK)
        y = draw_lines(c, question_lines, indent, y, SANS_BOLD, SIZE, leading=LEADING) - 4
        for lines in option_lines:
            draw_checkbox(c, indent, y - 1, BOX - 1)
            y = draw_lines(c, lines, indent + BOX + 8, y, SANS, SIZE, leading=LEADING) - 4

    return _Block(height, draw)
