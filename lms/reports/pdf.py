"""The report as a PDF. ReportLab and the layout in lms.reports.pdf_render load with the first
PDF, not at start-up: importing them costs every worker time and memory that trainees' pages
never use."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lms.reports.services import Report


def report_pdf(report: Report, lang: str) -> bytes:
    """Render the whole report; byte-for-byte the same for the same figures."""
    from lms.reports.pdf_render import report_pdf as render

    return render(report, lang)
