"""CSV, Excel and PDF exports: contents, numbers, Vietnamese text, suppression, audit; and the
de-identified research export."""

import csv
import io
import re

import pytest
from flask_babel import force_locale, gettext
from openpyxl import load_workbook
from sqlalchemy import select

from lms.auth.models import AuditEvent
from lms.extensions import db
from tests.conftest import follow_job, get_file
from tests.pdf.helpers import pdf_text

# Written for the items of the first instrument: its answers stay valid and are reported.
pytestmark = pytest.mark.usefixtures("instrument_v1")


@pytest.fixture
def data(make_cohort, bulk_surveys):
    """A police cohort in Hà Nội with 40 matched trainees and 3 who only answered before, and
    a small 05-06 centre cohort in Huế with 3 matched."""
    hanoi = make_cohort(name="Công an phường Hoàn Kiếm — đợt 1", province="ha-noi")
    bulk_surveys(hanoi, 40, seed=4)
    bulk_surveys(hanoi, 3, phases=("pre",), seed=5)
    hue = make_cohort(name="Trung tâm 05-06 Huế", province="hue", audience="centre_staff")
    bulk_surveys(hue, 3, seed=6)
    return hanoi, hue


def login(auth, make_user, role="staff", language="en"):
    user = make_user(role, language=language)
    auth.login(user)
    return user


def csv_table(rows, title):
    """The header and data rows of one table in the sectioned CSV."""
    start = rows.index([title]) + 1
    end = rows.index([], start)
    return [r for r in rows[start:end] if not r[0].startswith("Method: ") and len(r) == len(rows[start])]


def audits(action):
    return db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    ).all()


def test_csv_has_bom_filters_numbers_and_hidden_cells(
    client, auth, make_user, data, make_cohort, bulk_surveys
):
    # Filtering on Hà Nội must leave out at least 5 trainees (3 in Huế + 5 here), or the
    # filtered figures would be withheld: all minus Hà Nội would reveal the rest.
    bulk_surveys(make_cohort(name="Đà Nẵng", province="da-nang"), 5, seed=7)
    login(auth, make_user)
    response = get_file(client, "/reports/export.csv?province=ha-noi&source=online")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert ["Province or city", "Hanoi"] in rows
    assert ["Data sources", "Online"] in rows
    assert ["Audience", "All"] in rows
    header, *table = csv_table(rows, "Attitude change by subscale")
    overall = dict(zip(header, table[-1], strict=True))
    assert overall["Subscale"] == "Overall (all core items)" and overall["n (matched)"] == "40"
    assert 1 <= float(overall["Before: mean"]) <= 5 and float(overall["Paired t-test p"]) < 0.05
    assert 0 <= float(overall["Improved (%)"]) <= 100
    unmatched = next(r for r in rows if r and r[0] == "Answered only the survey before")
    assert unmatched[1:] == ["fewer than 5"] * 3
    assert any("Paired t-test (two-sided)" in r[0] for r in rows if r)
    audit = audits("report_export")[-1]
    assert "format=csv" in audit.details and "province=ha-noi" in audit.details


def test_csv_in_vietnamese(client, auth, make_user, data):
    login(auth, make_user, language="vi")
    text = get_file(client, "/reports/export.csv").data.decode("utf-8-sig")
    assert "Đổ lỗi và phán xét đạo đức" in text and "Thành phố Hà Nội" in text
    assert "Công an phường Hoàn Kiếm — đợt 1" in text
    with force_locale("vi"):
        assert gettext("fewer than %(n)s", n=5) in text


def test_xlsx_sheets_headers_numbers_and_hidden_cells(client, auth, make_user, data):
    login(auth, make_user)
    response = get_file(client, "/reports/export.xlsx")
    assert response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Summary", "Subscales", "Items", "Knowledge", "Cohorts", "Trends"]
    summary = [[c.value for c in r] for r in book["Summary"].iter_rows()]
    assert ["Province or city", "All"] in [r[:2] for r in summary]
    sheet = list(book["Subscales"].iter_rows())
    title = next(i for i, r in enumerate(sheet) if r[0].value == "Attitude change by subscale")
    header_row = sheet[title + 1]
    assert all(c.font.b for c in header_row if c.value)
    overall = sheet[title + 6]  # four subscales, then the overall score
    assert overall[0].value == "Overall (all core items)" and overall[1].value == 43
    cells = {header_row[i].value: c for i, c in enumerate(overall) if header_row[i].value}
    assert cells["n (matched)"].data_type == "n"
    assert isinstance(cells["Before: mean"].value, float) and cells["Before: mean"].number_format == "0.00"
    assert 0 <= cells["Improved (%)"].value <= 1 and cells["Improved (%)"].number_format == "0.0%"
    assert "0.000" in cells["Paired t-test p"].number_format
    cohorts = [[c.value for c in r] for r in book["Cohorts"].iter_rows()]
    hue = next(r for r in cohorts if r[0] == "Trung tâm 05-06 Huế")
    assert hue[4:8] == ["fewer than 5"] * 4
    hanoi = next(r for r in cohorts if r[0] == "Công an phường Hoàn Kiếm — đợt 1")
    # With only two cohorts the total would give Huế away: Hà Nội is hidden as well.
    assert hanoi[4:8] == ["hidden"] * 4 and hanoi[8] == 0
    total = next(r for r in summary if r[0] == "All cohorts in this report")
    assert total[1:7] == [2, 46, 46, 43, 43, 0]
    knowledge = [[c.value for c in r] for r in book["Knowledge"].iter_rows()]
    assert any(isinstance(r[0], str) and r[0].startswith("K01 · ") for r in knowledge)
    assert "format=xlsx" in audits("report_export")[-1].details


