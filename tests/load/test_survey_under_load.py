"""A workshop submitting the survey at once, duplicates and retries included, and a worker
killed mid-run: exactly one submission each, no 5xx, every acknowledged answer kept.

Real gunicorn on loopback (tests/load/conftest.py), the suite's database (SQLite, or
PostgreSQL with TEST_DATABASE_URL). Run them alone with `-m load`.
"""

import http.client
import itertools
import os
import random
import signal
import threading
import time
from collections import Counter
from functools import partial

import pytest
from sqlalchemy import func, select

from lms.extensions import db

from .helpers import instrument_items, run_threads, signed_in, survey_answers

pytestmark = pytest.mark.load

ACKNOWLEDGED = range(200, 400)
NETWORK_ERRORS = (OSError, http.client.HTTPException)


def _survey(trainee) -> str:
    return f"/surveys/{trainee.enrolment_id}/post"


def _form(answers: dict[int, int], item_ids) -> list[tuple[str, int]]:
    return [(f"item-{i}", answers[i]) for i in item_ids]


def _stored_post_surveys(enrolment_ids) -> tuple[Counter, dict[int, dict[int, int]]]:
    """(responses per enrolment, {enrolment: {item: value}}) as the database has them now."""
    from lms.quizzes.models import Answer, SurveyResponse

    db.session.remove()
    counts = Counter(
        dict(
            db.session.execute(
                select(SurveyResponse.enrolment_id, func.count())
                .where(SurveyResponse.phase == "post", SurveyResponse.enrolment_id.in_(enrolment_ids))
                .group_by(SurveyResponse.enrolment_id)
            ).all()
        )
    )
    answers: dict[int, dict[int, int]] = {}
    for enrolment_id, item_id, value in db.session.execute(
        select(SurveyResponse.enrolment_id, Answer.item_id, Answer.value)
        .join(Answer, Answer.response_id == SurveyResponse.id)
        .where(SurveyResponse.phase == "post", SurveyResponse.enrolment_id.in_(enrolment_ids))
    ):
        answers.setdefault(enrolment_id, {})[item_id] = value
    return counts, answers


def test_two_hundred_trainees_submit_at_once_with_duplicates_and_retries(seed_trainees, server, deadline):
    trainees = seed_trainees(cohorts=5).live_trainees
    assert len(trainees) == 200
    items = instrument_items()
    expected = {t.enrolment_id: survey_answers(t, items) for t in trainees}
    statuses: Counter = Counter()
    problems: list[str] = []
    browsers = {}
    lock = threading.Lock()

    def note(kind: str, status) -> None:
        with lock:
            statuses[(kind, status)] += 1

    # Everyone signs in and autosaves every page but the last, as app.js does while answering.
    def prepare(group):
        for trainee in group:
            if deadline.passed:
                return
            try:
                browser = signed_in(server.port, trainee.username)
                early = [i for i in trainee.post_items if i not in trainee.last_page_items]
                saved = browser.post_fetch(
                    _survey(trainee) + "/autosave", _form(expected[trainee.enrolment_id], early)
                )
                note("autosave", saved.status)
                if saved.status != 200 or b'"saved"' not in saved.body:
                    problems.append(f"autosave {trainee.username}: {saved.status}")
                browser.close()
                browsers[trainee.enrolment_id] = browser
            except Exception as error:  # noqa: BLE001 (reported below)
                problems.append(f"prepare {trainee.username}: {error!r}")

    run_threads([partial(prepare, trainees[n::16]) for n in range(16)], deadline)
    assert not problems, problems[:5]

    # Then all at once: two submissions per trainee (a double tap, a second tab); for one
    # trainee in four the first copy is lost on the way back (the phone hung up) and retried.
    start = threading.Barrier(2 * len(trainees), timeout=deadline.left)
    acknowledged: Counter = Counter()

    def submit(trainee, copy: int):
        browser = browsers[trainee.enrolment_id].fork()
        url = f"{_survey(trainee)}?page={trainee.page_count}"
        form = _form(expected[trainee.enrolment_id], trainee.last_page_items)
        form.append(("action", "submit"))
        rng = random.Random(trainee.enrolment_id * 2 + copy)
        try:
            start.wait()
            if copy == 0 and trainee.enrolment_id % 4 == 0:
                browser.post_and_hang_up(url, form)
                note("hung up", "-")
                time.sleep(rng.uniform(0.05, 0.5))  # the phone notices and sends it again
            response = browser.post(url, form)
            note("submit", response.status)
            if response.status in ACKNOWLEDGED:
                with lock:
                    acknowledged[trainee.enrolment_id] += 1
        except Exception as error:  # noqa: BLE001 (reported below)
            problems.append(f"submit {trainee.username}: {error!r}")
        finally:
            browser.close()

    run_threads([partial(submit, t, copy) for t in trainees for copy in (0, 1)], deadline)

    server_errors = {k: n for k, n in statuses.items() if k[1] != "-" and k[1] >= 500}
    assert not problems, problems[:5]
    assert not server_errors, f"5xx answers: {server_errors}; all: {statuses}"
    assert all(acknowledged[t.enrolment_id] >= 1 for t in trainees), statuses
    counts, stored = _stored_post_surveys(list(expected))
    assert set(counts.values()) == {1} and len(counts) == len(trainees), (
        f"post-surveys per trainee: {Counter(counts.values())}"
    )
    lost = {e: (stored.get(e), answers) for e, answers in expected.items() if stored.get(e) != answers}
    assert not lost, f"{len(lost)} trainees' stored answers differ from what they sent"
    from lms.quizzes.models import DraftAnswer

    leftover = db.session.scalar(
        select(func.count())
        .select_from(DraftAnswer)
        .where(DraftAnswer.phase == "post", DraftAnswer.enrolment_id.in_(list(expected)))
    )
    print(f"\nanswers: {dict(statuses)}; drafts left behind by duplicates: {leftover}")


