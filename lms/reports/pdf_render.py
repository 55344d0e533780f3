"""The report as a PDF (ReportLab platypus): loaded by lms.reports.pdf on the first PDF."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from flask_babel import gettext as _
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    CondPageBreak,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)
from reportlab.platypus import Table as GridTable

from lms.pdf import ACCENT, INK, MUTED, RULE, SANS, SANS_BOLD, nfc, register_fonts
from lms.reports.charts import to_drawing
from lms.reports.exports import report_title
from lms.reports.services import Report
from lms.reports.tables import Table, display

PAGE = landscape(A4)
MARGIN = 36.0
WIDTH = PAGE[0] - 2 * MARGIN
CHART_WIDTH = 300.0


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=SANS, fontSize=9, leading=11.5, textColor=INK)
    return {
        "title": ParagraphStyle(
            "title", base, fontName=SANS_BOLD, fontSize=17, leading=21, textColor=ACCENT, spaceAfter=4
        ),
        "h2": ParagraphStyle(
            "h2",
            base,
            fontName=SANS_BOLD,
            fontSize=13,
            leading=16,
            textColor=ACCENT,
            spaceBefore=10,
            spaceAfter=4,
        ),
        "h3": ParagraphStyle(
            "h3", base, fontName=SANS_BOLD, fontSize=10, leading=13, spaceBefore=6, spaceAfter=3
        ),
        "body": base,
        "lead": ParagraphStyle("lead", base, fontSize=11, leading=15, spaceAfter=5),
        "note": ParagraphStyle("note", base, fontSize=7.5, leading=9.5, textColor=MUTED),
        "cell": ParagraphStyle("cell", base, fontSize=7.5, leading=9),
        "num": ParagraphStyle("num", base, fontSize=7.5, leading=9, alignment=2),
        "head": ParagraphStyle("head", base, fontName=SANS_BOLD, fontSize=7.5, leading=9),
        "head_num": ParagraphStyle(
            "head_num", base, fontName=SANS_BOLD, fontSize=7.5, leading=9, alignment=2
        ),
    }


def _clean(text) -> str:
    # The bundled font has no U+2212 MINUS SIGN; a hyphen reads the same in a table.
    return nfc(str(text)).replace("\u2212", "-")


def _p(text, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(_clean(text)), style)


def _widths(headers: list[str], rows: list[list[str]], labels: int, width: float) -> list[float]:
    """Figures get the width they need (up to a cap, then they wrap); the leading label
    columns share the rest in proportion to their text."""
    pad = 8.0
    natural = []
    for i, header in enumerate(headers):
        longest_word = max((stringWidth(w, SANS_BOLD, 7.5) for w in header.split()), default=0)
        cells = max((stringWidth(_clean(r[i]), SANS, 7.5) for r in rows), default=0)
        cap = 280.0 if i < labels else 100.0
        natural.append(max(longest_word, min(cells, cap), 28.0) + pad)
    rest = max(width - sum(natural[labels:]), 110.0 * labels)
    total = sum(natural[:labels]) or 1.0
    return [rest * w / total for w in natural[:labels]] + natural[labels:]


def _grid(table: Table, min_n: int, styles, width: float = WIDTH) -> list:
    headers, rows, numeric = display(table, min_n)
    labels = next((i for i, flag in enumerate(numeric) if flag), len(headers))
    data = [[_p(h, styles["head_num"] if numeric[i] else styles["head"]) for i, h in enumerate(headers)]]
    data += [
        [_p(text, styles["num"] if numeric[i] else styles["cell"]) for i, text in enumerate(row)]
        for row in rows
    ]
    if not rows:
        data.append([_p(table.empty_text, styles["cell"]), *[""] * (len(headers) - 1)])
    grid = GridTable(data, colWidths=_widths(headers, rows, labels, width), repeatRows=1, hAlign="LEFT")
    grid.setStyle(
        TableStyle(
            [
                *([("SPAN", (0, 1), (-1, 1))] if not rows else []),  # one line saying why
                ("BACKGROUND", (0, 0), (-1, 0), "#dce6ec"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
                ("LINEBELOW", (0, 1), (-1, -1), 0.3, RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    parts = [_p(table.title, styles["h3"]), grid]
    parts += [_p(note, styles["note"]) for note in table.notes]
    return [*parts, Spacer(1, 6)]


# A data table with more rows than this (the eight subscales of instrument v2) would not fit
# on one page in the narrow column beside its chart.
BESIDE_MAX_ROWS = 6


def _fitted(drawing, max_height: float = 440.0):
    """Shrink a chart taller than most of a page (many subscales) so that it fits one."""
    if drawing.height > max_height:
        factor = max_height / drawing.height
        drawing.scale(factor, factor)
        drawing.width, drawing.height = drawing.width * factor, max_height
    return drawing


def _beside(drawing, parts: list) -> GridTable:
    """A chart with its data table to the right."""
    chart_width = drawing.width + 12
    layout = GridTable([[drawing, parts]], colWidths=[chart_width, WIDTH - chart_width], hAlign="LEFT")
    layout.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return layout


def report_pdf(report: Report, lang: str) -> bytes:
    """Render the whole report; byte-for-byte the same for the same figures."""
    register_fonts()
    styles = _styles()
    buffer = io.BytesIO()
    title = report_title()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 10,
        title=nfc(title),
        creator="lms",
        invariant=1,
        lang=lang,
        initialFontName=SANS,
    )

    def footer(canvas, document):
        canvas.saveState()
        canvas.setFont(SANS, 7.5)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN, MARGIN - 6, nfc(title))
        canvas.drawRightString(PAGE[0] - MARGIN, MARGIN - 6, nfc(_("Page %(page)s", page=document.page)))
        canvas.restoreState()

    story: list = [
        _p(title, styles["title"]),
        _p(_("Generated %(when)s", when=report.generated_at.strftime("%Y-%m-%d %H:%M UTC")), styles["note"]),
        Spacer(1, 6),
        _p(_("Summary"), styles["h2"]),
        *(_p(line, styles["lead"]) for line in report.headline),
        Spacer(1, 8),
        _p(report.privacy_note, styles["note"]),
        PageBreak(),
    ]
    filters = GridTable(
        [[_p(name, styles["head"]), _p(value, styles["cell"])] for name, value in report.description],
        colWidths=[150, WIDTH - 150],
        hAlign="LEFT",
    )
    filters.setStyle(
        TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    )
    story += [_p(_("Filters"), styles["h3"]), filters, Spacer(1, 4)]
    for section in report.sections:
        drawings = [
            _fitted(to_drawing(report.charts[key], width=CHART_WIDTH)) for key, _table in section.charts
        ]
        # Keep a section's heading on the page of its chart.
        story += [
            CondPageBreak(drawings[0].height + 70 if drawings else 160),
            _p(section.title, styles["h2"]),
        ]
        story += [_p(note, styles["note"]) for note in section.notes]
        for drawing, (_chart, table_key) in zip(drawings, section.charts, strict=True):
            table = report.tables[table_key]
            if len(table.rows) > BESIDE_MAX_ROWS:  # too tall beside its chart: below it
                story += [drawing, Spacer(1, 6), *_grid(table, report.min_n, styles)]
                continue
            parts = _grid(table, report.min_n, styles, WIDTH - CHART_WIDTH - 12)
            story += [_beside(drawing, parts), Spacer(1, 8)]
        for key in section.other_tables:
            table = report.tables[key]
            if not table.rows and not table.withheld:
                continue  # nothing to say: no empty tables in the details
            story += [CondPageBreak(90), *_grid(table, report.min_n, styles)]
    story += [CondPageBreak(120), _p(_("Methods and notes"), styles["h2"])]
    story += [_p(method, styles["body"]) for method in report.methods]
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
