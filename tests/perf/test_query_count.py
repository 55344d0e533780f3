"""The trainee's two busiest pages run a bounded number of SQL statements, whatever the
trainee has done: counted on the engine, through the app (a count, never a duration)."""

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from lms.cohorts.services import enrol
from lms.extensions import db
from lms.modules.models import Lesson
from lms.modules.services import mark_complete

LIMIT = 4


@contextmanager
def counted():
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


@pytest.fixture
def busy_trainee(make_cohort, make_user, auth, answer_survey):
    """A trainee in two cohorts (one facilitator-paced), pre-survey done, lessons completed."""
    trainee = make_user("trainee", org_type="police")
    paced = make_cohort(audience="police", pacing="facilitator")
    paced.pre_survey_open = True
    for cohort_module in paced.modules:
        cohort_module.unlocked = True
    selfpaced = make_cohort(audience="police")
    enrolments = [enrol(paced, trainee), enrol(selfpaced, trainee)]
    db.session.commit()
    for enrolment in enrolments:
        answer_survey(enrolment, "pre")
    lessons = list(
        db.session.scalars(
            select(Lesson).where(Lesson.module_id == paced.modules[0].module_id).order_by(Lesson.position)
        )
    )
    for lesson in lessons[:2]:
        mark_complete(trainee, lesson)
    db.session.commit()
    auth.login(trainee)
    return trainee, lessons


def test_trainee_home_runs_at_most_four_statements(client, busy_trainee):
    client.get("/")  # the first request of a worker fills the process caches
    with counted() as statements:
        response = client.get("/")
    assert response.status_code == 200
    assert len(statements) <= LIMIT, "\n\n".join(statements)


def test_lesson_page_runs_at_most_four_statements(client, busy_trainee):
    keys = [lesson.key for lesson in busy_trainee[1]]
    client.get(f"/lessons/{keys[2]}")  # fills the process's lesson cache
    with counted() as statements:
        response = client.get(f"/lessons/{keys[2]}")
    assert response.status_code == 200
    assert f"/lessons/{keys[2]}/complete" in response.get_data(as_text=True)
    assert len(statements) <= LIMIT, "\n\n".join(statements)


def test_a_content_sync_replaces_the_cached_lesson(client, busy_trainee, content_copy):
    from lms.cli import sync_content

    key = busy_trainee[1][0].key
    lesson_file = "modules/01-understanding-stigma/01-what-is-stigma.md"
    assert key == "what-is-stigma"
    assert "Kỳ thị nghĩa là gì?" in client.get(f"/lessons/{key}").get_data(as_text=True)
    path = content_copy / "vi" / lesson_file
    path.write_text(
        path.read_text(encoding="utf-8").replace("## Kỳ thị nghĩa là gì?", "## Kỳ thị là như thế nào?", 1),
        encoding="utf-8",
    )
    sync_content(content_copy)
    page = client.get(f"/lessons/{key}").get_data(as_text=True)
    assert "Kỳ thị là như thế nào?" in page and "Kỳ thị nghĩa là gì?" not in page


def test_reopening_the_latest_lesson_writes_nothing_and_resume_stays_right(client, busy_trainee):
    keys = [lesson.key for lesson in busy_trainee[1]]
    writes = lambda statements: [s for s in statements if s.lstrip().upper().startswith("INSERT")]  # noqa: E731
    with counted() as first:
        client.get(f"/lessons/{keys[0]}")
    with counted() as again:
        page = client.get(f"/lessons/{keys[0]}").get_data(as_text=True)
    assert len(writes(first)) == 1 and writes(again) == []
    assert "Anh/chị đã hoàn thành bài học này." in page  # read from the database, not written
    with counted() as other:
        client.get(f"/lessons/{keys[1]}")
        client.get(f"/lessons/{keys[0]}")
    assert len(writes(other)) == 2  # another lesson in between: both visits are written
    home = client.get("/").get_data(as_text=True)
    assert f'href="/lessons/{keys[0]}"' in home and f'href="/lessons/{keys[1]}"' not in home


def _reads_the_toolkit(statement: str) -> bool:
    return re.search(r"\b(FROM|JOIN)\s+(module|lesson)\b(?!_)", statement) is not None


def test_the_toolkit_comes_from_memory_once_loaded(client, busy_trainee):
    key = busy_trainee[1][2].key
    client.get("/"), client.get(f"/lessons/{key}")  # the first requests load it
    with counted() as statements:
        assert client.get("/").status_code == 200
        assert client.get(f"/lessons/{key}").status_code == 200
        assert client.get("/modules").status_code == 200
    assert statements and not [s for s in statements if _reads_the_toolkit(s)]


def test_a_content_sync_changes_the_toolkit_every_page_shows(client, busy_trainee, content_copy):
    """Titles and the required flag come from the toolkit kept in memory: a sync (even by
    another process: the version is in the database) is seen by the next request."""
    from lms.cli import sync_content

    key = busy_trainee[1][0].key
    client.get("/"), client.get(f"/lessons/{key}")
    for lang in ("vi", "en"):
        path = content_copy / lang / "modules/01-understanding-stigma/01-what-is-stigma.md"
        text = path.read_text(encoding="utf-8")
        title = re.search(r"^title: (.*)$", text, re.M).group(1)
        path.write_text(
            text.replace(f"title: {title}", f"title: {title} (2027)", 1).replace(
                "required: true", "required: false", 1
            ),
            encoding="utf-8",
        )
    sync_content(content_copy)
    db.session.remove()  # as in another process: nothing of the sync kept in this session
    lesson = client.get(f"/lessons/{key}").get_data(as_text=True)
    assert "Kỳ thị là gì? (2027)</h1>" in lesson and "không bắt buộc" in lesson
    assert "Kỳ thị là gì? (2027)" in client.get("/modules/understanding-stigma").get_data(as_text=True)


def test_archiving_a_lesson_through_the_database_is_seen_at_once(client, busy_trainee):
    lessons = busy_trainee[1]
    client.get("/modules")
    before = client.get("/modules").get_data(as_text=True)
    lesson = db.session.get(Lesson, lessons[-1].id)
    count = len(lesson.module.lessons)
    assert f"{count} bài" in before
    lesson.archived = True
    db.session.commit()
    after = client.get("/modules").get_data(as_text=True)
    assert f"{count - 1} bài" in after
    assert client.get(f"/lessons/{lesson.key}").status_code == 404
