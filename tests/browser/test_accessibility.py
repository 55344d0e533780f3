"""WCAG 2.2 AA checked by a machine: axe-core's rules on every kind of page, in a real browser.

Trainee and public pages are checked on a 360 px phone, facilitator and staff pages on a laptop.
"""

import re
from types import SimpleNamespace

import pytest
from axe_playwright_python.sync_playwright import Axe

from bench.seed import STAFF_PASSWORD, TRAINEE_PASSWORD
from tests.browser.conftest import sign_in
from tests.browser.test_workshop import _answer_the_survey

pytestmark = pytest.mark.browser

WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PHONE = {"width": 360, "height": 740}
LAPTOP = {"width": 1280, "height": 800}


def axe_violations(page) -> list[str]:
    """axe-core's WCAG 2.2 A/AA violations on the page as it is, one readable line each."""
    page.wait_for_load_state()
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    results = Axe().run(
        page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA}, "resultTypes": ["violations"]}
    )
    path = re.sub(r"^https?://[^/]+", "", page.url)
    return [
        f"{path}: {violation['id']} ({violation['impact']}) {violation['help']}: "
        + ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
        for violation in results.response["violations"]
    ]


class Checker:
    """Visits pages in one browser context and gathers every violation, to report them all."""

    def __init__(self, browser, base, viewport):
        self.context = browser.new_context(viewport=viewport, locale="vi-VN")
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.base = base
        self.checked, self.violations = [], []

    def check(self, path=None):
        if path is not None:
            self.page.goto(self.base + path)
        self.checked.append(self.page.url)
        self.violations += axe_violations(self.page)

    def assert_clean(self, at_least: int):
        self.context.close()
        assert len(self.checked) >= at_least, self.checked
        assert not self.violations, "\n".join(self.violations)


@pytest.fixture
def programme(programme_server):
    """The seeded programme: a finished cohort, and one in its last session."""
    seeded = programme_server.seeded
    finished = next(c for c in seeded.cohorts if c.state == "finished")
    live = next(c for c in seeded.cohorts if c.state == "post_open")
    return SimpleNamespace(base=programme_server.base, seeded=seeded, finished=finished, live=live)


def _demo_join_code(browser, base) -> str:
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    sign_in(page, base, "facilitator")
    page.goto(f"{base}/cohorts")
    page.locator("main a[href^='/cohorts/']").filter(has_text="(demo)").first.click()
    code = page.locator("dd.mono.big").first.inner_text().strip()
    context.close()
    return code


def test_public_and_new_trainee_pages_on_a_phone_pass_wcag_22_aa(browser, programme):
    code = _demo_join_code(browser, programme.base)
    axe = Checker(browser, programme.base, PHONE)
    page = axe.page
    certificate = next(iter(programme.seeded.certificate_codes.values()))
    for path in (
        "/",
        "/login",
        "/join",
        f"/join/{code}",
        "/verify",
        f"/verify/{certificate}",
        "/verify/ABCD-EFGH-JKMN",
        "/no-such-page",
    ):
        axe.check(path)
    sign_in(page, programme.base, "trainee", "not-the-password")
    axe.check()  # the sign-in form with its error
    page.goto(f"{programme.base}/join/{code}")
    form = page.locator(f"form[action='/join/{code}/register']")
    form.locator("#full_name").fill("Đỗ Thị Kiểm Tra")
    form.locator("#username").fill("a11y-trainee")
    form.locator("#password").fill("mat-khau-123")
    form.locator("#confirm").fill("khac-nhau-456")
    form.locator("button[type=submit]").click()
    axe.check()  # the registration form with its errors
    form = page.locator(f"form[action='/join/{code}/register']")
    form.locator("#password").fill("mat-khau-123")
    form.locator("#confirm").fill("mat-khau-123")
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{programme.base}/")
    axe.check()  # trainee home, before the survey
    page.locator("a[href$='/pre']").first.click()
    axe.check()  # the survey
    _answer_the_survey(page)
    axe.check()  # its thank-you page
    axe.check("/modules")
    page.locator("main a[href^='/modules/']").first.click()
    axe.check()  # a module
    page.locator("main a[href^='/lessons/']").first.click()
    axe.check()  # a lesson
    for path in ("/certificates", "/account", "/password"):
        axe.check(path)
    axe.assert_clean(at_least=18)


