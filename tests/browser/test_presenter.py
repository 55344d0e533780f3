"""Projected from the facilitator's laptop: the join code phones can reach, and a presenter
console that runs the room with nothing personal on screen."""

import subprocess
from urllib.parse import urlsplit

import pytest

from lms.urls import lan_address
from tests.browser.test_workshop import _create_facilitator_paced_cohort, _join
from tests.pdf.helpers import require_tools

pytestmark = pytest.mark.browser


def _decode_qr(element, tmp_path) -> str:
    require_tools("zbarimg")
    picture = tmp_path / "qr.png"
    element.screenshot(path=picture)
    result = subprocess.run(["zbarimg", "--raw", "-q", picture], capture_output=True, check=False)
    return result.stdout.decode().strip()


def test_room_view_on_loopback_shows_a_join_address_phones_can_reach(page, live_server, tmp_path):
    cohort_url, code = _create_facilitator_paced_cohort(page, live_server)
    page.goto(cohort_url + "/room")
    port = urlsplit(live_server).port
    note = page.locator(".address-note").inner_text()
    lan = lan_address()  # the same machine as the server: the address it detects
    if lan is None:
        expected = f"{live_server}/join/{code}"
        assert "127.0.0.1" in note and "Wi-Fi" in note
    else:
        expected = f"http://{lan}:{port}/join/{code}"
        assert lan in note and "HOST=0.0.0.0" in note
    assert page.locator(".join-url").inner_text() == expected
    assert _decode_qr(page.locator(".qr svg"), tmp_path) == expected

    page.goto(cohort_url + "/certificates")
    warning = page.locator(".address-note").inner_text()
    assert "Kiểm tra địa chỉ trước khi in." in warning and f"{live_server}/verify" in warning


def test_presenter_console_opens_the_survey_with_nothing_personal_on_screen(browser, page, live_server):
    cohort_url, code = _create_facilitator_paced_cohort(page, live_server)
    trainee_context, trainee_page = _join(browser, live_server, code, "Phạm Thị Presenter", 90)
    assert trainee_page.locator("a[href$='/pre']").count() == 0  # waiting for the facilitator

    projector = browser.new_context(viewport={"width": 1280, "height": 720}, locale="vi-VN")
    console = projector.new_page()
    console.context.add_cookies(page.context.cookies())  # the facilitator's laptop, projected
    console.goto(cohort_url)
    console.click("a[href$='/presenter']")
    console.wait_for_url(cohort_url + "/presenter")
    console.click("button[value=open-pre]")
    console.wait_for_url(cohort_url + "/presenter")
    assert console.locator("button[value=close-pre]").is_visible()
    assert console.locator("[data-count=joined]").inner_text() == "1"

    # Readable from the back of a room: a large QR, fully on the projected screen without
    # scrolling, and a join code in large type.
    console.evaluate("window.scrollTo(0, 0)")
    qr = console.locator(".qr svg").bounding_box()
    assert qr["width"] >= 400
    assert qr["x"] >= 0 and qr["x"] + qr["width"] <= 1280
    assert qr["y"] >= 0 and qr["y"] + qr["height"] <= 720
    code_size = console.locator(".join-code").evaluate(
        "element => parseFloat(getComputedStyle(element).fontSize)"
    )
    assert code_size >= 48

    # The trainee's waiting page reloads by itself once the survey is open.
    trainee_page.locator("a[href$='/pre']").wait_for(timeout=20_000)
    html = console.content()
    for personal in ("Phạm Thị Presenter", "browser-trainee-90", "Lê Văn Dũng", "facilitator"):
        assert personal not in html.replace("facilitator-paced", "")
    assert code in html
    trainee_context.close()
    projector.close()
