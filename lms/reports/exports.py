"""Report exports: CSV (UTF-8 with BOM for Excel), XLSX with numbers as numbers, and the
de-identified respondent-level file for researchers."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import secrets
from collections import defaultdict
from functools import cache
from types import SimpleNamespace

from flask_babel import gettext as _
from sqlalchemy import select

from lms.auth.models import User
from lms.cohorts.models import Cohort, Enrolment
from lms.extensions import db
from lms.privacy.anonymity import k_anonymise
from lms.privacy.disclosure import RESEARCH, RESEARCH_PHASES, check_rows, record
from lms.quizzes.models import Answer, SurveyItem, SurveyResponse, SurveyVersion
from lms.reports import queries
from lms.reports.queries import Filters
from lms.reports.services import Report, instrument
from lms.reports.tables import NUMBER_FORMATS, Hidden, Table, hidden_text
from lms.spreadsheets import safe_cell, safe_row

CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Which tables go on which sheet, in order.
SHEETS = (
    ("summary", ("overview",)),
    ("subscales", ("subscale_means", "subscales", "min_items", "alpha", "unmatched", "audiences_change")),
    ("items", ("items", "audience_items")),
    ("knowledge", ("knowledge_total", "knowledge_items")),
    ("cohorts", ("cohorts", "audiences", "provinces")),
    ("trends", ("trend",)),
)


def _sheet_titles() -> dict[str, str]:
    return {
        "summary": _("Summary"),
        "subscales": _("Subscales"),
        "items": _("Items"),
        "knowledge": _("Knowledge"),
        "cohorts": _("Cohorts"),
        "trends": _("Trends"),
    }


def report_title() -> str:
    return _("Attitude-change report")


PERCENT_KINDS = ("percent", "points", "pp")


def header_label(column) -> str:
    """Column heading for files, with the unit of percentage figures."""
    return f"{column.label} (%)" if column.kind in ("percent", "points") else column.label


def _filter_lines(report: Report) -> list[list[str]]:
    return [
        [_("Filters")],
        *(safe_row([name, value]) for name, value in report.description),
        [_("Smallest group shown"), str(report.min_n)],
    ]


# ---- CSV ------------------------------------------------------------------------------


def _csv_value(value, kind: str, min_n: int) -> str:
    if isinstance(value, Hidden):
        return hidden_text(value, min_n)
    if value is None:
        return ""
    if isinstance(value, str) or kind == "text":
        return safe_cell(str(value))
    if isinstance(value, int) or kind == "count":
        return str(int(value))
    return format(float(value), ".6g")


def report_csv(report: Report) -> bytes:
    """Every table of the report, one after another, with the filters and methods on top."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([report_title()])
    writer.writerow([_("Generated"), report.generated_at.strftime("%Y-%m-%d %H:%M UTC")])
    writer.writerows(_filter_lines(report))
    writer.writerow([])
    for section in report.sections:
        for key in section.tables:
            table = report.tables[key]
            writer.writerow([safe_cell(table.title)])
            writer.writerow(safe_row(header_label(c) for c in table.columns))
            for row in table.rows:
                writer.writerow([_csv_value(row.get(c.key), c.kind, report.min_n) for c in table.columns])
            if table.withheld:
                writer.writerow([table.withheld])
            for note in table.notes:
                writer.writerow([note])
            writer.writerow([])
    writer.writerow([_("Methods and notes")])
    writer.writerows([m] for m in report.methods)
    return out.getvalue().encode("utf-8-sig")


# ---- XLSX -----------------------------------------------------------------------------