def test_trainees_in_their_last_session_and_certified_on_a_phone_pass_wcag_22_aa(browser, programme):
    axe = Checker(browser, programme.base, PHONE)
    live = programme.seeded.live_trainees[0]
    sign_in(axe.page, programme.base, live.username, TRAINEE_PASSWORD)
    axe.check()  # home with the survey after the training open
    axe.check(f"/surveys/{live.enrolment_id}/post")  # with answers saved as drafts
    axe.check("/modules")
    axe.page.context.clear_cookies()
    certified = programme.seeded.finished_trainees[0]  # the finished cohort's first trainee
    assert certified in programme.seeded.certificate_codes
    sign_in(axe.page, programme.base, certified, TRAINEE_PASSWORD)
    axe.check()  # home, all done
    axe.check("/certificates")  # with a certificate to download
    axe.check(f"/surveys/{programme.finished.enrolment_ids[0]}/post/done")  # own results
    axe.assert_clean(at_least=6)


def test_facilitator_pages_pass_wcag_22_aa(browser, programme):
    axe = Checker(browser, programme.base, LAPTOP)
    sign_in(axe.page, programme.base, programme.finished.facilitator, STAFF_PASSWORD)
    axe.check()  # facilitator home
    finished, live = f"/cohorts/{programme.finished.id}", f"/cohorts/{programme.live.id}"
    for path in (
        "/cohorts",
        "/cohorts/new",
        finished,
        f"{finished}/edit",
        f"{finished}/room",
        f"{finished}/progress",
        f"{finished}/certificates",
        f"{live}/presenter",
        f"{live}/poster",
        f"{live}/import",
        f"{live}/paper",
        f"{live}/paper/post",
        "/reports",
    ):
        axe.check(path)
    axe.page.goto(f"{programme.base}{live}/presenter")
    axe.page.locator("button[value=close-post]").click()
    axe.check()  # the console with its confirmation
    axe.check("/preview")
    axe.page.locator("main a[href*='notes=1']").first.click()
    axe.check()  # a module printed with the facilitator's notes
    axe.page.go_back()
    axe.page.locator("main a[href^='/preview/lessons/']").first.click()
    axe.check()  # a lesson previewed
    axe.assert_clean(at_least=18)


def test_staff_pages_pass_wcag_22_aa(browser, programme):
    axe = Checker(browser, programme.base, LAPTOP)
    sign_in(axe.page, programme.base, programme.seeded.staff[0], STAFF_PASSWORD)
    axe.check()  # staff home
    # /reports/export.xlsx: its job's page, with a progress bar
    for path in (
        "/reports",
        "/reports/research",
        "/reports/import",
        "/reports/export.xlsx",
        "/users/new",
        "/users",
    ):
        axe.check(path)
    axe.page.locator("main td a[href^='/users/']").first.click()
    axe.check()  # editing an account
    axe.page.context.clear_cookies()
    sign_in(axe.page, programme.base, programme.seeded.admin, STAFF_PASSWORD)
    axe.check()  # admin home
    axe.assert_clean(at_least=8)


def test_the_checker_finds_a_violation(browser, programme):
    """The harness itself: a field whose label is taken away is reported."""
    axe = Checker(browser, programme.base, PHONE)
    axe.page.goto(f"{programme.base}/login")
    axe.page.evaluate("document.querySelector('label[for=username]').remove()")
    axe.check()
    assert any(": label (critical)" in line and "#username" in line for line in axe.violations)
    axe.context.close()
