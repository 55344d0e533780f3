"""Load and resilience fixtures: seeded trainees and a real gunicorn server on loopback.

The database is the suite's own (tests/conftest.py: TEST_DATABASE_URL or a temporary SQLite
file, schema and content already built); the `app` fixture empties it first. The server is
always stopped in teardown, whatever the test did.
"""

import pytest

from bench.seed import CohortPlan, seed_programme
from bench.server import GunicornServer
from lms.extensions import db

from .helpers import Deadline

# Only a guard against a hung server, not a performance check (timings belong to `make bench`):
# generous, so a busy two-core machine never fails a test that would pass.
SECONDS_PER_TEST = 300
AUDIENCES = ("police", "centre_staff", "ngo_cbo", "mixed")


@pytest.fixture
def deadline():
    return Deadline(SECONDS_PER_TEST)


@pytest.fixture
def seed_trainees(app):
    """seed_trainees(cohorts, size=40) -> Seeded: workshops whose post-survey is open, every
    trainee with the pre-survey and all lessons done (bulk inserts, fast password hash)."""

    def seed(cohorts: int, size: int = 40):
        plans = [CohortPlan(size, "post_open", AUDIENCES[n % 4]) for n in range(cohorts)]
        seeded = seed_programme(plans, facilitators=cohorts, staff=1, certificates=False)
        db.session.remove()
        return seeded

    return seed


@pytest.fixture
def server(app):
    """gunicorn (2 workers, 4 threads each, as `make serve`) on the test database."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()
    gunicorn = GunicornServer(url, workers=2, threads=4, timeout=30)
    try:
        gunicorn.start()
        yield gunicorn
    finally:
        gunicorn.cleanup()
