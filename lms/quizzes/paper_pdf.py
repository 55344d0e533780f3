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
# Needed only when the form has cases or policy items (instrument v2 onwards).
PAPER_OPTIONAL_LABEL_KEYS = (
    "case",  # Tình huống / Case
    "case_hint",  # how far the trainee agrees with each statement about the case
    "policy",  # Câu hỏi về chính sách / Views on rules and policies
    "policy_hint",  # not part of any score; last column when not one's role
    "not_applicable",  # Không thuộc phần việc của tôi / không áp dụng
)
# Needed only when the form has practice items (follow-up waves).
PAPER_PRACTICE_LABEL_KEYS = (
    "practice",  # Công việc của anh/chị trong 3 tháng qua / Your work in the last 3 months
    "practice_hint",  # a rough count is fine; last column when it does not apply
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
    cases: Sequence[tuple[str, Sequence[tuple[str, str]]]] = ()  # (story, [(item_id, text)])
    policy: Sequence[tuple[str, str]] = ()  # (item_id, statement): scale + "not applicable"
    practice: Sequence[tuple[str, str]] = ()  # (item_id, question): a follow-up wave's counts
    practice_labels: Sequence[str] = ()  # "A. Not once" … the bands, then "does not apply"
    wave: str = ""  # a follow-up wave's name, printed instead of the before/after boxes
    # Anonymous cohorts: the personal code's elements as (label, boxes), printed first; the
    # labels then need "code" and "code_hint".
    code_elements: Sequence[tuple[str, int]] = ()


W, H = A4
MARGIN = 36.0
TOP = H - MARGIN
BOTTOM = MARGIN + 22  # room for the footer
ID_W, SCALE_W = 42.0, 50.0
BOX = 10.0
SIZE, LEADING = 9.5, 12.0
HEADER_H = 62.0


@dataclass(frozen=True)
class _Block:
    """A piece of a sheet that is never split across pages."""

    height: float
    draw: Callable[[Canvas, float], None]  # draws with its top edge at the given y
    header: _Block | None = None  # a table row: the column header it needs above it
    keep_with_next: bool = False


def render_paper_survey(form: PaperForm) -> bytes:
    """Render every trainee code's sheets; rows never split and pages read "code · page x/y"."""
    buffer = io.BytesIO()
    c = new_canvas(buffer, A4, title=form.title, lang=form.language)
    # The layout does not depend on the code, so paginate once and draw it per code.
    pages = _paginate(_blocks(form))
    for code in form.trainee_codes:
        for number, page in enumerate(pages, 1):
            _page_header(c, form, code)
            y = TOP - HEADER_H
            for block in page:
                block.draw(c, y)
                y -= block.height
            c.setFillColor(MUTED)
            page_label = form.labels["page"].format(page=number, pages=len(pages))
            footer = f"{code} · {page_label}" if code else page_label  # anonymous: no code
            draw_text(c, footer, W - MARGIN, MARGIN, SANS, 8, "right")
            c.showPage()
    c.save()
    return buffer.getvalue()


def _paginate(blocks: list[_Block]) -> list[list[_Block]]:
    """Fill pages with whole blocks; repeat the table header; keep headings with what follows."""

    def with_header(block: _Block, after: _Block | None) -> list[_Block]:
        # A table row opening a table section (or a page) goes under its column header.
        opens_table = block.header is not None and not (after and after.header is block.header)
        return [block.header, block] if opens_table else [block]

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
    if form.wave:
        draw_text(c, form.wave, x, TOP - 48, SANS_BOLD, 9.5)
    for key in () if form.wave else ("before", "after"):
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

    if form.code_elements:
        blocks.append(_code_block(form))
    blocks.append(_Block(len(intro) * LEADING + 26, draw_intro, keep_with_next=True))
    header = _table_header(form, form.likert_labels)
    blocks += [_likert_row(item_id, text, header, 5) for item_id, text in form.items]
    for story, case_items in form.cases:
        blocks.append(_story(form.labels.get("case", ""), story, form.labels.get("case_hint", "")))
        blocks += [_likert_row(item_id, text, header, 5) for item_id, text in case_items]
    if form.policy:
        blocks.append(_heading(form.labels.get("policy", ""), form.labels.get("policy_hint", "")))
        policy_header = _table_header(form, [*form.likert_labels, form.labels.get("not_applicable", "")])
        blocks += [_likert_row(item_id, text, policy_header, 6) for item_id, text in form.policy]
    if form.practice:
        blocks.append(_heading(form.labels.get("practice", ""), form.labels.get("practice_hint", "")))
        practice_header = _table_header(form, form.practice_labels)
        blocks += [
            _likert_row(item_id, text, practice_header, len(form.practice_labels))
            for item_id, text in form.practice
        ]
    if form.knowledge:
        blocks.append(_heading(form.labels["knowledge"], form.labels["tick_answer"]))
        blocks += [_knowledge_item(*item) for item in form.knowledge]
    return blocks


def _code_block(form: PaperForm) -> _Block:
    """The personal code: each element's question with one box per character to write in."""
    width = W - 2 * MARGIN
    hint = wrap(form.labels["code_hint"], SANS, SIZE, width)
    cell = 18.0
    height = 22 + len(hint) * LEADING + len(form.code_elements) * (cell + 6) + 8

    def draw(c: Canvas, y: float) -> None:
        c.setFillColor(ACCENT)
        draw_text(c, form.labels["code"], MARGIN, y - 14, SANS_BOLD, 11)
        c.setFillColor(INK)
        y = draw_lines(c, hint, MARGIN, y - 14 - LEADING, SANS, SIZE, leading=LEADING)
        for label, boxes in form.code_elements:
            y -= cell + 6
            for n in range(boxes):
                draw_checkbox(c, MARGIN + n * (cell + 3), y, cell)
            draw_fitted(c, label, MARGIN + 2 * (cell + 3) + 10, y + 5, width - 60, SANS, SIZE, min_size=7)

    return _Block(height, draw)


def _heading(heading: str, hint: str) -> _Block:
    """A section heading with a one-line hint, kept with the first row after it."""
    hint_lines = wrap(hint, SANS, 8.5, W - 2 * MARGIN) if hint else []

    def draw(c: Canvas, y: float) -> None:
        c.setFillColor(ACCENT)
        draw_text(c, heading, MARGIN, y - 22, SANS_BOLD, 11)
        c.setFillColor(MUTED)
        draw_lines(c, hint_lines, MARGIN, y - 36, SANS, 8.5, leading=10.5)

    return _Block(34 + max(len(hint_lines), 1) * 10.5, draw, keep_with_next=True)


def _story(heading: str, story: str, hint: str) -> _Block:
    """A short case, printed in full above the statements about it."""
    width = W - 2 * MARGIN
    lines = wrap(story, SANS, SIZE, width - 12)
    hint_lines = wrap(hint, SANS, 8.5, width) if hint else []

    def draw(c: Canvas, y: float) -> None:
        c.setFillColor(ACCENT)
        draw_text(c, heading, MARGIN, y - 22, SANS_BOLD, 11)
        c.setFillColor(INK)
        y = draw_lines(c, lines, MARGIN + 12, y - 38, SANS, SIZE, leading=LEADING)
        c.setFillColor(MUTED)
        draw_lines(c, hint_lines, MARGIN, y - 4, SANS, 8.5, leading=10.5)

    height = 34 + len(lines) * LEADING + len(hint_lines) * 10.5 + 8
    return _Block(height, draw, keep_with_next=True)


def _scale_width(columns: int) -> float:
    return SCALE_W if columns <= 5 else 44.0


def _table_header(form: PaperForm, scale_labels: Sequence[str]) -> _Block:
    """Column header for a scale table: ID, statement and one label per scale column."""
    scale_w = _scale_width(len(scale_labels))
    text_w = W - 2 * MARGIN - ID_W - len(scale_labels) * scale_w
    label_lines = [wrap(label, SANS_BOLD, 6.8, scale_w - 2) for label in scale_labels]
    height = max(map(len, label_lines), default=1) * 8.5 + 10

    def draw(c: Canvas, y: float) -> None:
        c.saveState()
        c.setFillColor(ACCENT)
        draw_fitted(c, form.labels["item"], MARGIN + 2, y - 12, ID_W - 6, SANS_BOLD, 7.5)
        draw_text(c, form.labels["statement"], MARGIN + ID_W, y - 12, SANS_BOLD, 7.5)
        for index, lines in enumerate(label_lines):
            centre = MARGIN + ID_W + text_w + (index + 0.5) * scale_w
            draw_lines(c, lines, centre, y - 10, SANS_BOLD, 6.8, leading=8.5, align="center")
        c.setStrokeColor(INK)
        c.setLineWidth(0.8)
        c.line(MARGIN, y - height, W - MARGIN, y - height)
        c.restoreState()

    return _Block(height, draw)


def _likert_row(item_id: str, text: str, header: _Block, columns: int) -> _Block:
    """One statement with its ID and a tick box per scale column, ruled underneath."""
    scale_w = _scale_width(columns)
    text_w = W - 2 * MARGIN - ID_W - columns * scale_w
    lines = wrap(text, SANS, SIZE, text_w - 8)
    height = max(len(lines) * LEADING, BOX) + 10

    def draw(c: Canvas, y: float) -> None:
        c.setFillColor(MUTED)
        draw_fitted(c, item_id, MARGIN + 2, y - 5 - SIZE, ID_W - 6, SANS_BOLD, 8, min_size=5)
        c.setFillColor(INK)
        draw_lines(c, lines, MARGIN + ID_W, y - 5 - SIZE, SANS, SIZE, leading=LEADING)
        middle = y - height / 2
        for index in range(columns):
            centre = MARGIN + ID_W + text_w + (index + 0.5) * scale_w
            draw_checkbox(c, centre - BOX / 2, middle - BOX / 2, BOX)
        c.setStrokeColor(RULE)
        c.setLineWidth(0.4)
        c.line(MARGIN, y - height, W - MARGIN, y - height)

    return _Block(height, draw, header=header)


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
