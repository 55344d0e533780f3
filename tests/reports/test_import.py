"""Importing historical pre/post results: preview, every problem listed, all or nothing."""

import csv
import io
import re
from datetime import date, datetime

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from werkzeug.security import check_password_hash

from lms.auth.models import AuditEvent, User
from lms.cohorts.models import Cohort, Enrolment
from lms.extensions import db
from lms.quizzes.instrument import current_version
from lms.quizzes.models import Answer, SurveyResponse
from lms.reports.figures import OVERALL
from tests.reports.conftest import report_for, row

# Written for the items of the first instrument: its answers stay valid and are reported.
pytestmark = pytest.mark.usefixtures("instrument_v1")

COLUMNS = ["cohort_name", "audience", "province", "start_date", "trainee_ref", "org_type", "phase", "date"]
POLICE_KEYS = [f"A{n:02d}" for n in range(1, 21)] + ["P01", "P02"] + [f"K{n:02d}" for n in range(1, 13)]
COHORT = "Tập huấn công an Quận 1 (2019)"


@pytest.fixture(autouse=True)
def instance_in_tmp(app, tmp_path):
    app.instance_path = str(tmp_path)  # previews are kept in instance/imports


@pytest.fixture
def staff(client, auth, make_user):
    user = make_user("staff", language="en")
    auth.login(user)
    return user


def ticked(key: str, score: int) -> int:
    """The box ticked on paper for a keyed score (reverse-keyed items are turned round)."""
    item = next(i for i in current_version().items if i.key == key)
    return 6 - score if item.reverse else score


def trainee_rows(ref: str, pre: int, post: int, **changes) -> list[dict]:
    """A police trainee's two rows: every attitude item at keyed score pre, then post; the
    knowledge items answered with option 1 before and the right option after."""
    items = {i.key: i for i in current_version().items}
    rows = []
    for phase, score, day in (("pre", pre, "2019-03-04"), ("post", post, "06/03/2019")):
        cells = {
            "cohort_name": COHORT,
            "audience": "police",
            "province": "Thành phố Hồ Chí Minh",
            "start_date": "2019-03-04",
            "trainee_ref": ref,
            "org_type": "police",
            "phase": phase,
            "date": day,
        }
        for key in POLICE_KEYS:
            item = items[key]
            cells[key] = (
                ticked(key, score) if item.kind == "likert" else (1 if phase == "pre" else item.answer + 1)
            )
        rows.append({**cells, **changes})
    return rows


PRE, POST = [2, 3, 2, 4, 3, 2], [3, 4, 4, 4, 5, 4]


def history_rows() -> list[dict]:
    return [
        r
        for n, (a, b) in enumerate(zip(PRE, POST, strict=True), start=1)
        for r in trainee_rows(f"CA-{n:02d}", a, b)
    ]


def to_csv(rows: list[dict], delimiter=",", columns=None) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(
        out, fieldnames=columns or [*COLUMNS, *POLICE_KEYS], delimiter=delimiter, extrasaction="ignore"
    )
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def upload(client, data: bytes, name="history.csv"):
    return client.post(
        "/reports/import",
        data={"file": (io.BytesIO(data), name), "version": str(current_version().id)},
        content_type="multipart/form-data",
    )


def confirm(client, preview):
    page = preview.get_data(as_text=True)
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', page).group(1)
    return client.post("/reports/import/commit", data={"token": token, "version": str(current_version().id)})


def counts() -> tuple[int, ...]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Cohort, User, Enrolment, SurveyResponse, Answer)
    )


def test_preview_lists_every_problem_and_writes_nothing(client, staff):
    before = counts()
    rows = history_rows()
    rows[0]["audience"] = "firefighters"  # file row 2
    rows[1]["province"] = "Atlantis"  # row 3
    rows[2]["date"] = "31/02/2019"  # row 4
    rows[3]["A05"] = 7  # row 5
    rows[4]["K03"] = 9  # row 6
    rows[5]["C01"] = 3  # row 7: a 05-06 centre question for a police trainee
    rows[6]["trainee_ref"] = ""  # row 8
    rows.append(dict(rows[8]))  # row 14 repeats row 10: CA-05's pre survey twice
    response = upload(client, to_csv(rows, columns=[*COLUMNS, *POLICE_KEYS, "C01"]))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for expected in (
        "Row 2: audience must be one of",
        "Row 3: province Atlantis is not",
        "Row 4: date is not a date",
        "Row 5: A05 must be a whole number from 1",
        "Row 6: K03 must be the number of the option chosen, from 1 to 4",
        "Row 7: C01 is a question for another audience",
        "Row 8: trainee_ref is required",
        "Row 14: this trainee&#39;s pre survey is already on an earlier row",
    ):
        assert expected in page, expected
    assert "Nothing has been saved" in page and "/reports/import/commit" not in page
    assert counts() == before


