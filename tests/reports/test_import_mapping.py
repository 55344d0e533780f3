"""The historical import's mapping step: files whose headings are not the platform's IDs
(the question's wording, "Q1" … "Q20", Vietnamese headings) are mapped column by column, and
value by value in a long file, over HTTP without JavaScript; undone imports can be redone and
their cohorts leave the lists."""

import csv
import io
import re

import pytest
from sqlalchemy import func, select

from lms.cohorts.models import Cohort
from lms.extensions import db
from lms.quizzes.instrument import current_version
from lms.quizzes.models import Answer, SurveyResponse
from lms.reports.figures import OVERALL
from tests.reports.conftest import report_for, row
from tests.reports.test_import import (
    COHORT,
    COLUMNS,
    POLICE_KEYS,
    POST,
    PRE,
    confirm,
    counts,
    history_rows,
    instance_in_tmp,  # noqa: F401 (autouse fixture)
    staff,  # noqa: F401 (fixture)
    to_csv,
    upload,
)

pytestmark = pytest.mark.usefixtures("instrument_v1", "staff")

ATTITUDES = [f"A{n:02d}" for n in range(1, 21)]
# The headings a provincial office used, in the platform's column order.
LOCAL = [
    "Lớp tập huấn",
    "Đối tượng",
    "Tỉnh",
    "Ngày khai giảng",
    "Mã học viên",
    "Cơ quan",
    "Đợt",
    "Ngày khảo sát",
]


def write_csv(lines: list[list]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(lines)
    return out.getvalue().encode("utf-8-sig")


def token_of(page: str) -> str:
    return re.search(r'action="/reports/import/mapping/([A-Za-z0-9_-]+)"', page).group(1)


def overall(app):
    with app.test_request_context("/?lang=en"):
        return row(report_for().tables["subscales"], key=OVERALL)


def test_question_wording_as_headings_is_recognised_without_a_mapping_step(app, client):
    items = {i.key: i for i in current_version().items}
    headings = [items[k].text_vi if n % 2 else items[k].text_en for n, k in enumerate(POLICE_KEYS)]
    rows = [[r[c] for c in COLUMNS] + [r[k] for k in POLICE_KEYS] for r in history_rows()]
    preview = upload(client, write_csv([[*COLUMNS, *headings], *rows]))
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200, page
    assert "Import 12 surveys" in page and items["A02"].text_vi in page  # "In the file"
    assert confirm(client, preview).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Answer)) == 12 * len(POLICE_KEYS)
    assert overall(app)["n"] == 6


def test_a_long_file_naming_its_questions_by_wording_needs_no_mapping_step(app, client):
    items = {i.key: i for i in current_version().items}
    lines = [[*COLUMNS, "item", "value"]]
    for survey in history_rows():
        for key in ATTITUDES:
            lines.append([*(survey[c] for c in COLUMNS), items[key].text_en.upper(), survey[key]])
    preview = upload(client, write_csv(lines))
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200, page
    assert "Import 12 surveys" in page
    assert confirm(client, preview).status_code == 302
    assert overall(app)["n"] == 6


def long_file_with_numbered_questions() -> bytes:
    """One row per trainee, survey and question; the questions numbered Q1 … Q20 in the
    order of the paper form (A01 … A20), every heading in the office's own words."""
    lines = [[*LOCAL, "Câu hỏi", "Trả lời"]]
    for survey in history_rows():
        for number, key in enumerate(ATTITUDES, start=1):
            lines.append([*(survey[c] for c in COLUMNS), f"Q{number}", survey[key]])
    return write_csv(lines)


