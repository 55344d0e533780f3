"""Load and resilience fixtures: seeded trainees and a real gunicorn server on loopback.

The database is the suite's own (tests/conftest.py: TEST_DATABASE_URL or a temporary SQLite
file, schema and content already built); the `app` fixture empties it first. The server is
always stopped in teardown, whatever the test did.
"""

import random
import sys
import threading
import time
from pathlib import Path

import pytest

# bench/ is not an installed package: make it importable however pytest was started.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.client import Browser  # noqa: E402
from bench.seed import TRAINEE_PASSWORD, CohortPlan, seed_programme  # noqa: E402
from bench.server import HOST, GunicornServer  # noqa: E402
from lms.extensions import db  # noqa: E402

SECONDS_PER_TEST = 60  # a whole test stops (and fails) past this
REQUEST_TIMEOUT = 20  # seconds, every request


class Deadline:
    """One time limit for a whole test, checked by every loop and every join."""

    def __init__(self, seconds: float):
        self.at = time.monotonic() + seconds

    @property
    def left(self) -> float:
        return max(0.0, self.at - time.monotonic())

    @property
    def passed(self) -> bool:
        return time.monotonic() >= self.at


@pytest.fixture
def deadline():
    return Deadline(SECONDS_PER_TEST)


@pytest.fixture
def seed_trainees(app):
    """seed_trainees(cohorts, size) -> Seeded: workshops whose post-survey is open."""

    def seed(cohorts: int, size: int = 40):
        plans = [CohortPlan(size, "post_open", ("police", "centre_staff", "ngo_cbo", "mixed")[n % 4])
                 for n in range(cohorts)]
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


def survey_answers(trainee, items, seed: int = 0) -> dict[int, int]:
    """The answers this trainee sends: a fixed choice per item (reproducible)."""
    rng = random.Random(trainee.enrolment_id * 1000 + seed)
    answers = {}
    for item_id in trainee.post_items:
        kind, options = items[item_id]
        answers[item_id] = rng.randint(1, 5) if kind == "likert" else rng.randrange(options)
    return answers


def instrument_items() -> dict[int, tuple[str, int]]:
    from lms.quizzes.instrument import current_version

    return {i.id: (i.kind, len(i.options_vi or [])) for i in current_version().items}


def run_threads(targets, deadline: Deadline) -> None:
    """Start every thread, then join each within what is left of the test's time."""
    threads = [threading.Thread(target=t, daemon=True) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(deadline.left + 1)
    alive = sum(thread.is_alive() for thread in threads)
    assert not alive, f"{alive} client threads still running when the test's time ran out"


def signed_in(port: int, username: str) -> Browser:
    browser = Browser(HOST, port, timeout=REQUEST_TIMEOUT)
    browser.sign_in(username, TRAINEE_PASSWORD)
    return browser
