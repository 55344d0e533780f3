"""Answering an anonymous cohort's survey on a phone, without an account: the personal code,
every page of the survey, a reload in the middle, a double click on submit."""

import sqlite3

import pytest

from tests.browser.conftest import _server
from tests.browser.test_accessibility import axe_violations

pytestmark = pytest.mark.browser

JOIN_CODE = "ANONYM"


def _seed(database_url: str) -> None:
    """An anonymous cohort of the demo facilitator, with a known join code."""
    from datetime import date, timedelta

    from sqlalchemy import select

    from lms import create_app
    from lms.auth.models import User
    from lms.cohorts.services import create_cohort, set_cohort_modules
    from lms.config import TestConfig
    from lms.extensions import db

    app = create_app(type("SeedConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": database_url}))
    with app.app_context():
        facilitator = db.session.scalar(select(User).where(User.username == "facilitator"))
        cohort = create_cohort(
            facilitator,
            name="Lớp ẩn danh",
            audience="police",
            province="ha-noi",
            start_date=date.today(),
            end_date=date.today() + timedelta(days=1),
            status="active",
            anonymous=True,
        )
        cohort.join_code = JOIN_CODE
        set_cohort_modules(cohort, [], [])
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def anonymous_server(tmp_path_factory):
    instance = tmp_path_factory.mktemp("anonymous")
    with _server(instance, seed=_seed) as base:
        yield base, instance / "browser.sqlite"


def _answer_page(page) -> None:
    names = page.eval_on_selector_all(
        "form.survey input[type=radio]", "inputs => [...new Set(inputs.map(i => i.name))]"
    )
    for name in names:
        page.locator(f"input[name='{name}']").first.check()


def test_a_respondent_answers_on_a_phone_without_an_account(page, anonymous_server):
    base, database = anonymous_server
    page.goto(f"{base}/a/{JOIN_CODE}/pre")
    assert page.locator("#sgic-mother").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    violations = axe_violations(page)
    # A day of birth that cannot be: asked again, with the reason, nothing kept.
    for field, value in (
        ("mother", "Đ"),
        ("father", "t"),
        ("birth_day", "40"),
        ("birth_month", "11"),
        ("older_siblings", "0"),
    ):
        page.fill(f"#sgic-{field}", value)
    with page.expect_navigation():
        page.click("form.survey button[type=submit]")
    assert "từ 1 đến 31" in page.locator("[role=alert]").inner_text()
    violations += axe_violations(page)
    page.fill("#sgic-mother", "Đ")
    page.fill("#sgic-father", "t")
    page.fill("#sgic-birth_day", "7")
    page.fill("#sgic-birth_month", "11")
    page.fill("#sgic-older_siblings", "0")
    with page.expect_navigation():
        page.click("form.survey button[type=submit]")
    assert "/survey" in page.url
    violations += axe_violations(page)
    _answer_page(page)
    first = page.locator("form.survey input[type=radio]:checked").first.get_attribute("name")
    # The connection drops and the page is opened again: the answers are still there.
    with page.expect_navigation():
        page.click("button[value=next]")
    page.goto(f"{base}/a/{JOIN_CODE}/pre/survey?page=1")
    assert page.locator(f"input[name='{first}']:checked").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    while page.locator("button[value=next]").count():
        _answer_page(page)
        with page.expect_navigation():
            page.click("button[value=next]")
    _answer_page(page)
    with page.expect_navigation():
        page.dblclick("button[value=submit]")  # an impatient double click
    page.wait_for_url(f"**/a/{JOIN_CODE}/pre/done")
    assert page.locator("h1").inner_text() == "Cảm ơn anh/chị!"
    violations += axe_violations(page)
    assert not violations, "\n".join(violations)
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT e.user_id FROM survey_response r JOIN enrolment e ON e.id = r.enrolment_id"
        ).fetchall()
        codes = connection.execute("SELECT count(*) FROM identification_code").fetchone()
    assert rows == [(None,)] and codes == (1,)
