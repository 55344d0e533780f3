"""A job's page: progress bar, its file when done, what went wrong; only for its owner."""

import io
import re
import zipfile

from sqlalchemy import func, select

from lms.auth.models import AuditEvent
from lms.extensions import db
from lms.jobs.models import Job, JobState
from lms.jobs.queue import put_progress
from lms.jobs.runner import run_job
from lms.jobs.tasks import HANDLERS
from tests.jobs.conftest import job_url


def _zip_job(client, auth, cohort, user):
    auth.login(user)
    return job_url(client.get(f"/cohorts/{cohort.id}/certificates.zip"))


def test_a_large_cohorts_zip_is_a_job_with_a_progress_bar_and_its_file(client, auth, certified, facilitator):
    url = _zip_job(client, auth, certified, facilitator)
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Certificates of the cohort (ZIP)" in html and "Done" in html
    bar = re.search(r"<progress [^>]*>", html).group(0)
    assert 'max="3"' in bar and 'value="3"' in bar  # one step per certificate
    assert 'http-equiv="refresh"' not in html  # finished: nothing left to wait for
    download = re.search(r'href="(/jobs/[0-9a-f]{32}/download)"', html).group(1)
    response = client.get(download)
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "no-store" in response.headers["Cache-Control"]
    assert "certificates-cohort-" in response.headers["Content-Disposition"]
    assert len(zipfile.ZipFile(io.BytesIO(response.data)).namelist()) == 3
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "certificate_zip")).all()
    assert [(e.actor_id, e.target) for e in events] == [(facilitator.id, f"cohort:{certified.id}")]
    state = client.get(f"{url}.json").get_json()
    assert state["state"] == "done" and state["progress"] == {"done": 3, "total": 3}


def test_a_small_cohort_still_gets_its_zip_at_once(app, client, auth, certified, facilitator):
    app.config["JOBS_DIRECT_CERTIFICATES"] = 3
    auth.login(facilitator)
    response = client.get(f"/cohorts/{certified.id}/certificates.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert db.session.scalar(select(func.count()).select_from(Job)) == 0


def test_a_running_job_shows_its_live_progress_and_refreshes_without_javascript(
    client, auth, certified, facilitator, sqlite_queue
):
    url = _zip_job(client, auth, certified, facilitator)
    job = db.session.scalar(select(Job))
    html = client.get(url).get_data(as_text=True)
    assert "Waiting to start" in html and "You may leave this page" in html
    assert '<noscript><meta http-equiv="refresh"' in html  # works without JavaScript
    assert f'data-poll-url="{url}.json"' in html and "/static/app.js" in html
    assert "https://" not in html.split("<body")[0]  # nothing from another site
    job.state = JobState.RUNNING
    db.session.commit()
    put_progress(job.id, 2, 3)  # as the worker does after the second certificate
    html = client.get(url).get_data(as_text=True)
    bar = re.search(r"<progress [^>]*>", html).group(0)
    assert "Working on it" in html and 'max="3"' in bar and 'value="2"' in bar
    assert client.get(f"{url}.json").get_json()["progress"] == {"done": 2, "total": 3}
    assert client.get(url + "/download").status_code == 404


def test_a_failed_job_says_why_in_the_users_language(client, auth, certified, facilitator, sqlite_queue):
    from lms.certificates.services import revoke_certificate, valid_certificates

    url = _zip_job(client, auth, certified, facilitator)
    for certificate in valid_certificates(certified):  # all revoked before the worker starts
        revoke_certificate(facilitator, certificate, "Entered twice")
    db.session.commit()
    job = db.session.scalar(select(Job))
    run_job(job.id, HANDLERS)
    db.session.expire_all()
    assert job.state == JobState.FAILED and job.error == "no_certificates"
    html = client.get(url).get_data(as_text=True)
    assert "No certificates have been issued in this cohort yet." in html
    assert "/download" not in html
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "certificate_zip")
        )
        == 0
    )
    facilitator.language = "vi"
    db.session.commit()
    html = client.get(url).get_data(as_text=True)
    assert "Lớp tập huấn này chưa có giấy chứng nhận nào được cấp." in html and "Đã dừng" in html


def test_an_unexpected_error_fails_the_job_and_keeps_nothing(
    client, auth, certified, facilitator, monkeypatch
):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("lms.certificates.documents.certificates_zip", broken)
    url = _zip_job(client, auth, certified, facilitator)
    html = client.get(url).get_data(as_text=True)
    assert "Stopped" in html and "Nothing was saved" in html
    job = db.session.scalar(select(Job))
    assert job.state == JobState.FAILED and job.result is None and job.payload is None
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "certificate_zip")
        )
        == 0
    )
