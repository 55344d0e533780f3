"""Cells for exported CSV and XLSX files that a spreadsheet never runs as a formula."""

# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection"):
# a trainee named "=HYPERLINK(...)" must stay text in every export.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value):
    """Text that could start a formula gets a leading apostrophe; other values pass through."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_row(values) -> list:
    return [safe_cell(value) for value in values]
