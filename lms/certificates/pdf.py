"""Bilingual certificate of completion as a one-page A4 landscape PDF."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import cm
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
    draw_lines,
    draw_text,
    fit_wrapped,
    new_canvas,
)

# Keys the app must provide in CertificateView.labels[lang] for both "vi" and "en".
CERTIFICATE_LABEL_KEYS = (
    "title",  # GIẤY CHỨNG NHẬN HOÀN THÀNH / CERTIFICATE OF COMPLETION
    "certifies",  # Chứng nhận / This certifies that
    "completed",  # đã hoàn thành khóa tập huấn / has completed the training
    "modules",  # Học phần / Modules
    "hours",  # Số giờ / Hours
    "dates",  # Thời gian / Dates
    "facilitators",  # Giảng viên / Facilitators
    "issued",  # Ngày cấp / Issued on
    "code",  # Mã xác thực / Verification code
    "verify",  # Kiểm tra tại / Verify at
)
LANGUAGES = ("vi", "en")

PAGE = landscape(A4)
W, H = PAGE
CX, LEFT = W / 2, 70.0
QR_SIZE = 3.5 * cm


@dataclass(frozen=True)
class CertificateView:
    """What one certificate prints; per-language texts are dicts keyed "vi" and "en".

    Dates arrive already formatted per language (the app uses Babel with force_locale),
    e.g. start_date={"vi": "22/11/2026", "en": "22 November 2026"}, which keeps this
    renderer free of locale machinery. labels[lang][key] holds the UI words for every
    key in CERTIFICATE_LABEL_KEYS. language is the trainee's language, printed first.
    """

    full_name: str
    language: str
    cohort_name: str
    audience: Mapping[str, str]
    modules: Sequence[Mapping[str, str]]
    hours: float
    start_date: Mapping[str, str]
    end_date: Mapping[str, str]
    issued_on: Mapping[str, str]
    facilitators: Sequence[str]
    organisation_name: str
    code: str
    verify_url: str
    labels: Mapping[str, Mapping[str, str]]
    logo_path: str | None = None

    @property
    def languages(self) -> tuple[str, str]:
        """Return (trainee's language, the other language)."""
        first = self.language if self.language in LANGUAGES else LANGUAGES[0]
        return first, next(lang for lang in LANGUAGES if lang != first)


def render_certificate(view: CertificateView) -> bytes:
    """Render the certificate; equal views give identical bytes."""
    buffer = io.BytesIO()
    first, _ = view.languages
    c = new_canvas(
        buffer,
        PAGE,
        title=f"{view.labels[first]['title']} – {view.full_name}",
        author=view.organisation_name,
        lang=first,
    )
    _frame(c)
    _heading(c, view)
    _modules(c, view, top=H - 322, bottom=160)
    _details(c, view, top=134)
    _qr(c, view.verify_url, W - 40 - QR_SIZE, 40)
    c.showPage()
    c.save()
    return buffer.getvalue()


def _pair(view: CertificateView, key: str) -> tuple[str, str]:
    """Return a label in the trainee's language and in the other language."""
    first, second = view.languages
    return view.labels[first][key], view.labels[second][key]


def _frame(c: Canvas) -> None:
    """Draw a double border: a strong outer line and a hairline inside it."""
    c.setStrokeColor(ACCENT)
    c.setLineWidth(2.2)
    c.rect(22, 22, W - 44, H - 44)
    c.setLineWidth(0.6)
    c.rect(29, 29, W - 58, H - 58)


def _heading(c: Canvas, view: CertificateView) -> None:
    """Organisation, bilingual title, the trainee's name, cohort and audience track."""
    if view.logo_path:
        c.drawImage(
            view.logo_path,
            LEFT - 20,
            H - 98,
            width=90,
            height=50,
            preserveAspectRatio=True,
            anchor="sw",
            mask="auto",
        )
    first, second = view.languages
    c.setFillColor(MUTED)
    draw_fitted(c, view.organisation_name.upper(), CX, H - 66, 520, SANS_BOLD, 10, align="center")

    title, title_other = _pair(view, "title")
    c.setFillColor(ACCENT)
    draw_fitted(c, title, CX, H - 108, W - 200, SANS_BOLD, 28, align="center")
    c.setFillColor(MUTED)
    draw_fitted(c, title_other, CX, H - 130, W - 200, SANS, 13, align="center")

    certifies, certifies_other = _pair(view, "certifies")
    draw_fitted(c, f"{certifies} · {certifies_other}", CX, H - 170, 600, SANS, 11, align="center")
    c.setFillColor(INK)
    # Long Vietnamese names (five or six syllables) shrink rather than wrap.
    draw_fitted(c, view.full_name, CX, H - 212, W - 220, SANS_BOLD, 34, min_size=18, align="center")
    c.setStrokeColor(RULE)
    c.setLineWidth(0.6)
    c.line(CX - 190, H - 226, CX + 190, H - 226)

    completed, completed_other = _pair(view, "completed")
    c.setFillColor(MUTED)
    draw_fitted(c, f"{completed} · {completed_other}", CX, H - 246, 600, SANS, 11, align="center")
    c.setFillColor(INK)
    draw_fitted(c, view.cohort_name, CX, H - 270, W - 220, SANS_BOLD, 16, align="center")
    audience = " · ".join(
        dict.fromkeys(v for v in (view.audience.get(first), view.audience.get(second)) if v)
    )
    c.setFillColor(MUTED)
    draw_fitted(c, audience, CX, H - 288, W - 220, SANS, 10.5, align="center")


def _field(
    c: Canvas,
    view: CertificateView,
    key: str,
    x: float,
    y: float,
    width: float,
    value: str,
    other: str = "",
    font: str = SANS,
    size: float = 10,
    sep: str = " ",
) -> None:
    """Draw a bilingual caption ("Số giờ / Hours") over a value and its translation."""
    c.setFillColor(ACCENT)
    draw_fitted(c, " / ".join(_pair(view, key)), x, y, width, SANS_BOLD, 7.5)
    lines, size = fit_wrapped(value, font, size, width, max_lines=2, min_size=7, sep=sep)
    c.setFillColor(INK)
    # A fixed drop keeps values of different sizes on one baseline across a row.
    y = draw_lines(c, lines, x, y - 15, font, size)
    if other and other != value:
        c.setFillColor(MUTED)
        draw_fitted(c, other, x, y + size * 0.2, width, SANS, 8)


def _modules(c: Canvas, view: CertificateView, top: float, bottom: float) -> None:
    """List completed modules, trainee's language first, in two columns when there are many."""
    if not view.modules:
        return
    first, second = view.languages
    c.setFillColor(ACCENT)
    draw_fitted(c, " / ".join(_pair(view, "modules")), CX, top, 400, SANS_BOLD, 8.5, align="center")
    columns = 2 if len(view.modules) > 4 else 1
    rows = -(-len(view.modules) // columns)
    gap = 30.0
    block = 640.0 if columns == 2 else 380.0
    col_width = (block - gap * (columns - 1)) / columns
    # Each module takes a main line and a smaller translation line; shrink if rows are many.
    row_height = min(27.0, (top - 8 - bottom) / rows)
    size = row_height * 0.4
    for index, module in enumerate(view.modules):
        col, row = divmod(index, rows)
        x = CX - block / 2 + col * (col_width + gap)
        base = top - 8 - row * row_height - size
        c.setFillColor(ACCENT)
        draw_text(c, f"{index + 1}.", x, base, SANS_BOLD, size)
        indent = size * 1.8
        main = module.get(first) or module.get(second, "")
        c.setFillColor(INK)
        draw_fitted(c, main, x + indent, base, col_width - indent, SANS, size)
        other = module.get(second, "")
        if other and other != main:
            c.setFillColor(MUTED)
            draw_fitted(c, other, x + indent, base - size * 1.15, col_width - indent, SANS, size * 0.82)


def _hours(hours: float, lang: str) -> str:
    """Format hours without trailing zeros; Vietnamese uses a decimal comma."""
    text = f"{hours:g}"
    return text.replace(".", ",") if lang == "vi" else text


def _dates(view: CertificateView, lang: str) -> str:
    """Return "start – end" (or a single date for one-day trainings)."""
    start, end = view.start_date.get(lang, ""), view.end_date.get(lang, "")
    return start if start == end or not end else f"{start} – {end}"


def _details(c: Canvas, view: CertificateView, top: float) -> None:
    """Hours, dates, issue date and facilitators, then the verification code and URL."""
    first, second = view.languages
    x = LEFT
    for key, width, value, other in (
        ("hours", 70, _hours(view.hours, first), ""),
        ("dates", 180, _dates(view, first), _dates(view, second)),
        ("issued", 130, view.issued_on.get(first, ""), view.issued_on.get(second, "")),
    ):
        _field(c, view, key, x, top, width - 12, value, other)
        x += width
    # Facilitator lists wrap between names, never inside one.
    _field(c, view, "facilitators", x, top, 208, ", ".join(view.facilitators), sep=", ")
    _field(c, view, "code", LEFT, top - 52, 238, view.code, font=MONO, size=15)
    _field(c, view, "verify", LEFT + 250, top - 52, 350, view.verify_url, size=9)


def _qr(c: Canvas, url: str, x: float, y: float) -> None:
    """Draw a QR code of url (error correction M, 4-module quiet zone) QR_SIZE wide."""
    widget = QrCodeWidget(url, barLevel="M", barBorder=4)
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(QR_SIZE, QR_SIZE, transform=[QR_SIZE / (x1 - x0), 0, 0, QR_SIZE / (y1 - y0), 0, 0])
    drawing.add(widget)
    drawing.drawOn(c, x, y)
