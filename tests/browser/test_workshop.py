"""A small workshop end to end: the facilitator opens the survey, three trainees join on their
phones and answer it, and the room view shows 3."""

import re
from datetime import date

import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser
TRAINEES = ["Nguyễn Thị Hương", "Trần Văn Bình", "Lê Thị Thu"]


def _create_facilitator_paced_cohort(page, base) -> tuple[str, str]:
    sign_in(page, base, "facilitator")
    page.goto(f"{base}/cohorts/new")
    page.fill("#name", "Hội thảo tập huấn — thử nghiệm trình duyệt")
    page.select_option("#audience", "police")
    page.select_option("#province", "ha-noi")
    page.fill("#start_date", date.today().isoformat())
    page.fill("#end_date", date.today().isoformat())
    page.select_option("#pacing", "facilitator")
    page.select_option("#status", "active")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/cohorts/\d+$"))
    cohort_url = page.url
    join_code = page.locator("dd.mono.big").first.inner_text().strip()
    return cohort_url, join_code


def _join(browser, base, code, full_name, n):
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{base}/join/{code.lower()}")
    form = page.locator(f"form[action='/join/{code}/register']")
    form.locator("#full_name").fill(full_name)
    form.locator("#username").fill(f"browser-trainee-{n}")
    form.locator("#password").fill("mat-khau-123")
    form.locator("#confirm").fill("mat-khau-123")
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{base}/")
    return context, page


def _answer_the_survey(page):
    while "/done" not in page.url:
        for question in page.locator("fieldset.question").all():
            question.locator("input[type=radio]").nth(
                2 if question.locator("input[type=radio]").count() == 5 else 0
            ).check()
        page.locator(".survey-actions button").last.click()
        page.wait_for_load_state()


def test_facilitator_opens_three_trainees_answer_room_view_shows_three(browser, page, live_server):
    cohort_url, code = _create_facilitator_paced_cohort(page, live_server)
    trainees = [_join(browser, live_server, code, name, n) for n, name in enumerate(TRAINEES)]
    for _, trainee_page in trainees:
        assert trainee_page.locator("a[href$='/pre']").count() == 0  # waiting, not open yet

    page.goto(cohort_url)
    page.click("button[value=open-pre]")
    for context, trainee_page in trainees:
        # The waiting home page polls and reloads itself when the survey opens.
        start = trainee_page.locator("a[href$='/pre']")
        start.wait_for(timeout=20_000)
        start.click()
        _answer_the_survey(trainee_page)
        assert "Cảm ơn" in trainee_page.content()
        context.close()

    page.goto(cohort_url + "/room")
    assert page.locator("[data-count=joined]").inner_text() == "3"
    assert page.locator("[data-count=pre]").inner_text() == "3"
    room = page.content()
    assert not any(name in room for name in TRAINEES)  # no names on the projector


def test_closing_the_survey_while_a_trainee_answers_loses_nothing(browser, page, live_server):
    cohort_url, code = _create_facilitator_paced_cohort(page, live_server)
    context, trainee = _join(browser, live_server, code, "Phạm Văn Dũng", 9)
    page.goto(cohort_url)
    page.click("button[value=open-pre]")
    start = trainee.locator("a[href$='/pre']")
    start.wait_for(timeout=20_000)
    start.click()
    first = trainee.locator("fieldset.question").first
    first.locator("input[type=radio]").nth(1).check()
    trainee.locator(".save-status", has_text="Đã lưu").wait_for()

    page.goto(cohort_url)
    page.click("button[value=close-pre]")  # the facilitator closes it mid-answer
    second = trainee.locator("fieldset.question").nth(1)
    second.locator("input[type=radio]").nth(3).check()
    status = trainee.locator(".save-status")
    status.filter(has_text="tạm đóng").wait_for()  # told plainly, not "will retry when online"
    trainee.locator(".survey-actions button").last.click()  # "Save and continue"
    trainee.wait_for_load_state()
    assert "tạm đóng khảo sát này" in trainee.content()
    assert "chưa mở" not in trainee.content()  # not "the facilitator never opened it"

    page.goto(cohort_url)
    page.click("button[value=open-pre]")
    trainee.goto(trainee.url.split("?")[0].removesuffix("/pre") + "/pre")
    checked = trainee.locator("fieldset.question input[type=radio]:checked")
    assert checked.count() >= 2  # both answers, including the one given while closed
    context.close()
