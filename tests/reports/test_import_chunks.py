"""A large historical import is written chunk by chunk, each chunk its own short transaction,
out of sight until one last transaction makes it live: trainees submit surveys meanwhile,
and a failure or a stopped worker leaves nothing visible and nothing imported twice."""

# ruff: noqa: F811  (pytest fixtures imported from other test modules, used as arguments)

import threading

import pytest
from sqlalchemy import func, select

from lms.auth.models import AuditEvent
from lms.cohorts.services import enrol
from lms.extensions import db
from lms.jobs.models import Job, JobState
from lms.jobs.runner import recover
from lms.quizzes.models import SurveyResponse
from lms.reports.figures import OVERALL
from lms.reports.models import ImportBatch, ImportBatchResponse
from tests.conftest import AuthActions, survey_answers
from tests.jobs.conftest import job_url, sqlite_queue, work  # noqa: F401 (fixture)
from tests.reports.conftest import report_for, row
from tests.reports.test_import import (  # noqa: F401 (fixtures)
    COHORT,
    confirm,
    counts,
    history_rows,
    instance_in_tmp,
    staff,
    to_csv,
    upload,
)

pytestmark = pytest.mark.usefixtures("instrument_v1")

ONCE = (1, 7, 6, 12, 12 * 34)  # one cohort, six trainees (+ staff), twelve surveys, answers


@pytest.fixture
def small_chunks(app, monkeypatch):
    """Chunks of four surveys (twelve in the file: three chunks), and a hook called once each
    chunk is committed, where the progress bar moves: hooks.append(fn(done, total))."""
    from lms.jobs import runner
    from lms.reports import importer

    monkeypatch.setattr(importer, "CHUNK_SURVEYS", 4)
    hooks = []
    real = runner.put_progress

    def moved(job_id, done, total):
        real(job_id, done, total)
        for hook in hooks:
            hook(done, total)

    monkeypatch.setattr(runner, "put_progress", moved)
    return hooks


def imported_in_report(app) -> int:
    """How many trainees' imported surveys the report counts (no row: none)."""
    with app.test_request_context("/?lang=en"):
        try:
            return row(report_for(sources=("imported",)).tables["subscales"], key=OVERALL)["n"]
        except AssertionError:
            return 0


def nothing_shown(app, client) -> None:
    """No report, list or count shows an imported survey, cohort or batch."""
    assert imported_in_report(app) == 0
    assert f"{COHORT} (historical)" not in client.get("/reports?source=imported").get_data(as_text=True)
    assert COHORT not in client.get("/cohorts").get_data(as_text=True)
    assert "history.csv" not in client.get("/reports/imports").get_data(as_text=True)


def test_a_trainee_submits_a_survey_between_two_chunks_and_reports_wait_for_the_end(
    app,
    client,
    staff,
    make_cohort,
    make_user,
    small_chunks,
):
    cohort = make_cohort(audience="police", name="Lớp đang học")
    trainee = make_user("trainee", org_type="police")
    enrolment = enrol(cohort, trainee)
    db.session.commit()
    answers = {f"item-{item_id}": str(value) for item_id, value in survey_answers(enrolment, "pre").items()}
    enrolment_id, username = enrolment.id, trainee.username
    other_staff = app.test_client()
    AuthActions(other_staff).login(make_user("staff", language="en"))
    seen = {}

    def meanwhile():
        """A trainee's phone and another staff member's browser, as the import runs."""
        with app.app_context():
            look(app.test_client())

    def look(phone):
        AuthActions(phone).login(username)
        seen["autosave"] = phone.post(f"/surveys/{enrolment_id}/pre/autosave", data=answers).status_code
        seen["submit"] = phone.post(
            f"/surveys/{enrolment_id}/pre?page=99", data={"action": "submit"}
        ).status_code
        seen["written"] = db.session.scalar(
            select(func.count()).select_from(SurveyResponse).where(SurveyResponse.source == "imported")
        )
        seen["report"] = imported_in_report(app)
        seen["reports_page"] = other_staff.get("/reports?source=imported").get_data(as_text=True)
        seen["cohorts_page"] = other_staff.get("/cohorts").get_data(as_text=True)
        seen["imports_page"] = other_staff.get("/reports/imports").get_data(as_text=True)

    def between_chunks(done, total):
        if done == 4 and total == 12:  # the first chunk is committed, two are to come
            thread = threading.Thread(target=meanwhile)
            thread.start()
            thread.join()

    small_chunks.append(between_chunks)
    response = confirm(client, upload(client, to_csv(history_rows())))
    assert response.status_code == 302 and "/jobs/" in response.location
    # The trainee's survey went in while the import was under way ...
    assert seen["autosave"] == 200 and seen["submit"] == 302
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(SurveyResponse)
            .where(
                SurveyResponse.enrolment_id == enrolment_id,
                SurveyResponse.phase == "pre",
                SurveyResponse.source == "online",
                ~SurveyResponse.archived,
            )
        )
        == 1
    )
    # ... when a chunk was written but nothing imported was shown or counted yet.
    assert seen["written"] == 4 and seen["report"] == 0
    assert f"{COHORT} (historical)" not in seen["reports_page"]
    assert COHORT not in seen["cohorts_page"] and "Lớp đang học" in seen["cohorts_page"]
    assert "history.csv" not in seen["imports_page"]
    # At the end, all twelve at once, with the job's "done".
    assert imported_in_report(app) == 6
    job = db.session.scalar(select(Job))
    assert job.state == JobState.DONE and (job.done, job.total) == (12, 12)
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(SurveyResponse)
            .where(SurveyResponse.source == "imported", ~SurveyResponse.archived)
        )
        == 12
    )
    assert "history.csv" in client.get("/reports/imports").get_data(as_text=True)


