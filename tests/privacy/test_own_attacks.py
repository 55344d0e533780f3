"""More differencing attacks, through HTTP as programme staff: successive periods, province
against cohort, knowledge items, the charts' data tables and the PDF."""

import re
from datetime import UTC, date, datetime

import pytest

from tests.conftest import get_file
from tests.pdf.helpers import pdf_text
from tests.privacy.helpers import (
    assert_nothing_recovered,
    csv_rows,
    overall,
    recoveries,
    table_rows,
    withheld_line,
)
from tests.reports.helpers import html_table

VICTIM = {"pre": 1.0, "post": 2.0}  # everyone else answers 4 before and 5 after


def test_successive_date_ranges_are_refused_against_what_was_seen(staff, make_cohort, trainees):
    march = make_cohort(name="Tháng Ba", start_date=date(2026, 3, 2))
    april = make_cohort(name="Tháng Tư", start_date=date(2026, 4, 6))
    may = make_cohort(name="Tháng Năm", start_date=date(2026, 5, 4), province="da-nang")
    trainees(march, 6)
    trainees(april, 1, pre=1, post=2)
    trainees(may, 10)
    until_march = get_file(staff, "/reports/export.csv?date_to=2026-03-31").data
    until_april = get_file(staff, "/reports/export.csv?date_to=2026-04-30").data
    assert overall(until_march)["n"] == 6  # 11 later trainees left out: safe on its own
    assert overall(until_april) is None  # one more than a group already seen
    line = withheld_line(until_april)
    assert "differ by fewer than 5 people from a group whose figures you were shown" in line
    released = [overall(until_march), overall(until_april)]
    # The same two ranges asked the other way round by a colleague: the first one wins.
    assert_nothing_recovered(released, VICTIM)


def test_a_report_seen_again_after_one_more_answer_is_refused(
    staff, make_cohort, trainees, make_user, answer_survey
):
    cohort = make_cohort(name="Đang diễn ra")
    trainees(cohort, 8)
    before = overall(get_file(staff, "/reports/export.csv").data)
    late = trainees(cohort, 1, pre=1, post=2, phases=("pre",))[0]
    answer_survey(late, "post", lambda item: 2)
    after = overall(get_file(staff, "/reports/export.csv").data)
    assert before["n"] == 8 and after is None
    trainees(cohort, 4)  # five new since the figures were seen: shown again
    again = overall(get_file(staff, "/reports/export.csv").data)
    assert again["n"] == 13
    assert recoveries([before, after, again]) == []


def test_trend_periods_seen_before_cannot_be_differenced(staff, make_cohort, bulk_surveys):
    cohort = make_cohort(name="Theo tháng")
    march = datetime(2026, 3, 10, 3, tzinfo=UTC)
    bulk_surveys(cohort, 6, submitted=march, seed=2)
    first = csv_rows(get_file(staff, "/reports/export.csv").data)
    bulk_surveys(cohort, 1, submitted=march, seed=3)  # a late paper survey from March
    bulk_surveys(cohort, 5, submitted=datetime(2026, 4, 10, 3, tzinfo=UTC), seed=4)
    second = csv_rows(get_file(staff, "/reports/export.csv").data)
    title = "Mean overall score by period of the survey after"
    _header, rows = table_rows(first, title)
    assert rows[0][:2] == ["2026-03", "6"]
    _header, rows = table_rows(second, title)
    periods = {row[0]: row for row in rows if len(row) > 2}
    # March (7 now, 6 seen) is hidden, and April with it, or April = total − March.
    assert periods["2026-03"][1] == periods["2026-04"][1] == "hidden"
    assert any("“Hidden” rows differ by fewer than 5" in row[0] for row in rows)


def test_province_against_cohort(staff, make_cohort, trainees):
    hanoi = make_cohort(name="Hà Nội A", province="ha-noi")
    lone = make_cohort(name="Hà Nội B", province="ha-noi")
    elsewhere = make_cohort(name="Đà Nẵng", province="da-nang")
    trainees(hanoi, 6)
    trainees(lone, 1, pre=1, post=2)
    trainees(elsewhere, 10)
    province = overall(get_file(staff, "/reports/export.csv?province=ha-noi").data)
    cohort = get_file(staff, f"/reports/export.csv?cohort={hanoi.id}").data
    assert province["n"] == 7 and overall(cohort) is None
    assert "you were shown on" in withheld_line(cohort)
    assert_nothing_recovered([province, overall(cohort)], VICTIM)


