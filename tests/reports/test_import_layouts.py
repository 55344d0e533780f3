"""The historical import for people with Excel files: the template explains itself, and a
long file (one row per trainee, survey and question) is imported without reshaping."""

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from lms.extensions import db
from lms.quizzes.instrument import current_version
from lms.quizzes.models import Answer, SurveyResponse
from lms.reports.figures import OVERALL
from tests.reports.conftest import report_for, row
from tests.reports.test_import import (
    COLUMNS,
    POLICE_KEYS,
    POST,
    PRE,
    confirm,
    history_rows,
    instance_in_tmp,  # noqa: F401 (autouse fixture)
    staff,  # noqa: F401 (fixture)
    to_csv,
    trainee_rows,
    upload,
)

pytestmark = pytest.mark.usefixtures("instrument_v1")


def template(client):
    return load_workbook(io.BytesIO(client.get("/reports/import/template.xlsx").data))


@pytest.mark.usefixtures("staff")
def test_the_excel_template_explains_items_keying_options_and_both_layouts(client):
    book = template(client)
    assert book.sheetnames[0] == "wide"
    instructions = " ".join(r[0].value or "" for r in book["instructions"].iter_rows())
    assert "Long layout" in instructions and "reverse" in instructions
    assert "not 1/0" in instructions and "first sheet" in instructions
    items = {r[0].value: [c.value for c in r] for r in book["items"].iter_rows(min_row=2)}
    version = {i.key: i for i in current_version().items}
    for key, item in version.items():
        assert items[key][4] == ("reverse" if item.reverse else "normal")
        assert items[key][5] == item.text_vi and items[key][6] == item.text_en
        if item.kind == "knowledge":
            assert items[key][7].startswith(f"1 = {item.options_vi[0]}")
    wide = [[c.value for c in r] for r in book["wide"].iter_rows()]
    assert wide[0][:8] == COLUMNS and wide[1][4] == "EXAMPLE"
    long = [[c.value for c in r] for r in book["long"].iter_rows()]
    assert long[0] == [*COLUMNS, "item", "value"] and long[1][4] == "EXAMPLE"


@pytest.mark.usefixtures("staff")
def test_the_csv_template_has_an_example_row_that_is_not_imported(client):
    text = client.get("/reports/import/template.csv").data.decode("utf-8-sig")
    header, example = text.splitlines()[:2]
    assert "EXAMPLE" in example
    preview = upload(client, text.encode("utf-8-sig"))
    assert preview.status_code == 422
    assert "The file has a header row but no data." in preview.get_data(as_text=True)


@pytest.mark.usefixtures("staff")
def test_a_long_file_made_from_the_template_is_imported_as_the_wide_one(app, client):
    book = template(client)
    # as the instructions say: delete the sheet "wide" so that "long" comes first
    del book["wide"]
    sheet = book["long"]
    for survey in history_rows():
        for key in POLICE_KEYS:
            sheet.append([*(survey[c] for c in COLUMNS), key, survey[key]])
    out = io.BytesIO()
    book.save(out)
    preview = upload(client, out.getvalue(), name="history-long.xlsx")
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200, page
    assert "Import 12 surveys" in page
    assert confirm(client, preview).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(SurveyResponse)) == 12
    assert db.session.scalar(select(func.count()).select_from(Answer)) == 12 * len(POLICE_KEYS)
    with app.test_request_context("/?lang=en"):
        overall = row(report_for().tables["subscales"], key=OVERALL)
    assert overall["n"] == 6
    assert overall["change"] == pytest.approx(sum(POST) / 6 - sum(PRE) / 6)


@pytest.mark.usefixtures("staff")
def test_a_long_file_with_contradicting_rows_is_explained(client):
    rows = history_rows()[:1]
    lines = [[*COLUMNS, "item", "value"]]
    for key in ("A01", "A02"):
        lines.append([*(rows[0][c] for c in COLUMNS), key, rows[0][key]])
    lines.append([*(rows[0][c] for c in COLUMNS), "A01", 3])
    lines[2][7] = "2019-03-05"
    data = "\n".join(",".join(str(c) for c in line) for line in lines).encode()
    page = upload(client, data).get_data(as_text=True)
    assert "Row 3: date differs from an earlier row of the same trainee and phase." in page
    assert "Row 4: A01 is already on an earlier row of the same trainee and phase." in page


@pytest.mark.usefixtures("staff")
def test_a_wide_file_still_imports(client):
    preview = upload(client, to_csv(history_rows()))
    assert preview.status_code == 200


@pytest.mark.usefixtures("staff")
def test_preview_shows_recognised_columns_one_survey_trainees_and_a_likely_miskeyed_item(client):
    items = {i.key: i for i in current_version().items}
    rows = []
    for n in range(12):
        pre, post = 1 + n % 4, 2 + n % 4
        rows += trainee_rows(f"R-{n:02d}", pre, post)
    rows.append(trainee_rows("ALONE", 3, 4)[0])  # only the survey before
    # A01 written already reversed (or keyed the other way round): it runs against its subscale
    flipped = (
        "A01"
        if items["A01"].reverse
        else next(
            k for k in POLICE_KEYS if items[k].kind == "likert" and items[k].subscale == items["A01"].subscale
        )
    )
    for survey in rows:
        survey[flipped] = 6 - int(survey[flipped])
    page = upload(client, to_csv(rows)).get_data(as_text=True)
    assert "Question columns recognised" in page
    recognised = page.split("Question columns recognised")[1].split("</table>")[0]
    assert items["A01"].text_en in recognised and "reverse" in recognised
    assert "ALONE (" in page and "only the survey pre" in page
    assert f"{flipped} correlates negatively with the rest of its subscale" in page
    others = [k for k in POLICE_KEYS if k != flipped and items[k].kind == "likert"]
    assert not any(f"{k} correlates negatively" in page for k in others)


@pytest.mark.usefixtures("staff")
def test_declared_coding_reverse_items_already_reversed_and_knowledge_as_correct(app, client):
    items = {i.key: i for i in current_version().items}
    rows = history_rows()
    for survey in rows:
        for key in POLICE_KEYS:
            item = items[key]
            if item.kind == "likert" and item.reverse:
                survey[key] = 6 - survey[key]  # the file holds keyed scores
            elif item.kind == "knowledge":
                survey[key] = int(survey[key] - 1 == item.answer)
    # read as option numbers, the 0s are refused and the 1s would be a wrong option: refused
    refused = upload(client, to_csv(rows))
    assert refused.status_code == 422
    preview = client.post(
        "/reports/import",
        data={
            "file": (io.BytesIO(to_csv(rows)), "coded.csv"),
            "version": str(current_version().id),
            "reverse_coding": "reversed",
            "knowledge_coding": "correct",
        },
        content_type="multipart/form-data",
    )
    assert preview.status_code == 200, preview.get_data(as_text=True)
    assert confirm(client, preview).status_code == 302
    with app.test_request_context("/?lang=en"):
        report = report_for()
    overall = row(report.tables["subscales"], key=OVERALL)
    assert overall["change"] == pytest.approx(sum(POST) / 6 - sum(PRE) / 6)
    knowledge = report.tables["knowledge_total"].rows[0]
    before = sum(1 for k in POLICE_KEYS if items[k].kind == "knowledge" and items[k].answer == 0)
    total = sum(1 for k in POLICE_KEYS if items[k].kind == "knowledge")
    assert knowledge["pre_mean"] == pytest.approx(100 * before / total)
    assert knowledge["post_mean"] == pytest.approx(100)
