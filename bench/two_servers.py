"""Several stateless app servers on one database: two gunicorn instances (two ports, the same
SECRET_KEY, the same database) take a workshop's survey submissions in turn; one instance is
killed (SIGKILL, master and workers) midway. A client whose connection fails sends the same
request again to the other server, as nginx does with a second upstream. Afterwards the
database is counted: every trainee's survey stored exactly once, with what was sent.

    .venv/bin/python -m bench.run --two-servers     (also part of `make bench` on PostgreSQL)

The app keeps nothing that matters in a process: sessions are signed cookies, sign-in
throttling counts LoginFailure rows, a survey is one row per (enrolment, phase) held unique by
the database, so a submission sent twice (a retry after a dropped connection) is stored once.
"""

from __future__ import annotations

import http.client
import os
import secrets
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from bench.client import Browser
from bench.seed import TRAINEE_PASSWORD, SeededTrainee
from bench.server import HOST, GunicornServer

NETWORK_ERRORS = (OSError, http.client.HTTPException)
ATTEMPTS = 6
REQUEST_TIMEOUT = 20.0


@dataclass
class Outcome:
    """What the clients saw and what the database holds afterwards."""

    trainees: int = 0
    sent: int = 0  # trainees whose submission was sent (at least once)
    acknowledged: int = 0  # trainees whose submission got a 2xx/3xx
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    connection_errors: int = 0  # each one retried on the other server
    killed_after: int = 0  # submissions acknowledged before the kill
    stored: int = 0  # trainees with a stored post-survey
    lost: int = 0  # sent, but not stored, or stored with other answers
    duplicated: int = 0  # extra stored post-surveys (beyond one per trainee)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    def summary(self) -> dict:
        return {
            "trainees": self.trainees,
            "submissions_sent": self.sent,
            "acknowledged": self.acknowledged,
            "stored": self.stored,
            "lost": self.lost,
            "duplicated": self.duplicated,
            "server_errors": self.server_errors,
            "requests": self.requests,
            "connection_errors_retried": self.connection_errors,
            "acknowledged_before_kill": self.killed_after,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "problems": self.problems[:5],
            "seconds": round(self.seconds, 1),
        }


def answers_for(trainee: SeededTrainee, items: dict[int, tuple[str, int]]) -> dict[int, int]:
    """A fixed, reproducible answer per item (the trainee's own choice)."""
    answers = {}
    for n, item_id in enumerate(trainee.post_items):
        kind, options = items[item_id]
        choice = trainee.enrolment_id * 7 + n
        answers[item_id] = choice % options if kind == "knowledge" else 1 + choice % 5
    return answers


def _form(answers: dict[int, int], item_ids) -> list[tuple[str, int | str]]:
    return [(f"item-{i}", answers[i]) for i in item_ids]


class _Client:
    """One phone: its cookies and CSRF token, sent to whichever server still answers."""

    def __init__(self, ports: list[int], first: int, outcome: Outcome, lock: threading.Lock):
        self.ports, self.index, self.outcome, self.lock = ports, first, outcome, lock
        self.browser = Browser(HOST, ports[first], timeout=REQUEST_TIMEOUT)

    def _switch(self) -> None:
        """The connection failed: the same cookies and token, to the other server."""
        old = self.browser
        old.close()
        self.index = (self.index + 1) % len(self.ports)
        self.browser = Browser(HOST, self.ports[self.index], REQUEST_TIMEOUT, dict(old.cookies), old.csrf)

    def call(self, method: str, path: str, form=None, fetch: bool = False):
        for _attempt in range(ATTEMPTS):
            try:
                if method == "GET":
                    response = self.browser.get(path)
                elif fetch:
                    response = self.browser.post_fetch(path, form)
                else:
                    response = self.browser.post(path, form)
            except NETWORK_ERRORS:
                with self.lock:
                    self.outcome.connection_errors += 1
                self._switch()
                time.sleep(0.05)
                continue
            with self.lock:
                self.outcome.requests += 1
                self.outcome.statuses[response.status] += 1
            return response
        raise RuntimeError(f"{method} {path}: no server answered after {ATTEMPTS} attempts")

    def sign_in(self, username: str) -> None:
        page = self.call("GET", "/login")
        if page.status != 200:
            raise RuntimeError(f"sign-in page: {page.status}")
        response = self.call("POST", "/login", {"username": username, "password": TRAINEE_PASSWORD})
        if response.status != 302:
            raise RuntimeError(f"sign-in: {response.status}")

    def close(self) -> None:
        self.browser.close()


