"""A facilitator schedules a follow-up; months later (the server's clock moved with LMS_TODAY)
the trainee answers it on their phone, and the staff report shows three waves."""

import os
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from datetime import date, timedelta

from playwright.sync_api import expect

from lms.config import ROOT
from tests.browser.conftest import BIN, _free_port, sign_in

FOLLOWED = 5  # trainees who answered the follow-up on paper, besides the one in the browser


def _seed(database_url: str) -> int:
    """A finished cohort of the demo facilitator: six trainees answered before and after, five
    of them also the follow-up (typed in from paper); the sixth, "wave-trainee", has not."""
    from sqlalchemy import select

    from lms import create_app
    from lms.auth.models import User
    from lms.auth.services import create_user
    from lms.cohorts.services import create_cohort, enrol, set_cohort_modules
    from lms.config import TestConfig
    from lms.extensions import db
    from lms.quizzes.services import submit_survey
    from tests.conftest import survey_answers

    app = create_app(type("SeedConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": database_url}))
    with app.app_context():
        facilitator = db.session.scalar(select(User).where(User.username == "facilitator"))
        today = date.today()
        cohort = create_cohort(
            facilitator,
            name="Lớp theo dõi",
            audience="police",
            province="ha-noi",
            start_date=today - timedelta(days=3),
            end_date=today - timedelta(days=2),
            status="closed",
        )
        set_cohort_modules(cohort, [], [])
        for n in range(FOLLOWED + 1):
            user, _ = create_user(
                f"wave-trainee{n or ''}",
                f"Trần Thị {n}",
                "demo-2026",
                role="trainee",
                language="vi",
                org_type="police",
            )
            user.must_change_password = False
            enrolment = enrol(cohort, user)
            db.session.flush()
            phases = ("pre", "post") if n == 0 else ("pre", "post", "follow-1")
            for phase in phases:
                score = {"pre": 2, "post": 4, "follow-1": 3}[phase]
                submit_survey(
                    enrolment, phase, survey_answers(enrolment, phase, likert=score), source="paper"
                )
        db.session.commit()
        cohort_id = cohort.id
        db.session.remove()
        db.engine.dispose()
    return cohort_id


@contextmanager
def _gunicorn(env):
    port = _free_port()
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--threads",
            "4",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):  # a loaded machine may take a while to start it
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2)  # noqa: S310 (loopback)
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("the server did not start")
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _answer_every_page(page):
    practice_seen = False
    while True:
        for question in page.locator("fieldset.question").all():
            question.locator("input[type=radio]").nth(1).check()
        if page.locator(".choices.practice").count():
            # Practice answers are autosaved like the others: still there after a reload.
            practice_seen = True
            expect(page.locator(".save-status")).to_have_text("Đã lưu")
            page.reload()
            checked = page.locator(".choices.practice input[type=radio]:checked")
            assert checked.count() == page.locator(".choices.practice").count() > 0
            assert {checked.nth(i).get_attribute("value") for i in range(checked.count())} == {"2"}
        button = page.locator("button[value=next], button[value=submit]").first
        last = button.get_attribute("value") == "submit"
        button.click()
        if last:
            assert practice_seen
            return


def test_follow_up_months_later(browser, tmp_path):
    env = {
        **os.environ,
        "LMS_INSTANCE_PATH": str(tmp_path),
        "SECRET_KEY": "browser-tests",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'waves.sqlite'}",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }
    env.pop("LMS_TODAY", None)
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    for command in (["db", "upgrade"], ["content", "sync"], ["demo", "seed"]):
        subprocess.run(flask + command, cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
    cohort_id = _seed(env["DATABASE_URL"])
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(30_000)

    with _gunicorn(env) as base:
        sign_in(page, base, "facilitator")
        page.goto(f"{base}/cohorts/{cohort_id}/waves")
        page.fill("#wave-follow-1", "3")
        page.click("form.stack button[type=submit]")
        assert page.locator("td[data-count='follow-1-done']").inner_text() == str(FOLLOWED)
        page.context.clear_cookies()
        sign_in(page, base, "wave-trainee")
        home = page.locator("main").inner_text()
        assert "Khảo sát theo dõi" in home and "Mở vào ngày" in home
        assert page.locator("a[href*='/follow-1']").count() == 0

    three_months_on = date.today() + timedelta(days=100)
    with _gunicorn({**env, "LMS_TODAY": three_months_on.isoformat()}) as base:
        page.context.clear_cookies()
        sign_in(page, base, "wave-trainee")
        page.locator("a[href$='/follow-1']").first.click()
        _answer_every_page(page)
        page.wait_for_url("**/follow-1/done")
        page.context.clear_cookies()
        sign_in(page, base, "staff")
        page.goto(f"{base}/reports/waves?cohort={cohort_id}")
        table = page.locator("table[data-waves='3']")
        assert table.count() == 1
        assert f"{FOLLOWED + 1} học viên đã trả lời cả ba khảo sát" in page.locator("main").inner_text()
        assert table.locator("td[data-wave='follow']").count() >= 1
        # Everyone ticked "1–2 times" (the second answer) on each police practice question.
        practice = page.locator("table[data-practice='police']")
        assert practice.locator("tr[data-row='B01'] td[data-value='2']").inner_text() == str(FOLLOWED + 1)
        assert practice.locator("tr[data-row='B04'] td[data-value='1']").inner_text() == "0"
    context.close()
