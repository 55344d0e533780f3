"""Language choice, the VI | EN switch, translated pages, and the completeness of the catalogue."""

import io
import subprocess
import sys

from babel.messages.pofile import read_po

from lms.config import ROOT


def _lang(response) -> str:
    return response.get_data(as_text=True).split('<html lang="')[1].split('"')[0]


def test_vietnamese_by_default(client):
    response = client.get("/")
    assert _lang(response) == "vi"
    assert "Đăng nhập" in response.get_data(as_text=True)


def test_accept_language_then_query_then_session_then_user(client, auth, make_user):
    assert _lang(client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})) == "en"
    assert _lang(client.get("/?lang=en")) == "en"
    client.get("/lang/en?next=/login")
    assert _lang(client.get("/", headers={"Accept-Language": "vi"})) == "en"
    user = make_user(language="vi")
    auth.login(user)
    assert _lang(client.get("/")) == "vi"  # the user's saved preference wins over the session


def test_switch_returns_to_the_same_page_and_saves_the_preference(client, auth, make_user):
    user = make_user(language="vi")
    auth.login(user)
    response = client.get("/lang/en?next=/modules")
    assert response.location == "/modules"
    page = client.get("/modules").get_data(as_text=True)
    assert "Modules" in page and 'lang="en"' in page
    assert user.language == "en"


def test_switch_links_point_back_to_the_current_page(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/lang/en?next=/login"' in page


def test_error_pages_are_translated_and_never_show_a_trace(app, client):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret detail")

    boom.access_rule = "public"
    page = client.get("/no-such-page")
    assert page.status_code == 404 and "Không tìm thấy trang" in page.get_data(as_text=True)
    assert "Page not found" in client.get("/no-such-page?lang=en").get_data(as_text=True)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/boom")
    assert response.status_code == 500
    assert "secret detail" not in response.get_data(as_text=True)
    assert "Đã có lỗi" in response.get_data(as_text=True)


def test_dates_are_formatted_for_the_locale(app):
    from datetime import date

    from flask_babel import force_locale, format_date

    with app.test_request_context():
        with force_locale("vi"):
            assert "tháng 11" in format_date(date(2026, 11, 22), "long")
        with force_locale("en"):
            assert format_date(date(2026, 11, 22), "long") == "November 22, 2026"


def test_vietnamese_catalogue_is_complete_and_covers_every_ui_string(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "--no-location",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as f:
        extracted = {m.id for m in read_po(f) if m.id}
    with (ROOT / "translations/vi/LC_MESSAGES/messages.po").open("rb") as f:
        catalogue = read_po(f)
    translated = {
        m.id
        for m in catalogue
        if m.id and m.string and not m.fuzzy and (all(m.string) if isinstance(m.string, tuple) else True)
    }
    missing = sorted(str(m) for m in extracted - translated)
    assert not missing, f"{len(missing)} UI strings without a Vietnamese translation: {missing[:20]}"
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    assert not fuzzy, f"fuzzy entries: {fuzzy[:10]}"


def test_a_too_large_upload_gets_the_translated_413_page(app, client, auth, make_user):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    auth.login(make_user("staff"))
    response = client.post("/reports/import", data={"file": (io.BytesIO(b"x" * 4096), "big.csv")})
    assert response.status_code == 413
    assert "Tệp quá lớn" in response.get_data(as_text=True)


def test_the_interface_addresses_the_reader_as_anh_chi():
    """Police and centre staff use the same screens as NGO workers: no "bạn" for the reader (GLOSSARY)."""
    from tests.modules.test_content_language import BAN_AS_ADDRESS

    with open(ROOT / "translations/vi/LC_MESSAGES/messages.po", "rb") as po:
        catalog = read_po(po)
    offending = [
        m.string for m in catalog if m.id and isinstance(m.string, str) and BAN_AS_ADDRESS.search(m.string)
    ]
    assert offending == []
