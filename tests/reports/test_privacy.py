"""Small-cell suppression, including complementary suppression across rows and columns."""

import pytest

from lms.reports.privacy import suppress, suppress_table, visible


def test_visible():
    assert visible(0, 5) and visible(5, 5) and visible(120, 5)
    assert not visible(1, 5) and not visible(4, 5) and not visible(None, 5)


def test_single_small_cell_with_total_triggers_complement():
    # 3 + 10 + 12 + 0 = 25 is published, so hiding only the 3 would reveal it: 25 - 22.
    out = suppress({"a": 3, "b": 10, "c": 12, "d": 0}, 5, total=25)
    assert out == {"a": None, "b": None, "c": 12, "d": 0}


def test_single_small_cell_without_total_needs_no_complement():
    assert suppress({"a": 3, "b": 10, "c": 12}, 5) == {"a": None, "b": 10, "c": 12}


def test_two_small_cells_need_no_extra():
    out = suppress({"a": 3, "b": 2, "c": 12, "d": 30}, 5, total=47)
    assert out == {"a": None, "b": None, "c": 12, "d": 30}


def test_zero_counts_are_shown():
    assert suppress({"a": 0, "b": 0, "c": 7}, 5, total=7) == {"a": 0, "b": 0, "c": 7}


def test_complement_skips_zero_cells_when_it_can():
    out = suppress({"a": 4, "b": 0, "c": 9, "d": 6}, 5, total=19)
    assert out == {"a": None, "b": 0, "c": 9, "d": None}


def test_complement_falls_back_to_a_zero_cell():
    # Only a zero is left to hide; hiding it still stops "total - visible" recovering the 3.
    assert suppress({"a": 3, "b": 0}, 5, total=3) == {"a": None, "b": None}


def test_complement_tie_takes_first_cell():
    assert suppress({"a": 2, "b": 8, "c": 8}, 5, total=18) == {"a": None, "b": None, "c": 8}


def test_already_hidden_cell_counts_as_suppressed():
    assert suppress({"a": None, "b": 6, "c": 9}, 5, total=17) == {"a": None, "b": None, "c": 9}


def test_min_n_one_hides_nothing_and_input_is_untouched():
    cells = {"a": 1, "b": 2}
    assert suppress(cells, 1, total=3) == {"a": 1, "b": 2}
    suppress(cells, 5, total=3)
    assert cells == {"a": 1, "b": 2}


def test_negative_count_is_an_error():
    with pytest.raises(ValueError):
        suppress({"a": -1}, 5)


def assert_protected(rows, count_keys, total_key):
    """No row with a shown total and no column has exactly one hidden cell."""
    for row in rows:
        if total_key and row[total_key] is not None:
            assert sum(row[k] is None for k in count_keys) != 1, row
    for k in [*count_keys, *([total_key] if total_key else [])]:
        assert sum(row[k] is None for row in rows) != 1, k


def test_table_row_and_column_complements():
    rows = [
        {"group": "x", "a": 3, "b": 10, "total": 13},
        {"group": "y", "a": 8, "b": 9, "total": 17},
        {"group": "z", "a": 7, "b": 20, "total": 27},
    ]
    out = suppress_table(rows, ["a", "b"], 5, "total")
    # Row x hides b to protect a; column a then hides z's 7 (smallest), and column b
    # chooses row z because z already has a hidden cell, which closes both gaps at once.
    assert out == [
        {"group": "x", "a": None, "b": None, "total": 13},
        {"group": "y", "a": 8, "b": 9, "total": 17},
        {"group": "z", "a": None, "b": None, "total": 27},
    ]
    assert_protected(out, ["a", "b"], "total")
    assert rows[0]["a"] == 3  # input rows are not modified


def test_table_without_row_totals_protects_columns_only():
    rows = [
        {"g": "x", "a": 3, "b": 10, "c": 12},
        {"g": "y", "a": 8, "b": 9, "c": 30},
        {"g": "z", "a": 7, "b": 20, "c": 40},
    ]
    out = suppress_table(rows, ["a", "b", "c"], 5)
    assert [r["a"] for r in out] == [None, 8, None]
    assert [(r["b"], r["c"]) for r in out] == [(10, 12), (9, 30), (20, 40)]


def test_table_without_any_totals_hides_only_small_cells():
    rows = [{"a": 3, "b": 10}, {"a": 8, "b": 9}]
    out = suppress_table(rows, ["a", "b"], 5, column_totals=False)
    assert out == [{"a": None, "b": 10}, {"a": 8, "b": 9}]


def test_table_two_small_cells_in_a_column_need_no_extra():
    rows = [{"a": 3, "b": 0}, {"a": 4, "b": 0}, {"a": 9, "b": 0}]
    out = suppress_table(rows, ["a", "b"], 5)
    assert out == [{"a": None, "b": 0}, {"a": None, "b": 0}, {"a": 9, "b": 0}]


def test_table_small_row_total_is_hidden_too():
    rows = [
        {"g": "x", "a": 2, "b": 1, "t": 3},
        {"g": "y", "a": 10, "b": 12, "t": 22},
        {"g": "z", "a": 9, "b": 15, "t": 24},
    ]
    out = suppress_table(rows, ["a", "b"], 5, "t")
    assert out[0] == {"g": "x", "a": None, "b": None, "t": None}
    assert out[1] == {"g": "y", "a": 10, "b": 12, "t": 22}
    assert out[2] == {"g": "z", "a": None, "b": None, "t": None}
    assert_protected(out, ["a", "b"], "t")


def test_table_with_no_small_cells_is_unchanged():
    rows = [{"a": 5, "b": 0, "t": 5}, {"a": 6, "b": 7, "t": 13}]
    assert suppress_table(rows, ["a", "b"], 5, "t") == rows