def run(
    url: str,
    trainees: list[SeededTrainee],
    items: dict[int, tuple[str, int]],
    *,
    clients: int = 12,
    kill_after: float = 1 / 3,
    seconds: float = 300.0,
) -> Outcome:
    """Start two servers on `url`, drive the trainees' surveys through both, kill the first
    server once `kill_after` of the submissions are acknowledged, count the database."""
    started = time.perf_counter()
    deadline = time.monotonic() + seconds
    shared = {"SECRET_KEY": "two-servers-" + secrets.token_hex(16)}
    servers = [GunicornServer(url, workers=2, threads=4, env=shared) for _ in range(2)]
    outcome = Outcome(trainees=len(trainees))
    lock = threading.Lock()
    expected = {t.enrolment_id: answers_for(t, items) for t in trainees}
    sent: set[int] = set()
    acknowledged: set[int] = set()
    killed = threading.Event()
    try:
        for server in servers:
            server.start()
        ports = [server.port for server in servers]

        def session(group: list[tuple[int, SeededTrainee]]) -> None:
            for n, trainee in group:
                if time.monotonic() > deadline:
                    outcome.problems.append("the time ran out")
                    return
                client = _Client(ports, n % 2, outcome, lock)  # alternating servers
                answers = expected[trainee.enrolment_id]
                survey = f"/surveys/{trainee.enrolment_id}/post"
                try:
                    client.sign_in(trainee.username)
                    early = [i for i in trainee.post_items if i not in trainee.last_page_items]
                    for start in range(0, len(early), 8):
                        chunk = early[start : start + 8]
                        saved = client.call("POST", survey + "/autosave", _form(answers, chunk), fetch=True)
                        if saved.status != 200:
                            raise RuntimeError(f"autosave: {saved.status}")
                    form = _form(answers, trainee.last_page_items) + [("action", "submit")]
                    with lock:
                        sent.add(trainee.enrolment_id)
                    response = client.call("POST", f"{survey}?page={trainee.page_count}", form)
                    if 200 <= response.status < 400:
                        with lock:
                            acknowledged.add(trainee.enrolment_id)
                    else:
                        outcome.problems.append(f"submit {trainee.username}: {response.status}")
                except Exception as error:  # noqa: BLE001 (counted as a problem)
                    outcome.problems.append(f"{trainee.username}: {error!r}")
                finally:
                    client.close()

        def kill_midway() -> None:
            while len(acknowledged) < len(trainees) * kill_after and time.monotonic() < deadline:
                time.sleep(0.01)
            victim = servers[0].process
            with lock:
                outcome.killed_after = len(acknowledged)
            os.killpg(victim.pid, signal.SIGKILL)  # the master and its workers, at once
            killed.set()

        numbered = list(enumerate(trainees))
        threads = [
            threading.Thread(target=session, args=(numbered[n::clients],), daemon=True)
            for n in range(clients)
        ]
        threads.append(threading.Thread(target=kill_midway, daemon=True))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()) + 1)
        if any(thread.is_alive() for thread in threads):
            outcome.problems.append("client threads still running when the time ran out")
        if not killed.is_set():
            outcome.problems.append("the first server was not killed")
    finally:
        for server in servers:
            server.cleanup()
    outcome.sent, outcome.acknowledged = len(sent), len(acknowledged)
    count_stored(url, {e: a for e, a in expected.items() if e in sent}, outcome)
    outcome.seconds = time.perf_counter() - started
    return outcome


def count_stored(url: str, sent: dict[int, dict[int, int]], outcome: Outcome) -> None:
    """Stored post-surveys of these enrolments, read straight from the database."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            ids = list(sent) or [0]
            per_enrolment = Counter()
            stored: dict[int, dict[int, int]] = {}
            for enrolment_id, response_id, item_id, value in connection.execute(
                text(
                    "SELECT r.enrolment_id, r.id, a.item_id, a.value FROM survey_response r "
                    "JOIN answer a ON a.response_id = r.id "
                    "WHERE r.phase = 'post' AND r.enrolment_id IN "
                    f"({', '.join(str(int(i)) for i in ids)})"
                )
            ):
                stored.setdefault(enrolment_id, {})[item_id] = value
                per_enrolment[(enrolment_id, response_id)] = 1
    finally:
        engine.dispose()
    responses = Counter(enrolment_id for enrolment_id, _response in per_enrolment)
    outcome.stored = len(responses)
    outcome.duplicated = sum(n - 1 for n in responses.values())
    outcome.lost = sum(1 for e, answers in sent.items() if stored.get(e) != answers)


def measure(url: str, quick: bool = False) -> dict:
    """`make bench`: seed three workshops (or one, quick) whose post-survey is open, run."""
    from bench.seed import CohortPlan, seed_programme
    from lms import create_app
    from lms.config import Config
    from lms.extensions import db

    app = create_app(type("BenchConfig", (Config,), {"SQLALCHEMY_DATABASE_URI": url}))
    with app.app_context():
        from lms.quizzes.instrument import current_version

        cohorts = 1 if quick else 3
        seeded = seed_programme(
            [CohortPlan(40, "post_open", "police")] * cohorts,
            facilitators=cohorts,
            staff=1,
            prefix="two-",
            certificates=False,
        )
        items = {i.id: (i.kind, len(i.options_vi or [])) for i in current_version().items}
        db.session.remove()
        db.engine.dispose()
    outcome = run(url, seeded.live_trainees, items)
    return outcome.summary()