def test_header_problems_lead_to_the_mapping_step_before_the_rows(client, staff):
    data = to_csv(history_rows(), columns=[c for c in COLUMNS if c != "phase"] + ["A01", "A99"])
    response = upload(client, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Which column is what?" in page
    assert "No column is mapped to “Phase (pre or post)”." in page
    assert "Not recognised: A99" in page
    assert "Row " not in page and "/reports/import/commit" not in page


def test_import_after_preview_creates_historical_cohort_and_placeholders(app, client, staff):
    preview = upload(client, to_csv(history_rows()))
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert "Import 12 surveys" in page and "New historical cohorts" in page
    assert counts()[0] == 0  # nothing written by the preview
    response = confirm(client, preview)
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    job_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Imported 12 surveys of 6 trainees." in job_page and "source=imported" in job_page

    cohort = db.session.scalar(select(Cohort))
    assert (cohort.name, cohort.audience, cohort.province) == (COHORT, "police", "ho-chi-minh")
    assert cohort.historical and cohort.status == "closed"
    assert (cohort.start_date, cohort.end_date) == (date(2019, 3, 4), date(2019, 3, 6))
    assert cohort.facilitators == []
    trainees = db.session.scalars(select(User).where(User.role == "trainee")).all()
    assert sorted(t.full_name for t in trainees) == [f"CA-{n:02d}" for n in range(1, 7)]
    stranger = app.test_client()
    for trainee in trainees:
        assert trainee.username.startswith("hist-") and not trainee.active
        assert not check_password_hash(trainee.password_hash, "")
        response = stranger.post(
            "/login", data={"username": trainee.username, "password": trainee.password_hash}
        )
        assert response.status_code == 422  # nobody can sign in as a placeholder
    responses = db.session.scalars(select(SurveyResponse)).all()
    assert len(responses) == 12 and {r.source for r in responses} == {"imported"}
    assert {r.entered_by_id for r in responses} == {staff.id}
    post = next(r for r in responses if r.phase == "post")
    assert post.knowledge_correct == post.knowledge_total == 12
    # A01 is reverse-keyed: the ticked box is stored as ticked, the score turned round.
    a01 = db.session.execute(
        select(Answer.value, Answer.score)
        .join(SurveyResponse)
        .where(SurveyResponse.phase == "pre")
        .where(Answer.item_id == next(i.id for i in current_version().items if i.key == "A01"))
        .limit(1)
    ).one()
    assert a01.value == 6 - a01.score
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "historical_import"))
    assert event.actor_id == staff.id and "rows=12" in event.details


def test_imported_results_join_the_reports_and_can_be_filtered_out(
    app, client, staff, make_cohort, bulk_surveys
):
    bulk_surveys(make_cohort(), 10)  # online
    confirm(client, upload(client, to_csv(history_rows())))
    with app.test_request_context("/?lang=en"):
        imported = row(report_for(sources=("imported",)).tables["subscales"], key=OVERALL)
        online = row(report_for(sources=("online", "paper")).tables["subscales"], key=OVERALL)
        everything = row(report_for().tables["subscales"], key=OVERALL)
    assert imported["n"] == 6 and online["n"] == 10 and everything["n"] == 16
    assert imported["pre_mean"] == pytest.approx(sum(PRE) / 6)
    assert imported["post_mean"] == pytest.approx(sum(POST) / 6)
    page = client.get("/reports?source=imported").get_data(as_text=True)
    assert "Tập huấn công an Quận 1 (2019) (historical)" in page


def test_a_failure_while_writing_leaves_nothing(client, staff, monkeypatch):
    from lms.reports import importer

    preview = upload(client, to_csv(history_rows()))

    def broken_audit(*args, **kwargs):
        raise OperationalError("INSERT INTO audit_event", {}, Exception("disk full"))

    monkeypatch.setattr(importer, "audit", broken_audit)
    response = confirm(client, preview)
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    assert counts() == (0, 1, 0, 0, 0)  # only the staff account
    assert "Nothing was saved" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_the_same_file_cannot_be_imported_twice(client, staff):
    data = to_csv(history_rows())
    confirm(client, upload(client, data))
    again = upload(client, data)
    assert again.status_code == 422
    assert again.get_data(as_text=True).count("this survey was imported before") == 12
    assert counts()[3] == 12


