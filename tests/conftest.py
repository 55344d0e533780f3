"""Fixtures in the flaskr manner: app, client, runner, auth; factories for users and cohorts.

Every test gets an empty database with the toolkit content loaded. The schema and the content
are built once per run; each test then empties the tables and reinserts the content rows.
Set TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test) for PostgreSQL.
"""

import os
import shutil
from datetime import date, timedelta

import pytest
from sqlalchemy import insert, select, text

from lms import create_app
from lms.config import TestConfig
from lms.extensions import db

CONTENT_TABLES = ("module", "lesson", "toolkit_version", "survey_version", "survey_item")
PASSWORD = "correct horse"


def _config(url: str, **extra) -> type[TestConfig]:
    return type("Config", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url, **extra})


@pytest.fixture(scope="session")
def database(tmp_path_factory):
    """Schema and content built once; returns (url, content rows per table)."""
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
    app = create_app(_config(url))
    with app.app_context():
        db.drop_all()
        db.create_all()
        from lms.cli import sync_content

        sync_content()
        snapshot = {
            name: [dict(row._mapping) for row in db.session.execute(select(db.metadata.tables[name]))]
            for name in CONTENT_TABLES
        }
        db.session.commit()
        db.engine.dispose()
    return url, snapshot


def reset_database(snapshot) -> None:
    """Empty every table, then put the content rows back."""
    tables = db.metadata.sorted_tables
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in reversed(tables):
            db.session.execute(table.delete())
    for name in CONTENT_TABLES:
        if snapshot[name]:
            db.session.execute(insert(db.metadata.tables[name]), snapshot[name])
    if db.engine.dialect.name == "postgresql":
        for name in CONTENT_TABLES:
            db.session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {name}), 0) + 1, false)"
                )
            )
    db.session.commit()


def _forget_request_state():
    # Tests hold one app context open, which requests then share: drop what Flask-Login and
    # Flask-Babel cache on `g` so each request starts as it would on a real server.
    from flask import g
    from flask_babel import refresh

    g.pop("_login_user", None)
    refresh()


def _end_of_request(response):
    db.session.rollback()
    return response


@pytest.fixture
def app(database):
    url, snapshot = database
    app = create_app(_config(url))
    app.before_request_funcs.setdefault(None, []).insert(0, _forget_request_state)
    # On a real server the session ends with the request: what a route did not commit is gone
    # (after_request: only requests made through the client, not test_request_context blocks).
    app.after_request_funcs.setdefault(None, []).insert(0, _end_of_request)
    with app.app_context():
        reset_database(snapshot)
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def import_dir(request, tmp_path):
    """Uploads kept between preview and import go to a temporary folder, not instance/."""
    path = tmp_path / "imports"
    if "app" in request.fixturenames:
        request.getfixturevalue("app").config["IMPORT_DIR"] = str(path)
    return path


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    """make_user(role="trainee", username=None, **profile) -> User with password PASSWORD."""
    from lms.auth.services import create_user

    counter = iter(range(1, 10_000))

    def make(role="trainee", username=None, full_name=None, **profile):
        n = next(counter)
        profile.setdefault("language", "vi")
        user, _ = create_user(
            username or f"{role}{n}", full_name or f"Nguyễn Văn {role} {n}", PASSWORD, role=role, **profile
        )
        db.session.commit()
        return user

    return make


@pytest.fixture
def make_cohort(app, make_user):
    """make_cohort(facilitator=None, trainees=0, **fields) -> Cohort (enrolled trainees made)."""
    from lms.cohorts.services import create_cohort, enrol

    def make(facilitator=None, trainees=0, **fields):
        facilitator = facilitator or make_user("facilitator")
        fields = {
            "name": "Lớp tập huấn thử",
            "audience": "police",
            "province": "ha-noi",
            "start_date": date.today(),
            "end_date": date.today() + timedelta(days=1),
            "status": "active",
            **fields,
        }
        cohort = create_cohort(facilitator, **fields)
        for _ in range(trainees):
            enrol(cohort, make_user("trainee", org_type="police"))
        db.session.commit()
        return cohort

    return make


