"""Printable sign-in slips for a cohort: eight per A4 page, cut along the dashed lines."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

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
    draw_fitted,
    draw_wrapped,
    new_canvas,
)

# Keys render_login_slips needs in labels, already in the cohort's language.
SLIP_LABEL_KEYS = (
    "login",  # Tên đăng nhập / Login
    "password",  # Mật khẩu dùng một lần / One-time password
    "site",  # Địa chỉ truy cập / Website
    "instruction",  # Anh/chị sẽ phải đổi mật khẩu khi đăng nhập lần đầu. / You must change ...
)

W, H = A4
COLUMNS, ROWS = 2, 4
CELL_W, CELL_H = W / COLUMNS, H / ROWS
PAD = 22.0


def render_login_slips(
    title: str,
    join_url: str,
    slips: Sequence[tuple[str, str, str]],
    labels: Mapping[str, str],
) -> bytes:
    """Render (full name, login, one-time password) slips, 2 × 4 per A4 portrait page."""
    buffer = io.BytesIO()
    c = new_canvas(buffer, A4, title=title)
    per_page = COLUMNS * ROWS
    for start in range(0, max(len(slips), 1), per_page):
        _cut_lines(c)
        for index, slip in enumerate(slips[start : start + per_page]):
            row, col = divmod(index, COLUMNS)
            _slip(c, col * CELL_W, H - row * CELL_H, title, join_url, slip, labels)
        c.showPage()
    c.save()
    return buffer.getvalue()


def _cut_lines(c: Canvas) -> None:
    """Dashed guides between slips (not at the page edge, which the printer leaves blank)."""
    c.saveState()
    c.setStrokeColor(RULE)
    c.setLineWidth(0.5)
    c.setDash(4, 3)
    for col in range(1, COLUMNS):
        c.line(col * CELL_W, 0, col * CELL_W, H)
    for row in range(1, ROWS):
        c.line(0, row * CELL_H, W, row * CELL_H)
    c.restoreState()


def _slip(
    c: Canvas,
    left: float,
    top: float,
    title: str,
    join_url: str,
    slip: tuple[str, str, str],
    labels: Mapping[str, str],
) -> None:
    """Draw one slip inside the cell whose top-left corner is (left, top)."""
    full_name, login, password = slip
    x, width = left + PAD, CELL_W - 2 * PAD
    c.setFillColor(MUTED)
    draw_fitted(c, title, x, top - PAD - 6, width, SANS, 8)
    c.setFillColor(INK)
    draw_fitted(c, full_name, x, top - PAD - 28, width, SANS_BOLD, 15, min_size=9)

    for label, value, size, y in (
        (labels["login"], login, 13, top - PAD - 50),
        (labels["password"], password, 22, top - PAD - 90),
    ):
        c.setFillColor(ACCENT)
        draw_fitted(c, label, x, y, width, SANS_BOLD, 7.5)
        c.setFillColor(INK)
        draw_fitted(c, value, x, y - size - 2, width, MONO, size, min_size=9)

    c.setFillColor(ACCENT)
    draw_fitted(c, labels["site"], x, top - PAD - 138, width, SANS_BOLD, 7.5)
    c.setFillColor(INK)
    draw_fitted(c, join_url, x, top - PAD - 150, width, SANS, 9.5, min_size=6)
    c.setFillColor(MUTED)
    draw_wrapped(c, labels["instruction"], x, top - PAD - 166, width, SANS, 7.5, max_lines=2, min_size=6)
