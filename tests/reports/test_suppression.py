"""Small groups never show: on the page, in every export, with complements so totals do not
give them away."""

import csv
import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from tests.conftest import get_file
from tests.reports.helpers import html_table

HANOI_MARCH = datetime(2026, 3, 10, 3, tzinfo=UTC)


@pytest.fixture
def three_provinces(make_cohort, bulk_surveys):
    """Hà Nội: 12 enrolled, 10 answered before, 9 matched (police, March).
    Hồ Chí Minh: 3 enrolled, 2 matched (05-06 centre staff, April).
    Đà Nẵng: 8 enrolled, 6 matched (NGO/CBO, May)."""
    hanoi = make_cohort(trainees=2, name="Công an Hà Nội", province="ha-noi", audience="police")
    bulk_surveys(hanoi, 9, submitted=HANOI_MARCH)
    bulk_surveys(hanoi, 1, phases=("pre",))
    saigon = make_cohort(name="Trung tâm 05-06 TP.HCM", province="ho-chi-minh", audience="centre_staff")
    bulk_surveys(saigon, 2, submitted=datetime(2026, 4, 10, 3, tzinfo=UTC))
    bulk_surveys(saigon, 1, phases=("pre",))
    danang = make_cohort(trainees=0, name="Nhóm cộng đồng Đà Nẵng", province="da-nang", audience="ngo_cbo")
    bulk_surveys(danang, 6, submitted=datetime(2026, 5, 10, 3, tzinfo=UTC))
    bulk_surveys(danang, 2, phases=("pre",))
    return hanoi, saigon, danang


@pytest.fixture
def staff_en(client, auth, make_user):
    auth.login(make_user("staff", language="en"))
    return client


COUNTS = ("Enrolled", "Survey before done", "Survey after done", "Both surveys (matched)")


def assert_protected(rows, columns):
    """No column has exactly one hidden cell (it would be the total minus the others)."""
    for column in columns:
        hidden = [r for r in rows if r[column] in ("fewer than 5", "hidden")]
        assert len(hidden) != 1, column


def test_overview_by_province_hides_small_cells_and_their_complements(staff_en, three_provinces):
    page = staff_en.get("/reports").get_data(as_text=True)
    provinces = {r["Province or city"]: r for r in html_table(page, "provinces")}
    hanoi, saigon, danang = (provinces[name] for name in ("Hanoi", "Ho Chi Minh City", "Da Nang"))
    assert [hanoi[c] for c in COUNTS] == ["12", "10", "9", "9"]
    assert [saigon[c] for c in COUNTS] == ["fewer than 5"] * 4
    # Đà Nẵng is not small, but shown next to the totals it would reveal Hồ Chí Minh City.
    assert [danang[c] for c in COUNTS] == ["hidden"] * 4
    assert saigon["Certificates"] == danang["Certificates"] == "0"  # zero reveals nobody
    assert_protected(provinces.values(), COUNTS)
    total = html_table(page, "overview")[0]
    assert [total[c] for c in COUNTS] == ["23", "21", "17", "17"]
    cohorts = {r["Cohort"]: r for r in html_table(page, "cohorts")}
    assert cohorts["Trung tâm 05-06 TP.HCM"]["Enrolled"] == "fewer than 5"
    assert_protected(cohorts.values(), COUNTS)


def test_statistics_of_fewer_than_five_matched_trainees_are_hidden(staff_en, three_provinces):
    _hanoi, saigon, _danang = three_provinces
    page = staff_en.get(f"/reports?cohort={saigon.id}").get_data(as_text=True)
    for key in (
        "subscales",
        "subscale_means",
        "items",
        "audience_items",
        "knowledge_items",
        "knowledge_total",
        "trend",
        "audiences_change",
    ):
        for row in html_table(page, key):
            figures = list(row.values())[1:]
            if key in ("items", "audience_items"):
                figures = figures[1:]  # the item after its group
            assert set(figures) <= {"fewer than 5", "–"}, (key, row)
    alpha = html_table(page, "alpha")
    assert {r["Alpha before"] for r in alpha} == {"fewer than 5"}


def test_groups_that_split_a_total_hide_one_more(staff_en, three_provinces):
    page = staff_en.get("/reports").get_data(as_text=True)
    audiences = {r["Audience"]: r for r in html_table(page, "audiences_change")}
    assert audiences["Police"]["n"] == "9"
    assert audiences["05-06 centre staff"]["n"] == "fewer than 5"
    assert set(audiences["05-06 centre staff"].values()) == {"05-06 centre staff", "fewer than 5"}
    # NGO/CBO (6 matched) would be the overall mean minus the others: hidden too.
    assert audiences["NGO / CBO workers"]["n"] == "hidden"
    trend = {r["Period"]: r for r in html_table(page, "trend")}
    assert trend["2026-03"]["n (matched)"] == "9"
    assert trend["2026-04"]["n (matched)"] == "fewer than 5"
    assert trend["2026-05"]["Before: mean"] == "hidden"


def test_exports_hide_the_same_cells(staff_en, three_provinces):
    text = get_file(staff_en, "/reports/export.csv").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    saigon = next(r for r in rows if r and r[0] == "Ho Chi Minh City")
    danang = next(r for r in rows if r and r[0] == "Da Nang")
    assert saigon[1:5] == ["fewer than 5"] * 4 and danang[1:5] == ["hidden"] * 4
    book = load_workbook(io.BytesIO(get_file(staff_en, "/reports/export.xlsx").data))
    values = [[c.value for c in r] for r in book["Cohorts"].iter_rows()]
    saigon = next(r for r in values if r[0] == "Ho Chi Minh City")
    assert saigon[1:5] == ["fewer than 5"] * 4
    audience = next(
        r
        for r in [[c.value for c in r] for r in book["Subscales"].iter_rows()]
        if r[0] == "05-06 centre staff"
    )
    assert set(audience[1:]) == {"fewer than 5"}


def test_the_smallest_group_shown_is_configurable(app, staff_en, three_provinces):
    app.config["REPORT_MIN_N"] = 2
    page = staff_en.get("/reports").get_data(as_text=True)
    provinces = {r["Province or city"]: r for r in html_table(page, "provinces")}
    assert provinces["Ho Chi Minh City"]["Enrolled"] == "3"
    assert "fewer than 2 trainees" in page
