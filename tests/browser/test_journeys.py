"""Key journeys in a real browser against a real server process."""

import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_home_page_is_vietnamese_and_the_switch_shows_english(page, live_server):
    page.goto(live_server + "/")
    assert page.get_attribute("html", "lang") == "vi"
    page.click("nav.lang-switch >> text=EN")
    assert page.get_attribute("html", "lang") == "en"
    assert page.url == live_server + "/"
    page.click("nav.lang-switch >> text=VI")
    assert page.get_attribute("html", "lang") == "vi"


def test_language_switch_returns_to_the_same_page_without_javascript(browser, live_server):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + "/login")
    page.click("nav.lang-switch >> text=EN")
    assert page.url == live_server + "/login"
    assert page.get_attribute("html", "lang") == "en"
    context.close()


@pytest.mark.parametrize("username", ["trainee", "facilitator", "staff", "admin"])
def test_demo_accounts_sign_in(page, live_server, username):
    sign_in(page, live_server, username)
    assert page.url == live_server + "/"
    assert page.locator("form[action='/logout']").count() == 1


def test_wrong_password_shows_a_translated_error(page, live_server):
    sign_in(page, live_server, "trainee", "not-the-password")
    assert page.locator(".error").first.is_visible()
    assert page.url.startswith(live_server + "/login")


def test_no_console_errors_from_the_content_security_policy(page, live_server):
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    sign_in(page, live_server, "trainee")
    page.goto(live_server + "/modules")
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_survey_answers_are_saved_as_they_are_clicked(page, live_server):
    """A dropped connection or a closed tab loses nothing: each click is saved on the server."""
    sign_in(page, live_server, "trainee2")
    page.locator("a[href$='/pre']").first.click()
    first = page.locator("fieldset.question").first
    first.locator("input[type=radio]").nth(3).check()
    page.locator(".save-status").filter(has_text="Đã lưu").first.wait_for()
    page.context.clear_cookies()  # as if on another phone: sign in again
    sign_in(page, live_server, "trainee2")
    page.locator("a[href$='/pre']").first.click()
    assert page.locator("fieldset.question").first.locator("input[type=radio]").nth(3).is_checked()
