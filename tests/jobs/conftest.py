"""Jobs: a cohort whose certificates are made by a job, and a real SQLite queue with a worker."""

import re

import pytest

from lms.extensions import db
from lms.jobs.queue import huey as job_queue
from lms.jobs.services import init_app
from tests.certificates.conftest import (  # noqa: F401 (fixtures)
    certify,
    cohort,
    complete_modules,
    enrolments,
)
from tests.certificates.helpers import in_english


@pytest.fixture
def certified(app, request):
    """The cohort of three (tests/certificates), every trainee certified; its ZIP is a job."""
    app.config["JOBS_DIRECT_CERTIFICATES"] = 0
    certify_one = request.getfixturevalue("certify")
    for enrolment in request.getfixturevalue("enrolments"):
        certify_one(enrolment)
    db.session.commit()
    return request.getfixturevalue("cohort")


@pytest.fixture
def facilitator(certified):
    return in_english(certified.facilitators[0])


@pytest.fixture
def sqlite_queue(app, tmp_path):
    """The queue as in production (huey's SQLite storage in a file), not immediate: a job
    waits until a worker takes it."""
    app.config.update(JOBS_IMMEDIATE=False, JOBS_URL=f"sqlite:///{tmp_path / 'jobs.db'}")
    init_app(app)
    return job_queue()


def job_url(response) -> str:
    assert response.status_code in (302, 303), response.status_code
    match = re.search(r"/jobs/[0-9a-f]{32}$", response.location)
    assert match, response.location
    return match.group(0)


def work(huey) -> int:
    """Be the worker: run every task waiting in the queue; returns how many ran."""
    ran = 0
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
        ran += 1
    return ran