def test_a_worker_killed_mid_run_keeps_every_acknowledged_answer(seed_trainees, server, deadline):
    trainees = seed_trainees(cohorts=3).live_trainees
    items = instrument_items()
    expected = {t.enrolment_id: survey_answers(t, items) for t in trainees}
    workers_before = server.worker_pids()
    # (order, enrolment, answers it confirms): events are numbered, not timed, so "before the
    # kill" does not depend on the clock of a busy machine.
    acks: list[tuple[int, int, dict[int, int]]] = []
    order = itertools.count()
    statuses: Counter = Counter()
    problems: list[str] = []
    network_errors = [0]
    submitted = [0]
    lock = threading.Lock()
    killed: dict = {}

    def send(browser, path: str, form: list, fetch: bool = False):
        """The phone retries on a dropped connection, on a fresh one, a few times."""
        for _attempt in range(8):
            if deadline.passed:
                raise TimeoutError("the test's time ran out")
            try:
                response = browser.post_fetch(path, form) if fetch else browser.post(path, form)
            except NETWORK_ERRORS:
                with lock:
                    network_errors[0] += 1
                browser.close()
                time.sleep(0.25)
                continue
            with lock:
                statuses[response.status] += 1
            if response.status < 500:
                return response
            time.sleep(0.25)
        raise RuntimeError("no answer after 8 attempts")

    def trainee_session(group):
        for trainee in group:
            try:
                browser = signed_in(server.port, trainee.username)
            except NETWORK_ERRORS:
                browser = signed_in(server.port, trainee.username)  # once more, after a kill
            except Exception as error:  # noqa: BLE001 (reported below)
                problems.append(f"sign-in {trainee.username}: {error!r}")
                continue
            try:
                answers = expected[trainee.enrolment_id]
                early = [i for i in trainee.post_items if i not in trainee.last_page_items]
                for page in range(0, len(early), 8):
                    chunk = early[page : page + 8]
                    response = send(
                        browser, _survey(trainee) + "/autosave", _form(answers, chunk), fetch=True
                    )
                    if response.status in ACKNOWLEDGED:
                        with lock:
                            acks.append((next(order), trainee.enrolment_id, {i: answers[i] for i in chunk}))
                form = _form(answers, trainee.last_page_items) + [("action", "submit")]
                url = f"{_survey(trainee)}?page={trainee.page_count}"
                response = send(browser, url, form)
                if response.status in ACKNOWLEDGED:
                    with lock:
                        acks.append((next(order), trainee.enrolment_id, dict(answers)))
                        submitted[0] += 1
                else:
                    problems.append(f"submit {trainee.username}: {response.status}")
            except Exception as error:  # noqa: BLE001 (reported below)
                problems.append(f"{trainee.username}: {error!r}")
            finally:
                browser.close()

    def kill_a_worker():
        while submitted[0] < len(trainees) // 3 and not deadline.passed:
            time.sleep(0.01)
        victim = workers_before[0]
        with lock:
            killed["at"] = next(order)
            os.kill(victim, signal.SIGKILL)
        killed["pid"] = victim

    run_threads([partial(trainee_session, trainees[n::12]) for n in range(12)] + [kill_a_worker], deadline)

    assert "pid" in killed, "the worker was not killed"
    replaced = server.wait_for_workers(2, exclude={killed["pid"]}, wait=deadline.left + 5)
    assert set(replaced) - set(workers_before), "gunicorn did not start a new worker"
    assert not problems, problems[:5]
    assert not [s for s in statuses if s >= 500], f"5xx answers: {statuses}"
    before_kill = [a for a in acks if a[0] < killed["at"]]
    assert before_kill and len(before_kill) < len(acks), "the kill did not land mid-run"
    counts, stored = _stored_post_surveys(list(expected))
    from lms.quizzes.models import DraftAnswer

    drafts: dict[int, dict[int, int]] = {}
    for enrolment_id, item_id, value in db.session.execute(
        select(DraftAnswer.enrolment_id, DraftAnswer.item_id, DraftAnswer.value).where(
            DraftAnswer.phase == "post", DraftAnswer.enrolment_id.in_(list(expected))
        )
    ):
        drafts.setdefault(enrolment_id, {})[item_id] = value
    lost = [
        (enrolment, item)
        for _at, enrolment, answers in before_kill
        for item, value in answers.items()
        if stored.get(enrolment, drafts.get(enrolment, {})).get(item) != value
    ]
    assert not lost, f"{len(lost)} answers acknowledged before the kill are not in the database"
    # The run completed: every trainee submitted once, with exactly what they sent.
    assert set(counts.values()) == {1} and len(counts) == len(trainees), Counter(counts.values())
    assert all(stored.get(e) == answers for e, answers in expected.items())
    print(
        f"\nkilled worker {killed['pid']}; {network_errors[0]} dropped connections retried; "
        f"{len(before_kill)} of {len(acks)} acknowledgements came before the kill"
    )