def test_a_failure_after_the_first_chunk_leaves_nothing_and_a_new_try_imports_once(
    app,
    client,
    staff,
    small_chunks,
):
    def fail_after_first_chunk(done, total):
        if done == 4:
            raise RuntimeError("the disk is full")

    small_chunks.append(fail_after_first_chunk)
    data = to_csv(history_rows())
    response = confirm(client, upload(client, data))
    assert "Nothing was saved" in client.get(response.location).get_data(as_text=True)
    assert counts() == (0, 1, 0, 0, 0)  # the chunk written is deleted again: only the staff
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0
    nothing_shown(app, client)
    small_chunks.clear()
    preview = upload(client, data)
    assert preview.status_code == 200, preview.get_data(as_text=True)
    assert confirm(client, preview).status_code == 302
    assert counts() == ONCE
    assert imported_in_report(app) == 6
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "historical_import")
        )
        == 1
    )


class WorkerKilled(BaseException):
    """The worker process stops (not an error the job could handle)."""


def test_a_worker_stopped_after_the_first_chunk_shows_nothing_and_its_rerun_imports_once(
    app,
    client,
    staff,
    small_chunks,
    sqlite_queue,
):
    url = job_url(confirm(client, upload(client, to_csv(history_rows()))))

    def killed(done, total):
        if done == 4:
            raise WorkerKilled

    small_chunks.append(killed)
    with pytest.raises(WorkerKilled):
        work(sqlite_queue)
    db.session.expire_all()
    job = db.session.scalar(select(Job))
    assert job.state == JobState.RUNNING
    assert counts()[3] == 4  # a chunk was committed, archived in an unfinished batch ...
    nothing_shown(app, client)  # ... which nobody sees
    assert "Imported" not in client.get(url).get_data(as_text=True)
    small_chunks.clear()
    assert recover() == 1  # the worker starts again: the job runs again
    assert work(sqlite_queue) == 1
    db.session.expire_all()
    assert job.state == JobState.DONE and job.attempts == 2
    assert counts() == ONCE  # the first run's chunk deleted, then everything written once
    batch = db.session.scalar(select(ImportBatch))
    assert batch.complete and job.result_ref == f"import_batch:{batch.id}"
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 1
    assert db.session.scalar(select(func.count()).select_from(ImportBatchResponse)) == 12
    assert imported_in_report(app) == 6
    assert "Imported 12 surveys of 6 trainees." in client.get(url).get_data(as_text=True)
    # Undo still works: every survey leaves the reports.
    page = client.get("/reports/imports").get_data(as_text=True)
    assert "history.csv" in page
    token = (
        page.split('name="csrf_token"')[1].split('value="')[1].split('"')[0]
        if 'name="csrf_token"' in page
        else None
    )
    data = {"batch": str(batch.id)} | ({"csrf_token": token} if token else {})
    assert client.post("/reports/imports/archive", data=data).status_code == 302
    assert imported_in_report(app) == 0


def test_a_run_overtaken_by_a_restarted_worker_after_a_chunk_leaves_one_import(
    app,
    client,
    staff,
    small_chunks,
    sqlite_queue,
):
    url = job_url(confirm(client, upload(client, to_csv(history_rows()))))
    overtaken = []

    def worker_restarts(done, total):
        if done == 4 and not overtaken:  # the first run's first chunk is committed
            overtaken.append(True)
            with app.app_context():  # the restarted worker queues the job again and runs it
                assert recover() == 1
                assert work(sqlite_queue) == 1

    small_chunks.append(worker_restarts)
    assert work(sqlite_queue) == 1  # the first run goes on, then stops: the job is not its own
    db.session.expire_all()
    job = db.session.scalar(select(Job))
    assert job.state == JobState.DONE and job.attempts == 2
    assert counts() == ONCE
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 1
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "historical_import")
        )
        == 1
    )
    assert imported_in_report(app) == 6
    assert "Imported 12 surveys of 6 trainees." in client.get(url).get_data(as_text=True)