def test_a_long_file_with_numbered_questions_is_mapped_over_http_and_reported(app, client):
    first = upload(client, long_file_with_numbered_questions())
    page = first.get_data(as_text=True)
    assert first.status_code == 200 and "Which column is what?" in page
    assert "Not recognised: Lớp tập huấn" in page and "CA-01" in page  # sample values
    token = token_of(page)
    assert counts()[3] == 0
    # Step 1: the columns. The question column is new, so its values are shown to choose.
    columns = {f"column-{n}": target for n, target in enumerate([*COLUMNS, "item", "value"])}
    second = client.post(f"/reports/import/mapping/{token}", data=columns)
    page = second.get_data(as_text=True)
    assert second.status_code == 200, page
    assert 'name="value-19"' in page and "Choose the question that “Q7” stands for" in page
    assert 'name="item_column" type="hidden" value="8"' in page
    # Step 2: each value of the question column.
    values = {f"value-{n - 1}": f"A{n:02d}" for n in range(1, 21)}
    preview = client.post(f"/reports/import/mapping/{token}", data={**columns, **values, "item_column": "8"})
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200, page
    assert "Import 12 surveys" in page and "Q7" in page  # what the file called A07
    assert confirm(client, preview).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(SurveyResponse)) == 12
    assert db.session.scalar(select(func.count()).select_from(Answer)) == 12 * 20
    result = overall(app)
    assert result["n"] == 6
    assert result["change"] == pytest.approx(sum(POST) / 6 - sum(PRE) / 6)


def test_a_wrong_mapping_is_explained_and_shown_again_with_the_choices_made(client):
    headings = [*COLUMNS, *(f"Q{n}" for n in range(1, 21))]
    rows = [[r[c] for c in COLUMNS] + [r[k] for k in ATTITUDES] for r in history_rows()]
    page = upload(client, write_csv([headings, *rows])).get_data(as_text=True)
    token = token_of(page)
    before = counts()
    choices = {f"column-{n}": c for n, c in enumerate(COLUMNS)}
    choices |= {f"column-{7 + n}": f"item:A{n:02d}" for n in range(1, 21)}
    choices["column-6"] = "ignore"  # the phase column left out
    choices["column-9"] = "item:A01"  # Q1 and Q2 both A01
    response = client.post(f"/reports/import/mapping/{token}", data=choices)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "A01 is chosen for more than one column: Q1, Q2." in page
    assert "No column is mapped to “Phase (pre or post)”." in page
    assert "Nothing has been saved" in page and "/reports/import/commit" not in page
    assert page.count('<option value="item:A01" selected>') == 2  # the choices kept
    assert counts() == before
    unknown = client.post(f"/reports/import/mapping/{token}", data={**choices, "column-3": "item:Z99"})
    assert unknown.status_code == 422
    assert "The mapping does not fit this file" in unknown.get_data(as_text=True)
    choices |= {"column-6": "phase", "column-9": "item:A02"}
    preview = client.post(f"/reports/import/mapping/{token}", data=choices)
    assert preview.status_code == 200 and "Import 12 surveys" in preview.get_data(as_text=True)
    # The mapping can be changed from the preview: the choices are kept with the file.
    again = client.get(f"/reports/import/mapping/{token}").get_data(as_text=True)
    assert again.count('<option value="item:A02" selected>') == 1
    assert confirm(client, preview).status_code == 302
    assert counts()[3] == before[3] + 12


def test_another_persons_upload_cannot_be_mapped(client, auth, make_user):
    data = to_csv(history_rows(), columns=[*LOCAL, *POLICE_KEYS])
    token = token_of(upload(client, data).get_data(as_text=True))
    auth.logout()
    auth.login(make_user("staff", language="en"))
    assert client.get(f"/reports/import/mapping/{token}").status_code == 302
    assert client.post(f"/reports/import/mapping/{token}", data={}).status_code == 302
    assert client.get("/reports/import/mapping/not-a-token").status_code == 302


def undo_all(client):
    page = client.get("/reports/imports").get_data(as_text=True)
    for batch in re.findall(r'name="batch" value="(\d+)"', page):
        assert client.post("/reports/imports/archive", data={"batch": batch}).status_code == 302