def survey_answers(
    enrolment, phase="pre", likert=4, knowledge=True, practice=2, version=None
) -> dict[int, int]:
    """Every item this trainee answers in this phase, answered.

    likert: the box ticked for every attitude item (1–5), or a function item -> keyed score
    (the box is turned round for reverse-keyed items). knowledge: True / False for every answer
    right / wrong, an option number for every question, or a function item -> right?
    practice (follow-up waves): the band ticked (1–4, 0 = does not apply), or item -> band.
    """
    from lms.quizzes.services import items_for

    answers = {}
    for item in items_for(enrolment, phase, version):
        if item.kind == "practice":
            answers[item.id] = practice(item) if callable(practice) else practice
        elif item.kind in ("likert", "policy"):
            if callable(likert):
                answers[item.id] = 6 - likert(item) if item.reverse else likert(item)
            else:
                answers[item.id] = likert
        elif isinstance(knowledge, int) and not isinstance(knowledge, bool):
            answers[item.id] = knowledge
        else:
            right = knowledge(item) if callable(knowledge) else knowledge
            answers[item.id] = item.answer if right else (item.answer + 1) % len(item.options_vi)
    return answers


@pytest.fixture
def answer_survey(app):
    """answer_survey(enrolment, phase="pre", likert=4, knowledge=True, source="online",
    practice=2) -> SurveyResponse: submitted through quizzes.services.submit_survey and
    committed, exactly as a trainee's request stores it (see survey_answers)."""
    from lms.quizzes.services import submit_survey

    def answer(enrolment, phase="pre", likert=4, knowledge=True, source="online", practice=2):
        response = submit_survey(
            enrolment, phase, survey_answers(enrolment, phase, likert, knowledge, practice), source=source
        )
        db.session.commit()
        return response

    return answer


@pytest.fixture
def enrolment(make_cohort, make_user, auth):
    """A police trainee enrolled in a police cohort, signed in on the test client."""
    from lms.cohorts.services import enrol

    cohort = make_cohort(audience="police")
    trainee = make_user("trainee", org_type="police")
    enrolment = enrol(cohort, trainee)
    db.session.commit()
    auth.login(trainee)
    return enrolment


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, user_or_name, password=PASSWORD):
        username = getattr(user_or_name, "username", user_or_name)
        return self._client.post("/login", data={"username": username, "password": password})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def content_copy(tmp_path):
    """A writable copy of the content folder, for tests that break or change it."""
    from lms.config import ROOT

    target = tmp_path / "content"
    shutil.copytree(ROOT / "content", target)
    return target


SURVEY_V1 = os.path.join(os.path.dirname(__file__), "quizzes", "data", "survey-v1")


def load_instrument(content_dir) -> object:
    """Load an instrument file pair (as `content sync` does) and commit; returns the version."""
    from pathlib import Path

    from lms.quizzes.instrument import parse_instrument, sync_instrument

    data, problems = parse_instrument(Path(content_dir))
    assert problems == []
    version = sync_instrument(data)
    db.session.commit()
    return version


@pytest.fixture
def instrument_v1(app):
    """The first instrument (2025), as the only version: tests of historical data written for
    its items. Before any answer exists, loading it replaces the current version in place."""
    return load_instrument(SURVEY_V1)


def follow_job(client, response):
    """The file at the end of a background job. A request that starts one is redirected to
    the job's page (done already: jobs run inside the request under tests), whose link gives
    the file; a small file handed over at once is returned as it is."""
    import re

    if response.status_code not in (302, 303) or "/jobs/" not in response.location:
        return response
    page = client.get(response.location)
    assert page.status_code == 200, page.status_code
    link = re.search(r'href="(/jobs/[0-9a-f]{32}/download)"', page.get_data(as_text=True))
    assert link, page.get_data(as_text=True)
    return client.get(link.group(1))


def get_file(client, url: str, **kwargs):
    """GET a download that may be made by a background job (see follow_job)."""
    return follow_job(client, client.get(url, **kwargs))
