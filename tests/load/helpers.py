"""Helpers for the load tests: one time limit per test, reproducible answers, threads."""

import random
import threading
import time

from bench.client import Browser
from bench.seed import TRAINEE_PASSWORD
from bench.server import HOST

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


def survey_answers(trainee, items: dict[int, tuple[str, int]], seed: int = 0) -> dict[int, int]:
    """The answers this trainee sends: a fixed choice per item (reproducible)."""
    rng = random.Random(trainee.enrolment_id * 1000 + seed)
    answers = {}
    for item_id in trainee.post_items:
        kind, options = items[item_id]
        answers[item_id] = rng.randrange(options) if kind == "knowledge" else rng.randint(1, 5)
    return answers


def instrument_items() -> dict[int, tuple[str, int]]:
    """Item id -> (kind, number of options) of the current survey version."""
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
