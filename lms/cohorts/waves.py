"""Follow-up waves of a cohort: scheduling them (months after the cohort's end date), and the
printable "come back" slip handed out at the end of the workshop."""

from __future__ import annotations

import calendar
import io
from datetime import date

from flask_babel import gettext as _

from lms.cohorts.models import Cohort
from lms.quizzes.models import FOLLOW_UPS

MAX_MONTHS = 36


class WaveError(ValueError):
    """A schedule that cannot be saved; the message is translated."""


def months_after(start: date, months: int) -> date:
    """The same day `months` later (the month's last day when it is shorter)."""
    month = start.month - 1 + months
    year, month = start.year + month // 12, month % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def schedule_waves(cohort: Cohort, months: dict[str, str]) -> None:
    """Schedule each follow-up wave `months[phase]` months after the cohort's end date (blank:
    not scheduled). Checks everything before changing anything; never commits."""
    parsed = {}
    for phase in FOLLOW_UPS:
        text = (months.get(phase.value) or "").strip()
        if not text:
            parsed[phase] = None
            continue
        if not text.isdigit() or not 1 <= int(text) <= MAX_MONTHS:
            raise WaveError(
                _("Months after the training must be a whole number from 1 to %(max)s.", max=MAX_MONTHS)
            )
        parsed[phase] = int(text)
    if parsed[FOLLOW_UPS[1]] is not None and (
        parsed[FOLLOW_UPS[0]] is None or parsed[FOLLOW_UPS[1]] <= parsed[FOLLOW_UPS[0]]
    ):
        raise WaveError(_("The second follow-up must come after the first."))
    for phase, value in parsed.items():
        cohort.schedule_wave(phase.value, None if value is None else months_after(cohort.end_date, value))


def scheduled_waves(cohort: Cohort) -> list[tuple[str, date]]:
    return [
        (phase.value, cohort.wave_date(phase.value))
        for phase in FOLLOW_UPS
        if cohort.wave_date(phase.value) is not None
    ]


def come_back_slips(cohort: Cohort, url: str, lines: list[str], count: int = 8) -> bytes:
    """Eight identical slips per A4 page: the cohort, when to come back, and a QR to the site."""
    import segno  # the PDF libraries load on the first slip sheet, not at start-up
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader

    from lms.pdf import INK, MUTED, SANS, SANS_BOLD, draw_wrapped, new_canvas

    buffer = io.BytesIO()
    c = new_canvas(buffer, A4, title=cohort.name)
    width, height = A4
    cell_w, cell_h = width / 2, height / 4
    qr = io.BytesIO()
    segno.make(url, error="m").save(qr, kind="png", scale=6, border=1)
    image = ImageReader(io.BytesIO(qr.getvalue()))
    for index in range(count):
        row, col = divmod(index % 8, 2)
        left, top = col * cell_w, height - row * cell_h
        c.drawImage(image, left + cell_w - 110, top - 118, 92, 92)
        c.setFillColor(INK)
        c.setFont(SANS_BOLD, 11)
        y = draw_wrapped(c, cohort.name, left + 18, top - 30, cell_w - 140, SANS_BOLD, 11)
        c.setFont(SANS, 9)
        for line in lines:
            y = draw_wrapped(c, line, left + 18, y - 6, cell_w - 140, SANS, 9)
        c.setFillColor(MUTED)
        c.setFont(SANS, 8)
        c.drawString(left + 18, top - cell_h + 16, url)
        if index % 8 == 7:
            c.showPage()
    c.save()
    return buffer.getvalue()
