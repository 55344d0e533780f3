"""Report tables: one structure that the page, CSV, Excel and PDF all render the same way."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from flask import current_app, g, has_app_context
from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _


class Hidden:
    """A suppressed figure: too few trainees ("small"), or hidden to protect one ("complement")."""

    def __init__(self, reason: str):
        self.reason = reason

    def __repr__(self) -> str:
        return f"<Hidden {self.reason}>"


SMALL = Hidden("small")
COMPLEMENT = Hidden("complement")
SPLIT = Hidden("split")  # would differ by fewer than min_n from a larger group one can see
OVERLAP = Hidden("overlap")  # would differ by fewer than min_n from figures already shown

# How each kind of figure is written for people, and its Excel number format.
NUMBER_FORMATS = {
    "count": "#,##0",
    "mean": "0.00",
    "sd": "0.00",
    "alpha": "0.00",
    "dz": "0.00",
    "stat": "0.00",
    "change": "+0.00;-0.00;0.00",
    # three significant figures: scientific below 0.001, then 4 and 3 decimals
    "p": "[<0.001]0.00E+00;[<0.01]0.00000;0.0000",
    # Excel holds every percentage figure as a fraction shown as % (one unit per row: a
    # knowledge row's mean, SD, change and CI alike); CSV and the page write 0-100.
    "percent": "0.0%",
    "pp": "+0.0%;-0.0%;0.0%",
    "points": "0.0%",
}


@dataclass
class Column:
    key: str
    label: str
    kind: str = "text"  # text|count|mean|sd|alpha|dz|stat|change|p|percent|pp|points


@dataclass
class Table:
    """Rows are dicts keyed by column key; values are numbers, text, None (not computable)
    or a Hidden marker. `compact` merges columns for reading ("3.10 (0.52)") on the page and
    in the PDF; the CSV and Excel files keep every column separate and numeric."""

    key: str
    title: str
    columns: list[Column]
    rows: list[dict]
    notes: list[str] = field(default_factory=list)
    compact: list[tuple[str, tuple[str, ...], str]] | None = None
    withheld: str | None = None  # why the whole table is not shown, in one line

    @property
    def empty_text(self) -> str:
        """The line shown where the table has no rows."""
        return self.withheld or _("No data for these filters.")

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


def hidden_text(marker: Hidden, min_n: int) -> str:
    if marker.reason == "small":
        return _("fewer than %(n)s", n=min_n)
    return _("hidden")


P_STYLES = ("exact", "threshold")
SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def p_style() -> str:
    """ "exact" (three significant figures) or "threshold" ("< 0.001"): the request's choice
    (g.p_style, set by the report routes) or REPORT_P_STYLE."""
    if not has_app_context():
        return "exact"
    style = g.get("p_style") or current_app.config.get("REPORT_P_STYLE", "exact")
    return style if style in P_STYLES else "exact"


def p_text(value: float, style: str | None = None) -> str:
    """A p-value to three significant figures ("0.0432", "0.000123", "1.23 × 10⁻⁸"), or
    "< 0.001" for anything smaller in the threshold style."""
    style = style or p_style()
    if value < 0.001 and style == "threshold":
        return "< " + format_decimal(0.001, format="0.000")
    if value <= 0:
        return format_decimal(0, format="0")
    if value >= 0.9995:
        return format_decimal(1, format="0.00")
    exponent = math.floor(math.log10(value))
    if exponent >= -4:  # up to four zeros after the point read well
        decimals = max(2 - exponent, 2)
        return format_decimal(round(value, decimals), format="0." + "0" * decimals)
    mantissa = value / 10**exponent
    if round(mantissa, 2) >= 10:
        mantissa, exponent = mantissa / 10, exponent + 1
    return f"{format_decimal(mantissa, format='0.00')} × 10{str(exponent).translate(SUPERSCRIPT)}"


def number_text(value, kind: str) -> str:
    """A figure written for people in the current language (decimal comma in Vietnamese)."""
    if kind == "count":
        return format_decimal(value, format="#,##0")
    if kind == "change":
        return format_decimal(value, format="+0.00;-0.00")
    if kind == "pp":
        return format_decimal(value, format="+0.0;-0.0")
    if kind == "points":
        return format_decimal(value, format="0.0")
    if kind == "p":
        return p_text(value)
    if kind == "percent":
        return format_percent(value / 100, format="0.0%")
    return format_decimal(value, format="0.00")


def cell_text(value, kind: str, min_n: int) -> str:
    if isinstance(value, Hidden):
        return hidden_text(value, min_n)
    if value is None:
        return "–"
    if kind == "text" or isinstance(value, str):
        return str(value)
    return number_text(value, kind)


def _compact_cell(row: dict, table: Table, keys: tuple[str, ...], pattern: str, min_n: int) -> str:
    values = [row.get(k) for k in keys]
    hidden = next((v for v in values if isinstance(v, Hidden)), None)
    if hidden is not None:
        return hidden_text(hidden, min_n)
    if values[0] is None:
        return "–"
    texts = [cell_text(v, table.column(k).kind, min_n) for k, v in zip(keys, values, strict=True)]
    if any(v is None for v in values[1:]):
        return texts[0]  # e.g. no CI when every trainee changed by the same amount
    return pattern.format(*texts)


def display(table: Table, min_n: int) -> tuple[list[str], list[list[str]], list[bool]]:
    """Headers, rows of text and which columns are numeric, for the page and the PDF."""
    if table.compact is None:
        headers = [c.label for c in table.columns]
        numeric = [c.kind != "text" for c in table.columns]
        rows = [[cell_text(row.get(c.key), c.kind, min_n) for c in table.columns] for row in table.rows]
        return headers, rows, numeric
    headers = [label for label, _keys, _pattern in table.compact]
    numeric = [table.column(keys[0]).kind != "text" for _label, keys, _pattern in table.compact]
    rows = [
        [_compact_cell(row, table, keys, pattern, min_n) for _label, keys, pattern in table.compact]
        for row in table.rows
    ]
    return headers, rows, numeric
