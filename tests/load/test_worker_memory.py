"""gunicorn.conf.py: a worker that a staff report filled with scipy hands over to a fresh fork,
and trainee traffic never makes a worker hand over (pids and mapped libraries, no timings)."""

import time
from pathlib import Path

import pytest

from bench.client import Browser
from bench.seed import STAFF_PASSWORD, TRAINEE_PASSWORD, CohortPlan, seed_programme
from bench.server import HOST
from lms.extensions import db

pytestmark = pytest.mark.load


def maps_statistics(pid: int) -> bool:
    """Whether the process has scipy's or numpy's compiled modules mapped (i.e. imported)."""
    try:
        maps = Path(f"/proc/{pid}/maps").read_text()
    except FileNotFoundError:
        return False
    return "/scipy/" in maps or "/numpy/" in maps


def test_a_worker_that_loaded_scipy_hands_over_and_trainees_never_cause_it(app, server, deadline, request):
    seeded = seed_programme(
        [CohortPlan(12, "finished", "police"), CohortPlan(12, "post_open", "mixed")],
        facilitators=2,
        staff=1,
        certificates=False,
    )
    db.session.remove()
    workers = set(server.wait_for_workers())

    trainees = [Browser(HOST, server.port) for _ in range(8)]
    staff = Browser(HOST, server.port)
    request.addfinalizer(lambda: [browser.close() for browser in [*trainees, staff]])
    for browser, trainee in zip(trainees, seeded.live_trainees, strict=False):
        browser.sign_in(trainee.username, TRAINEE_PASSWORD)
    for _ in range(25):
        for browser in trainees:
            assert browser.get("/").status == 200
    assert set(server.worker_pids()) == workers, "trainee pages made a worker hand over"
    assert not any(maps_statistics(pid) for pid in workers)

    staff.sign_in(seeded.staff[0], STAFF_PASSWORD)
    assert staff.get("/reports").status == 200
    assert staff.get("/reports").status == 200  # nothing lost while a worker hands over
    # A guard against a hang, not a timing: a worker hands over within a few seconds.
    handed_over_by = time.monotonic() + min(60, deadline.left)
    while time.monotonic() < handed_over_by:
        now = set(server.worker_pids())
        if len(now) == 2 and now != workers and not any(maps_statistics(pid) for pid in now):
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"no worker handed over: {workers} -> {server.worker_pids()}")
    for browser in [*trainees, staff]:
        assert browser.get("/").status == 200
