"""Two app servers on one database, one of them killed (SIGKILL) in the middle of a workshop's
survey submissions: clients whose connection fails retry on the other server, as nginx would.
Nothing is lost, nothing is stored twice, no 5xx (counts only, no timings).

The suite's database: SQLite (four gunicorn workers sharing one file) or PostgreSQL with
TEST_DATABASE_URL. Run alone with `-m load`.
"""

import pytest

from bench import two_servers
from lms.extensions import db

from .helpers import instrument_items

pytestmark = pytest.mark.load


def test_two_servers_one_killed_midway_lose_and_duplicate_nothing(app, seed_trainees):
    trainees = seed_trainees(cohorts=2).live_trainees
    items = instrument_items()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()
    outcome = two_servers.run(url, trainees, items, seconds=280)
    summary = outcome.summary()
    assert not outcome.problems, summary
    assert outcome.killed_after > 0 and outcome.killed_after < len(trainees), (
        f"the kill did not land mid-run: {summary}"
    )
    assert outcome.connection_errors > 0, f"no client ever met the killed server: {summary}"
    assert outcome.sent == len(trainees) and outcome.acknowledged == len(trainees), summary
    assert outcome.server_errors == 0, summary
    assert outcome.lost == 0, summary
    assert outcome.duplicated == 0, summary
    assert outcome.stored == len(trainees), summary
    print(f"\n{summary}")


def test_the_count_sees_lost_surveys(app, seed_trainees, answer_survey):
    # The count itself can fail: a survey stored with other answers than those sent is lost,
    # and so is one never stored.
    from lms.cohorts.models import Enrolment

    trainees = seed_trainees(cohorts=1, size=3).live_trainees
    items = instrument_items()
    sent = {t.enrolment_id: two_servers.answers_for(t, items) for t in trainees}
    first, second, _third = trainees
    for trainee in (first, second):
        answer_survey(db.session.get(Enrolment, trainee.enrolment_id), "post", likert=4)
    outcome = two_servers.Outcome()
    two_servers.count_stored(app.config["SQLALCHEMY_DATABASE_URI"], sent, outcome)
    assert (outcome.stored, outcome.lost, outcome.duplicated) == (2, 3, 0)


def test_sign_in_throttling_is_shared_by_the_servers(app, seed_trainees):
    # Failed sign-ins are rows in the database, not counters in a process: three wrong
    # passwords on one server and two on the other reach the limit of five, and then the
    # right password is refused on both, exactly as on one server.
    import secrets

    from bench.client import Browser
    from bench.seed import TRAINEE_PASSWORD
    from bench.server import HOST, GunicornServer

    trainee = seed_trainees(cohorts=1, size=1).live_trainees[0]
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()
    shared = {"SECRET_KEY": secrets.token_hex(16), "LOGIN_MAX_FAILURES": "5"}
    servers = [GunicornServer(url, workers=1, threads=2, env=shared) for _ in range(2)]
    try:
        for server in servers:
            server.start()

        def attempt(server, password):
            browser = Browser(HOST, server.port)
            browser.get("/login")
            response = browser.post("/login", {"username": trainee.username, "password": password})
            browser.close()
            return response

        wrong = [attempt(servers[n], "not the password") for n in (0, 0, 0, 1, 1)]
        assert [r.status for r in wrong] == [422] * 5  # the form again, with its error
        assert "Anh/chị đã đăng nhập sai quá nhiều lần" not in wrong[-1].text
        for server in servers:
            refused = attempt(server, TRAINEE_PASSWORD)
            assert refused.status in (422, 429) and "Anh/chị đã đăng nhập sai quá nhiều lần" in refused.text
    finally:
        for server in servers:
            server.cleanup()