@pytest.mark.parametrize("language", ["vi", "en"])
def test_pdf_in_the_ui_language_with_charts_and_hidden_cells(client, auth, make_user, data, language):
    login(auth, make_user, language=language)
    response = get_file(client, "/reports/export.pdf")
    assert response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    flat = " ".join(text.split())
    assert "Công an phường Hoàn Kiếm — đợt 1" in flat
    with force_locale(language):
        assert gettext("Attitude-change report") in flat
        assert gettext("fewer than %(n)s", n=5) in flat
        assert gettext("Paired t-test (two-sided)") in flat
    if language == "vi":
        assert "Đổ lỗi và phán xét đạo đức" in flat and "Thành phố Huế" in flat
        assert re.search(r"\d,\d\d \(\d,\d\d\)", flat)  # decimal commas: "2,61 (0,93)"
    else:
        assert "Blame and moral judgement" in flat
        assert re.search(r"\d\.\d\d \(\d\.\d\d\)", flat)
    # Charts are drawn into the PDF with their own labels.
    with force_locale(language):
        assert gettext("Participation: from enrolment to certificate").split()[0] in flat
    assert "format=pdf" in audits("report_export")[-1].details


def test_research_export_is_de_identified_and_audited(client, auth, make_user, data):
    staff = login(auth, make_user)
    page = client.get("/reports/research?province=ha-noi")
    assert page.status_code == 200
    assert (
        follow_job(client, client.post("/reports/research?province=ha-noi", data={"purpose": ""})).status_code
        == 422
    )
    assert audits("research_export") == []
    first = follow_job(
        client, client.post("/reports/research?province=ha-noi", data={"purpose": "Đánh giá của nhà tài trợ"})
    )
    assert first.status_code == 200 and first.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(first.data.decode("utf-8-sig"))))
    assert list(rows[0])[:8] == [
        "pseudonym",
        "cohort",
        "audience",
        "province",
        "org_type",
        "phase",
        "source",
        "version",
    ]
    assert {"A01", "A20", "P01", "K12"} <= set(rows[0])
    assert len(rows) == 40 * 2 + 3 and {r["province"] for r in rows} == {"ha-noi"}
    by_person: dict[str, list[str]] = {}
    for r in rows:
        by_person.setdefault(r["pseudonym"], []).append(r["phase"])
    assert sorted(map(sorted, by_person.values())).count(["post", "pre"]) == 40
    assert all(1 <= int(r["A01"]) <= 5 and r["K01"] in ("0", "1") for r in rows)
    from lms.auth.models import User

    raw = first.data.decode("utf-8-sig")
    for user in db.session.scalars(select(User)):
        assert user.username not in raw and user.full_name not in raw
    second = follow_job(client, client.post("/reports/research?province=ha-noi", data={"purpose": "Again"}))
    again = {r["pseudonym"] for r in csv.DictReader(io.StringIO(second.data.decode("utf-8-sig")))}
    assert not again & set(by_person)  # a new salt every export: files cannot be linked
    events = audits("research_export")
    assert len(events) == 2 and events[0].actor_id == staff.id
    assert events[0].reason == "Đánh giá của nhà tài trợ"
    assert "rows=83" in events[0].details and "province=ha-noi" in events[0].details


def test_research_export_is_for_programme_staff_only(client, auth, make_user, data):
    login(auth, make_user, role="facilitator")
    assert client.get("/reports/research").status_code == 403
    assert follow_job(client, client.post("/reports/research", data={"purpose": "x"})).status_code == 403
    assert audits("research_export") == []


def test_text_that_looks_like_a_formula_stays_text(client, auth, make_user, make_cohort, bulk_surveys):
    bulk_surveys(make_cohort(name='=HYPERLINK("http://evil.example","Lớp")'), 6)
    login(auth, make_user)
    text = get_file(client, "/reports/export.csv").data.decode("utf-8-sig")
    assert "'=HYPERLINK(" in text and "\n=HYPERLINK(" not in text
    book = load_workbook(io.BytesIO(get_file(client, "/reports/export.xlsx").data))
    cell = next(
        c
        for r in book["Cohorts"].iter_rows()
        for c in r
        if isinstance(c.value, str) and "HYPERLINK" in c.value
    )
    assert cell.data_type == "s"


def test_a_cohort_name_written_as_a_formula_stays_text_in_the_filter_lines(
    client, auth, make_user, make_cohort, bulk_surveys
):
    cohort = make_cohort(name='=HYPERLINK("http://evil.example","Lớp")')
    bulk_surveys(cohort, 6)
    login(auth, make_user)
    text = get_file(client, f"/reports/export.csv?cohort={cohort.id}").data.decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert any(cell.startswith("'=HYPERLINK(") for cell in cells)
    assert not [cell for cell in cells if cell.startswith(("=", "+", "@"))]
    book = load_workbook(io.BytesIO(get_file(client, f"/reports/export.xlsx?cohort={cohort.id}").data))
    cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert not [c.value for c in cells if isinstance(c.value, str) and c.value.startswith("=")]