def test_an_undone_import_can_be_imported_again_and_counts_once(app, client):
    data = to_csv(history_rows())
    assert confirm(client, upload(client, data)).status_code == 302
    refused = upload(client, data)  # still imported: refused
    assert refused.status_code == 422
    assert "this survey was imported before" in refused.get_data(as_text=True)
    undo_all(client)
    assert overall(app)["n"] == 0
    preview = upload(client, data)
    assert preview.status_code == 200, preview.get_data(as_text=True)
    assert confirm(client, preview).status_code == 302
    result = overall(app)
    assert result["n"] == 6
    assert result["change"] == pytest.approx(sum(POST) / 6 - sum(PRE) / 6)
    with app.test_request_context("/?lang=en"):
        total = report_for().tables["overview"].rows[0]
    assert [total[k] for k in ("pre_done", "post_done", "matched")] == [6, 6, 6]
    assert (
        db.session.scalar(
            select(func.count()).select_from(SurveyResponse).where(SurveyResponse.archived.is_(False))
        )
        == 12
    )
    listed = client.get("/cohorts").get_data(as_text=True).split('id="historical"')[1]
    assert listed.count(COHORT) == 1


def test_an_undone_import_can_be_corrected_and_imported_again(app, client):
    """Undone because the audience was wrong: the corrected file makes a new cohort."""
    assert confirm(client, upload(client, to_csv(history_rows()))).status_code == 302
    undo_all(client)
    corrected = [{**r, "audience": "mixed"} for r in history_rows()]
    preview = upload(client, to_csv(corrected))
    assert preview.status_code == 200, preview.get_data(as_text=True)
    assert confirm(client, preview).status_code == 302
    assert overall(app)["n"] == 6
    live = db.session.scalars(
        select(Cohort).where(Cohort.historical.is_(True), Cohort.audience == "mixed")
    ).all()
    assert len(live) == 1
    with app.test_request_context("/?lang=en"):
        assert row(report_for(cohort_ids=(live[0].id,)).tables["subscales"], key=OVERALL)["n"] == 6


def test_a_cohort_whose_imports_were_all_undone_is_listed_nowhere(client):
    assert confirm(client, upload(client, to_csv(history_rows()))).status_code == 302
    cohort = db.session.scalar(select(Cohort).where(Cohort.historical.is_(True)))
    option = f'<option value="{cohort.id}">{COHORT}</option>'  # the report filter
    assert COHORT in client.get("/cohorts").get_data(as_text=True).split('id="historical"')[1]
    assert option in client.get("/reports").get_data(as_text=True)
    undo_all(client)
    listed = client.get("/cohorts").get_data(as_text=True)
    assert COHORT not in listed
    assert COHORT not in client.get("/cohorts?q=quận 1").get_data(as_text=True)
    report = client.get("/reports").get_data(as_text=True)
    assert option not in report and COHORT not in report


def test_the_mapping_step_speaks_vietnamese(client, auth, make_user):
    auth.logout()
    auth.login(make_user("staff", language="vi"))
    headings = [*LOCAL, *(f"Q{n}" for n in range(1, 21))]
    rows = [[r[c] for c in COLUMNS] + [r[k] for k in ATTITUDES] for r in history_rows()]
    page = upload(client, write_csv([headings, *rows])).get_data(as_text=True)
    assert "Mỗi cột chứa thông tin gì?" in page and "Chưa nhận ra: Lớp tập huấn" in page
    choices = {f"column-{n}": c if c != "phase" else "ignore" for n, c in enumerate(COLUMNS)}
    choices |= {f"column-{7 + n}": f"item:A{n:02d}" for n in range(1, 21)}
    response = client.post(f"/reports/import/mapping/{token_of(page)}", data=choices)
    assert response.status_code == 422
    assert "Chưa có cột nào được ghép với “Thời điểm (trước hoặc sau khóa học)”." in response.get_data(
        as_text=True
    )


def test_a_file_too_wide_is_refused_in_words(client):
    headings = [*COLUMNS, *(f"X{n}" for n in range(400))]
    rows = [[r[c] for c in COLUMNS] + ["1"] * 400 for r in history_rows()[:2]]
    page = upload(client, write_csv([headings, *rows])).get_data(as_text=True)
    assert "The file has more than 300 columns." in page