@cache
def _xlsx():
    """openpyxl and the sheet styles, loaded on first export: importing openpyxl at start-up
    would add ~20 MB to every worker for a page few people open."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    return SimpleNamespace(
        Workbook=Workbook,
        Alignment=Alignment,
        Font=Font,
        get_column_letter=get_column_letter,
        bold=Font(bold=True),
        title=Font(bold=True, size=13),
        note=Font(italic=True, color="5B6770"),
        header_fill=PatternFill("solid", fgColor="DCE6EC"),
        header_border=Border(bottom=Side(style="thin", color="1D2B36")),
    )


def _write_table(ws, row: int, table: Table, min_n: int) -> int:
    x = _xlsx()
    ws.cell(row, 1, safe_cell(table.title)).font = x.title
    row += 1
    for col, column in enumerate(table.columns, start=1):
        cell = ws.cell(row, col, safe_cell(header_label(column)))
        cell.font, cell.fill, cell.border = x.bold, x.header_fill, x.header_border
        cell.alignment = x.Alignment(wrap_text=True, vertical="top")
    for values in table.rows:
        row += 1
        for col, column in enumerate(table.columns, start=1):
            value = values.get(column.key)
            cell = ws.cell(row, col)
            if isinstance(value, Hidden):
                cell.value = hidden_text(value, min_n)
                cell.alignment = x.Alignment(horizontal="right")
            elif value is None or column.kind == "text" or isinstance(value, str):
                cell.value = safe_cell(value)
            else:
                cell.value = value / 100 if column.kind in PERCENT_KINDS else value
                cell.number_format = NUMBER_FORMATS.get(column.kind, "General")
    if table.withheld:
        row += 1
        ws.cell(row, 1, table.withheld)
    for note in table.notes:
        row += 1
        ws.cell(row, 1, note).font = x.note
    return row + 2


def report_xlsx(report: Report) -> bytes:
    """Sheets for the summary, subscales, items, knowledge, cohorts and trends."""
    x = _xlsx()
    workbook = x.Workbook()
    titles = _sheet_titles()
    filters = "; ".join(f"{name}: {value}" for name, value in report.description)
    for index, (sheet, keys) in enumerate(SHEETS):
        ws = workbook.active if index == 0 else workbook.create_sheet()
        ws.title = titles[sheet][:31]
        ws.cell(1, 1, report_title()).font = x.Font(bold=True, size=15)
        row = 2
        if sheet == "summary":
            ws.cell(row, 1, _("Generated")).font = x.bold
            ws.cell(row, 2, report.generated_at.strftime("%Y-%m-%d %H:%M UTC"))
            row += 1
            for line in _filter_lines(report):
                ws.cell(row, 1, line[0]).font = x.bold
                if len(line) > 1:
                    ws.cell(row, 2, line[1])
                row += 1
            row += 1
        else:
            ws.cell(row, 1, safe_cell(_("Filters: %(filters)s", filters=filters))).font = x.note
            row += 2
        for key in keys:
            row = _write_table(ws, row, report.tables[key], report.min_n)
        if sheet == "summary":
            ws.cell(row, 1, _("Methods and notes")).font = x.title
            for method in report.methods:
                row += 1
                ws.cell(row, 1, method)
        ws.column_dimensions["A"].width = 46
        for col in range(2, 20):
            ws.column_dimensions[x.get_column_letter(col)].width = 15
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# ---- de-identified respondent-level data ----------------------------------------------

NOT_APPLICABLE_CELL = "n/a"  # a policy item answered "not my role / not applicable"


class ExportRefused(Exception):
    """The file would let its reader pick out fewer than k trainees against an earlier file."""

    def __init__(self, verdict):
        super().__init__(verdict.reason)
        self.verdict = verdict


def research_csv(f: Filters, k: int = 5, viewer_id: int | None = None) -> tuple[bytes, int]:
    """One row per survey answered, keyed scores by item; returns (file, rows).

    With a viewer, the file is first checked against the files they were already given
    (lms.privacy.disclosure.check_rows; ExportRefused if it fails), then its trainees are
    written to the release log.

    Trainees and cohorts appear only as pseudonyms: an HMAC of their id with a random salt
    made for this export and then forgotten, so IDs are stable within the file and cannot be
    linked to another export or back to a person. No names, logins or phone numbers. The
    quasi-identifiers (cohort, audience, province, period, organisation type) are generalised
    until each combination describes at least k trainees (lms.privacy.anonymity).
    """
    salt = secrets.token_bytes(32)

    def pseudonym(kind: str, number: int) -> str:
        digest = hmac.new(salt, f"{kind}:{number}".encode(), hashlib.sha256).hexdigest()
        return f"{kind[0].upper()}-{digest[:12]}"

    items, _subscales = instrument(f)
    keys = [i.key for i in sorted(items.values(), key=lambda i: (i.kind != "likert", i.position))]
    scope = queries.scope_response_ids(f)
    responses = db.session.execute(
        select(
            SurveyResponse.id,
            SurveyResponse.enrolment_id,
            SurveyResponse.phase,
            SurveyResponse.source,
            SurveyVersion.number,
            Enrolment.cohort_id,
            Cohort.audience,
            Cohort.province,
            Cohort.start_date,
            User.org_type,
        )
        .join(SurveyVersion, SurveyVersion.id == SurveyResponse.version_id)
        .join(Enrolment, Enrolment.id == SurveyResponse.enrolment_id)
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .outerjoin(User, User.id == Enrolment.user_id)  # anonymous: no account
        .where(SurveyResponse.id.in_(scope))
    ).all()
    scores: dict[int, dict[str, int | str]] = defaultdict(dict)
    for response_id, key, score in db.session.execute(
        select(Answer.response_id, SurveyItem.key, Answer.score)
        .join(SurveyItem, SurveyItem.id == Answer.item_id)
        .where(Answer.response_id.in_(scope))
    ):
        # "Not my role" is an answer, not a gap: it must not read as a question left blank.
        scores[response_id][key] = NOT_APPLICABLE_CELL if score is None else score
    people = k_anonymise(
        {
            r.enrolment_id: {
                "cohort": pseudonym("cohort", r.cohort_id),
                "audience": r.audience,
                "province": r.province,
                "org_type": r.org_type or "",
                "period": f"{r.start_date.year}-Q{(r.start_date.month - 1) // 3 + 1}",
            }
            for r in responses
        },
        k,
    )
    rows = [
        [
            pseudonym("trainee", r.enrolment_id),
            *(people[r.enrolment_id][q] for q in ("cohort", "audience", "province", "org_type")),
            r.phase,
            r.source,
            r.number,
            people[r.enrolment_id]["period"],
            *(scores[r.id].get(key, "") for key in keys),
        ]
        for r in responses
        if r.enrolment_id in people
    ]
    if viewer_id is not None:
        units = {RESEARCH: frozenset(people)}
        for r in responses:
            if r.enrolment_id in people:
                units.setdefault(RESEARCH_PHASES[r.phase], set()).add(r.enrolment_id)
        units = {category: frozenset(members) for category, members in units.items()}
        verdict = check_rows(units, k, viewer_id)
        if not verdict:
            raise ExportRefused(verdict)
        for category, members in units.items():
            record(members, (category,), viewer_id)
    rows.sort(key=lambda row: (row[0], row[5] != "pre"))  # random order, pre before post
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "pseudonym",
            "cohort",
            "audience",
            "province",
            "org_type",
            "phase",
            "source",
            "version",
            "period",
            *keys,
        ]
    )
    writer.writerows(safe_row(row) for row in rows)
    return out.getvalue().encode("utf-8-sig"), len(rows)
