"""Small-cell suppression so published counts cannot single out a learner."""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping, Sequence
from typing import Any, TypeVar

K = TypeVar("K", bound=Hashable)


def visible(n: int | None, min_n: int) -> bool:
    """Return True if a count may be shown: zero, or at least min_n (None is hidden)."""
    return n is not None and (n == 0 or n >= min_n)


def _primary(n: int | None, min_n: int) -> int | None:
    """Hide a count of 1..min_n-1; zero reveals nobody, so it stays."""
    if n is not None and n < 0:
        raise ValueError(f"counts cannot be negative: {n}")
    return n if visible(n, min_n) else None


def _complement(cells: dict[K, int | None], total_shown: bool, prefer: Collection[K] = ()) -> bool:
    """Hide one more cell if a lone hidden cell could be recovered; return True if changed."""
    # With a shown total, a single hidden cell equals total minus the visible cells.
    if not total_shown or sum(v is None for v in cells.values()) != 1:
        return False
    shown = [(v, i, k) for i, (k, v) in enumerate(cells.items()) if v is not None]
    # Hide the smallest non-zero cell (least information lost), among `prefer` first; hide
    # a zero only if nothing else is left, since nobody can tell a hidden cell is zero.
    nonzero = [c for c in shown if c[0] > 0]
    candidates = [c for c in nonzero if c[2] in prefer] or nonzero or shown
    if not candidates:
        return False
    cells[min(candidates)[2]] = None
    return True


def suppress(cells: Mapping[K, int | None], min_n: int, total: int | None = None) -> dict[K, int | None]:
    """Return cells with small counts (and one complement if needed) replaced by None."""
    out = {k: _primary(v, min_n) for k, v in cells.items()}
    _complement(out, total is not None)
    return out


def suppress_table(
    rows: Sequence[Mapping[str, Any]],
    count_keys: Sequence[str],
    min_n: int,
    total_key: str | None = None,
    *,
    column_totals: bool = True,
) -> list[dict[str, Any]]:
    """Return copies of rows with small cells hidden, protected across rows and columns.

    A row's cells are protected against its total_key value; each column against its
    column total (assumed shown unless column_totals=False). Row totals are counts too.
    """
    keys = [*count_keys, total_key] if total_key else list(count_keys)
    out = [dict(r) for r in rows]
    for row in out:
        for k in keys:
            row[k] = _primary(row[k], min_n)
    # Complements go where a line already has a hidden cell when possible: that closes
    # both gaps at once instead of cascading suppression across the whole table.
    changed = True
    while changed:  # each pass only hides cells, so this stops
        changed = False
        for row in out:
            group = {k: row[k] for k in count_keys}
            hidden_cols = {k for k in keys if any(r[k] is None for r in out if r is not row)}
            total_shown = total_key is not None and row[total_key] is not None
            if _complement(group, total_shown, hidden_cols):
                row.update(group)
                changed = True
        if column_totals:
            for k in keys:
                column = {i: row[k] for i, row in enumerate(out)}
                hidden_rows = {i for i, r in enumerate(out) if any(r[j] is None for j in keys if j != k)}
                if _complement(column, True, hidden_rows):
                    for i, v in column.items():
                        out[i][k] = v
                    changed = True
    return out
