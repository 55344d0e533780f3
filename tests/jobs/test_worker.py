"""The real queue: huey's SQLite storage in a file, tasks taken and run by a worker (here the
test itself, or huey's consumer in threads). Jobs survive a restart and never run twice."""

import time

import pytest
from sqlalchemy import func, select

from lms.auth.models import AuditEvent
from lms.extensions import db
from lms.jobs.models import Job, JobState
from lms.jobs.runner import recover
from lms.reports.models import ImportBatch
from tests.jobs.conftest import job_url, work
from tests.reports.test_import import confirm, counts, history_rows, to_csv, upload


def _zip_audits() -> int:
    return db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "certificate_zip")
    )


def test_a_queued_job_waits_for_the_worker_then_its_file_is_there(
    client, auth, certified, facilitator, sqlite_queue
):
    auth.login(facilitator)
    url = job_url(client.get(f"/cohorts/{certified.id}/certificates.zip"))
    job = db.session.scalar(select(Job))
    assert job.state == JobState.QUEUED and len(sqlite_queue) == 1
    assert client.get(f"{url}/download").status_code == 404
    assert work(sqlite_queue) == 1
    db.session.expire_all()
    assert job.state == JobState.DONE and (job.done, job.total) == (3, 3)
    assert job.result.startswith(b"PK") and job.payload is None
    assert client.get(f"{url}/download").data == job.result
    assert _zip_audits() == 1


def test_a_job_left_running_by_a_stopped_worker_is_run_again_once(
    client, auth, certified, facilitator, sqlite_queue
):
    auth.login(facilitator)
    job_url(client.get(f"/cohorts/{certified.id}/certificates.zip"))
    job = db.session.scalar(select(Job))
    sqlite_queue.dequeue()  # the worker took the task ...
    job.state = JobState.RUNNING  # ... started, and was killed before it committed
    db.session.commit()
    assert recover() == 1  # the worker starts again
    db.session.commit()
    assert work(sqlite_queue) == 1
    db.session.expire_all()
    assert job.state == JobState.DONE and job.attempts == 1
    # The same job delivered twice (a restart while it was still queued): runs once.
    sqlite_queue.put("x", 1)
    from lms.jobs.queue import enqueue

    enqueue(job.id)
    assert work(sqlite_queue) == 1
    db.session.expire_all()
    assert job.attempts == 1 and _zip_audits() == 1


@pytest.mark.usefixtures("instrument_v1")
def test_a_historical_import_is_written_once_even_if_its_task_runs_again(
    app, client, auth, make_user, tmp_path, sqlite_queue
):
    app.instance_path = str(tmp_path)
    auth.login(make_user("staff", language="en"))
    preview = upload(client, to_csv(history_rows()))
    response = confirm(client, preview)
    url = job_url(response)
    assert counts() == (0, 1, 0, 0, 0)  # nothing until the worker runs it
    # A double click: the second confirm finds the first one's job, not a second import.
    again = confirm(client, preview)
    assert again.status_code == 302 and again.location.endswith(url)
    assert db.session.scalar(select(func.count()).select_from(Job)) == 1
    assert "Waiting to start" in client.get(url).get_data(as_text=True)
    assert work(sqlite_queue) == 1
    assert counts() == (1, 7, 6, 12, 12 * 34)
    job = db.session.scalar(select(Job))
    batch = db.session.scalar(select(ImportBatch))
    assert job.result_ref == f"import_batch:{batch.id}" and job.payload is None
    assert "Imported 12 surveys of 6 trainees." in client.get(url).get_data(as_text=True)
    # The worker restarts and the task is delivered again: the batch is already committed.
    job.state = JobState.RUNNING
    db.session.commit()
    recover()
    work(sqlite_queue)
    assert counts() == (1, 7, 6, 12, 12 * 34)
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 1
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "historical_import")
        )
        == 1
    )


