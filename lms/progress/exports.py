"""The completion matrix as CSV (UTF-8 with BOM, for Excel) and XLSX (numbers as numbers)."""

import csv
import io

from flask_babel import gettext as _

from lms.progress.matrix import Matrix, MatrixRow
from lms.quizzes.models import Phase
from lms.spreadsheets import safe_row
from lms.vocab import ORG_TYPES, label, province_name


def table(matrix: Matrix, rows: list[MatrixRow]) -> tuple[list[str], list[list]]:
    """Header and rows with typed cells: numbers stay numbers, statuses are words, and no
    text (a trainee's name above all) is ever run as a formula."""
    header = [
        _("Full name"),
        _("Login name"),
        _("Trainee code"),
        _("Organisation type"),
        _("Province or city"),
        Phase.PRE.title,
        _("Knowledge % before"),
        *[column.module.text("title") for column in matrix.columns],
        Phase.POST.title,
        _("Knowledge % after"),
        *[phase.title for phase in matrix.follow_ups],
        _("Certificate of completion"),
        _("Progress %"),
    ]
    body = []
    for row in rows:
        body.append(
            safe_row(
                [
                    row.user.full_name,
                    row.user.username,
                    row.enrolment.trainee_code,
                    label(ORG_TYPES, row.user.org_type),
                    province_name(row.user.province),
                    row.pre.state.label,
                    row.pre.knowledge_percent,
                    *[row.modules[c.module.id].completion.label for c in matrix.columns],
                    row.post.state.label,
                    row.post.knowledge_percent,
                    *[
                        row.follow_up(phase).state.label if row.follow_up(phase) else "—"
                        for phase in matrix.follow_ups
                    ],
                    row.certificate.label,
                    round(100 * row.progress),
                ]
            )
        )
    return safe_row(header), body


def to_csv(matrix: Matrix, rows: list[MatrixRow]) -> bytes:
    """CSV with a byte-order mark, so Excel opens Vietnamese names correctly."""
    header, body = table(matrix, rows)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for values in body:
        writer.writerow(["" if v is None else v for v in values])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(matrix: Matrix, rows: list[MatrixRow], title: str) -> bytes:
    """A workbook with a bold, frozen header row and numeric cells for percentages."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    header, body = table(matrix, rows)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "".join(ch for ch in title if ch not in "[]:*?/\\")[:31] or "Cohort"
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE6EE")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for values in body:
        sheet.append(values)
    sheet.freeze_panes = "A2"
    sheet.column_dimensions["A"].width = 28
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
