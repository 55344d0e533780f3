"""Reading released figures back out of exports, and trying to difference them."""

import csv
import io
from itertools import combinations

OVERALL = "Overall (all core items)"


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def table_rows(rows: list[list[str]], title: str) -> tuple[list[str], list[list[str]]]:
    """The header and the rows of one table of the report CSV (rows may be a withheld line)."""
    start = rows.index([title]) + 1
    end = rows.index([], start)
    return rows[start], rows[start + 1 : end]


def overall(data: bytes) -> dict | None:
    """(n, mean before, mean after) of the overall paired row, or None if not shown."""
    header, rows = table_rows(csv_rows(data), "Attitude change by subscale")
    for row in rows:
        if row[0] == OVERALL and len(row) == len(header):
            figures = dict(zip(header, row, strict=True))
            try:
                return {
                    "n": int(figures["n (matched)"]),
                    "pre": float(figures["Before: mean"]),
                    "post": float(figures["After: mean"]),
                }
            except ValueError:  # "fewer than 5", "hidden"
                return None
    return None


def withheld_line(data: bytes, title: str = "Attitude change by subscale") -> str | None:
    _header, rows = table_rows(csv_rows(data), title)
    lines = [row[0] for row in rows if len(row) == 1 and row[0].startswith("Not shown")]
    return lines[0] if lines else None


def recoveries(released: list[dict], keys=("pre", "post")) -> list[dict]:
    """Every group of 1..4 trainees that two released figures would isolate, with the mean
    the difference gives for it: (n1·m1 − n2·m2) / (n1 − n2)."""
    found = []
    for a, b in combinations([r for r in released if r], 2):
        big, small = (a, b) if a["n"] >= b["n"] else (b, a)
        d = big["n"] - small["n"]
        if 0 < d < 5:
            found.append({"n": d, **{k: (big["n"] * big[k] - small["n"] * small[k]) / d for k in keys}})
    return found


def assert_nothing_recovered(released: list[dict], truth: dict, keys=("pre", "post")) -> None:
    """No pair of released figures gives the victim's value exactly or within 0.5."""
    for found in recoveries(released, keys):
        for k in keys:
            assert abs(found[k] - truth[k]) > 0.5, (found, truth)