def _knowledge(data: bytes) -> dict[str, tuple[int, float, float]]:
    header, rows = table_rows(csv_rows(data), "Knowledge check: correct answers by question")
    out = {}
    for row in rows:
        if len(row) == len(header) and row[1].isdigit():
            out[row[0]] = (int(row[1]), float(row[2]), float(row[3]))
    return out


@pytest.mark.usefixtures("instrument_v1")  # written for the first instrument's items
def test_knowledge_items_and_mcnemar_counts(staff, make_cohort, trainees, bulk_surveys):
    cohort = make_cohort(name="Kiến thức", audience="mixed")
    trainees(cohort, 5, org_type="police", knowledge=True)
    trainees(cohort, 1, org_type="ngo", pre=1, post=2, knowledge=False)
    whole = _knowledge(get_file(staff, f"/reports/export.csv?cohort={cohort.id}").data)
    police = get_file(staff, f"/reports/export.csv?cohort={cohort.id}&org_type=police").data
    assert whole and all(n == 6 for n, _pre, _post in whole.values())
    assert _knowledge(police) == {}
    assert withheld_line(police, "Knowledge check: correct answers by question")
    assert withheld_line(police, "Knowledge check: overall score")
    # One trainee skipped two items (a paper form): those items describe 10 of 11 trainees,
    # so their rows against the whole would give that trainee's other answers away.
    other = make_cohort(name="Trên giấy")
    trainees(other, 10)
    bulk_surveys(other, 1, keys={"A01", "A02", "A03", "K01"}, source="paper")
    data = get_file(staff, f"/reports/export.csv?cohort={other.id}").data
    header, rows = table_rows(csv_rows(data), "Attitude change by item (core items)")
    items = {row[1].split(" · ")[0]: row for row in rows if len(row) == len(header)}
    assert items["A01"][2] == "11" and items["A04"][2] == "hidden"
    knowledge = {
        row[0].split(" · ")[0]: row
        for row in table_rows(csv_rows(data), "Knowledge check: correct answers by question")[1]
        if len(row) > 2
    }
    assert knowledge["K01"][1] == "11" and knowledge["K02"][1] == "hidden"


@pytest.fixture
def split_cohort(make_cohort, trainees):
    cohort = make_cohort(name="Tách nhóm", audience="mixed")
    trainees(cohort, 5, pre=4, post=5, org_type="police")
    trainees(cohort, 1, pre=1, post=2, org_type="ngo")
    return cohort


def _numbers(text: str) -> set[str]:
    return set(re.findall(r"\d+[.,]\d\d", text))


@pytest.mark.usefixtures("instrument_v1")  # written for the first instrument's items
def test_the_charts_and_their_data_tables(staff, split_cohort):
    whole = staff.get(f"/reports?cohort={split_cohort.id}").text
    means = html_table(whole, "subscale_means")
    assert means and means[-1]["n"] == "6" and means[-1]["Before: mean [95% CI]"][:4] == "3.50"
    page = staff.get(f"/reports?cohort={split_cohort.id}&org_type=police").text
    assert html_table(page, "subscale_means") == []
    table = page[page.index('id="table-subscale_means"') :]
    assert "leave out fewer than 5 trainees" in table[: table.index("</table>")]
    for key in ("bars", "trend"):
        start = page.index(f'id="chart-{key}')
        chart = page[start : page.index("</svg>", start)]
        assert "4.00" not in chart and "5.00" not in chart  # the police officers' means
    assert "4.00" not in page and "5.00" not in page


@pytest.mark.usefixtures("instrument_v1")  # written for the first instrument's items
def test_the_pdf(staff, split_cohort):
    whole = pdf_text(get_file(staff, f"/reports/export.pdf?cohort={split_cohort.id}").data)
    police = pdf_text(staff.get(f"/reports/export.pdf?cohort={split_cohort.id}&org_type=police").data)
    flat = " ".join(police.split())
    assert "3.50" in whole and "4.50" in whole
    assert "leave out fewer than 5 trainees" in flat
    assert not {"4.00", "5.00", "+1.00"} & _numbers(police)