def test_huey_consumer_threads_run_the_job(client, auth, certified, facilitator, sqlite_queue):
    from huey.consumer import Consumer

    auth.login(facilitator)
    url = job_url(client.get(f"/cohorts/{certified.id}/certificates.zip"))
    consumer = Consumer(
        sqlite_queue,
        workers=1,
        worker_type="thread",
        initial_delay=0.05,
        max_delay=0.2,
        periodic=False,
        check_worker_health=False,
    )
    consumer.scheduler.start()  # the consumer's own threads, without its signal handlers
    for _name, worker in consumer.worker_threads:
        worker.start()
    try:
        for _ in range(600):  # wait for the worker (a bound, not a timing assertion)
            if client.get(f"{url}.json").get_json()["state"] in ("done", "failed"):
                break
            time.sleep(0.05)
    finally:
        consumer.stop(graceful=True)
    assert client.get(f"{url}.json").get_json()["state"] == "done"
    assert client.get(f"{url}/download").data.startswith(b"PK")


def test_a_run_overtaken_by_a_restarted_worker_keeps_nothing(
    client, auth, certified, facilitator, sqlite_queue, monkeypatch
):
    from lms.jobs import tasks

    auth.login(facilitator)
    url = job_url(client.get(f"/cohorts/{certified.id}/certificates.zip"))
    real_zip = tasks.HANDLERS["certificate_zip"]

    def overtaken(job, progress):
        # While this run works, another worker restarts, queues the job again and claims it.
        with db.engine.begin() as connection:
            connection.execute(
                Job.__table__.update()
                .where(Job.__table__.c.id == job.id)
                .values(attempts=Job.__table__.c.attempts + 1)
            )
        real_zip(job, progress)

    monkeypatch.setitem(tasks.HANDLERS, "certificate_zip", overtaken)
    work(sqlite_queue)
    job = db.session.scalar(select(Job))
    db.session.refresh(job)
    assert job.state == JobState.RUNNING and job.result is None  # left to the other run
    assert _zip_audits() == 0
    assert client.get(f"{url}/download").status_code == 404


def test_the_worker_command_refuses_immediate_mode(runner):
    result = runner.invoke(args=["jobs", "worker"])
    assert result.exit_code != 0 and "JOBS_IMMEDIATE is on" in result.output


def test_the_worker_command_queues_what_was_left_then_serves(
    app, runner, client, auth, certified, facilitator, sqlite_queue, monkeypatch
):
    auth.login(facilitator)
    job_url(client.get(f"/cohorts/{certified.id}/certificates.zip"))
    sqlite_queue.dequeue()  # lost with a stopped worker
    served = []
    monkeypatch.setattr("huey.consumer.Consumer.run", lambda consumer: served.append(consumer))
    result = runner.invoke(args=["jobs", "worker", "--workers", "3"])
    assert result.exit_code == 0, result.output
    assert "1 waiting job(s) queued" in result.output
    assert served[0].workers == 3 and len(sqlite_queue) == 1
    assert work(sqlite_queue) == 1
    assert db.session.scalar(select(Job.state)) == JobState.DONE


@pytest.mark.usefixtures("instrument_v1")
def test_an_import_reports_its_progress_after_each_chunk(app, client, auth, make_user, tmp_path, monkeypatch):
    app.instance_path = str(tmp_path)
    auth.login(make_user("staff", language="en"))
    rows = [
        dict(r, trainee_ref=f"{r['trainee_ref']}-{n}") for n in range(50) for r in history_rows()
    ]  # 600 surveys
    reported = []
    monkeypatch.setattr(
        "lms.jobs.runner.put_progress", lambda job_id, done, total: reported.append((done, total))
    )
    url = job_url(confirm(client, upload(client, to_csv(rows))))
    assert reported == [(0, 600), (250, 600), (500, 600), (600, 600), (600, 600)]
    assert counts()[3] == 600
    html = client.get(url).get_data(as_text=True)
    assert 'max="600"' in html and 'value="600"' in html


@pytest.mark.usefixtures("instrument_v1")
def test_an_import_whose_data_changed_since_its_preview_fails_and_says_why(
    app, client, auth, make_user, tmp_path
):
    app.instance_path = str(tmp_path)
    auth.login(make_user("staff", language="en"))
    data = to_csv(history_rows())
    first, second = upload(client, data), upload(client, data)  # two tabs, one file
    assert "Imported 12 surveys" in client.get(job_url(confirm(client, first))).text
    url = job_url(confirm(client, second))
    html = client.get(url).get_data(as_text=True)
    assert "The data changed since the preview" in html and "Nothing was imported" in html
    assert counts() == (1, 7, 6, 12, 12 * 34)  # the first import only
    assert db.session.scalar(select(Job.error).where(Job.state == JobState.FAILED)) == "import_changed"