def test_post_surveys_can_follow_in_a_later_file(app, client, staff):
    rows = history_rows()
    confirm(client, upload(client, to_csv([r for r in rows if r["phase"] == "pre"])))
    confirm(client, upload(client, to_csv([r for r in rows if r["phase"] == "post"])))
    assert counts()[:3] == (1, 7, 6)
    with app.test_request_context("/?lang=en"):
        assert row(report_for().tables["subscales"], key=OVERALL)["n"] == 6


def test_excel_files_semicolons_and_vietnamese_words_are_read(app, client, staff):
    book = Workbook()
    sheet = book.active
    sheet.append([*COLUMNS, *POLICE_KEYS])
    for r in history_rows():
        values = {
            **r,
            "start_date": datetime(2019, 3, 4),
            "date": datetime(2019, 3, 5),
            "phase": {"pre": "trước", "post": "sau"}[r["phase"]],
        }
        sheet.append([values[c] for c in [*COLUMNS, *POLICE_KEYS]])
    buffer = io.BytesIO()
    book.save(buffer)
    preview = upload(client, buffer.getvalue(), "lich-su.xlsx")
    assert preview.status_code == 200, preview.get_data(as_text=True)
    confirm(client, preview)
    semicolons = [dict(r, cohort_name="Lớp khác") for r in history_rows()]
    preview = upload(client, to_csv(semicolons, delimiter=";"))
    assert preview.status_code == 200
    confirm(client, preview)
    assert counts()[:4] == (2, 13, 12, 24)


def test_unreadable_uploads_are_explained(client, staff):
    assert "not in UTF-8" in upload(client, "tên,José".encode("cp1252")).get_data(as_text=True)
    assert "could not be read" in upload(client, b"not a workbook", "x.xlsx").get_data(as_text=True)
    response = upload(client, b"x", "notes.txt")
    assert response.status_code == 422 and "Please choose a .csv or .xlsx file." in response.get_data(
        as_text=True
    )
    assert "The file is empty." in upload(client, b"\n,,\n").get_data(as_text=True)


def test_an_expired_preview_asks_for_the_file_again(client, staff):
    response = client.post(
        "/reports/import/commit", data={"token": "A" * 32, "version": str(current_version().id)}
    )
    assert response.status_code == 302
    assert "expired" in client.get("/reports/import").get_data(as_text=True)
    assert (
        client.post("/reports/import/commit", data={"token": "../../etc", "version": "1"}).status_code == 400
    )


def test_template_lists_every_column(client, staff):
    text = client.get("/reports/import/template.csv").data.decode("utf-8-sig")
    header = text.splitlines()[0].split(",")  # then an example row
    assert header[:8] == COLUMNS and "A01" in header and "K12" in header


def test_two_simultaneous_confirms_of_one_preview_import_it_once(app, client, staff, monkeypatch):
    import threading

    from lms.reports import importer

    preview = upload(client, to_csv(history_rows()))
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', preview.get_data(as_text=True)).group(1)
    cookie, version = client.get_cookie("session").value, str(current_version().id)
    both_checked = threading.Barrier(2)
    real_commit = importer.commit_import

    def commit_together(*args, **kwargs):
        try:  # both requests have checked the preview before either writes (a double-click)
            both_checked.wait(timeout=2)
        except threading.BrokenBarrierError:
            pass  # only one request got this far
        return real_commit(*args, **kwargs)

    monkeypatch.setattr(importer, "commit_import", commit_together)  # as the job calls it
    statuses = []

    def confirm_once():
        other = app.test_client()
        other.set_cookie("session", cookie)
        statuses.append(
            other.post("/reports/import/commit", data={"token": token, "version": version}).status_code
        )

    threads = [threading.Thread(target=confirm_once) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [302, 302]
    assert counts() == (1, 7, 6, 12, 12 * 34)  # one cohort, six trainees (+ staff), once


def test_a_large_import_is_written_in_a_few_statements(app, client, staff):
    from sqlalchemy import event

    rows = [
        dict(r, trainee_ref=f"{r['trainee_ref']}-{n}")
        for base in [history_rows()]
        for n in range(50)
        for r in base
    ]
    preview = upload(client, to_csv(rows))
    assert preview.status_code == 200
    writes = []

    def count_writes(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", count_writes)
    try:
        assert confirm(client, preview).status_code == 302
    finally:
        event.remove(db.engine, "before_cursor_execute", count_writes)
    assert counts()[3] == 600
    # 300 trainees and 600 surveys: a handful of bulk statements, not one per row, so the
    # database's write lock is held briefly while trainees submit surveys.
    assert len(writes) < 40, len(writes)
