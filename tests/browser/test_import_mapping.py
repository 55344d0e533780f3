"""The historical import's mapping step in a real browser, JavaScript off: a file with the
office's own headings is mapped column by column, a wrong choice is explained with the
choices kept, and the mapping page passes axe's WCAG 2.2 AA rules."""

import csv
import io

import pytest

from tests.browser.conftest import sign_in
from tests.browser.test_accessibility import LAPTOP, axe_violations

pytestmark = pytest.mark.browser

HEADINGS = [
    "Lớp tập huấn",
    "Đối tượng",
    "Tỉnh",
    "Ngày khai giảng",
    "Mã học viên",
    "Cơ quan",
    "Đợt",
    "Ngày khảo sát",
    "Q1",
    "Q2",
    "Q3",
]
FIELDS = ["cohort_name", "audience", "province", "start_date", "trainee_ref", "org_type", "phase", "date"]


def office_file() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADINGS)
    for ref in ("HV-01", "HV-02"):
        for phase, answer in (("pre", 2), ("post", 4)):
            writer.writerow(
                [
                    "Lớp công an phường (2018)",
                    "police",
                    "ha-noi",
                    "2018-05-02",
                    ref,
                    "police",
                    phase,
                    "2018-05-03",
                    answer,
                    answer,
                    answer,
                ]
            )
    return out.getvalue().encode("utf-8-sig")


def test_a_file_with_its_own_headings_is_mapped_without_javascript(browser, live_server):
    context = browser.new_context(viewport=LAPTOP, locale="vi-VN", java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, live_server, "staff")
        page.goto(f"{live_server}/reports/import")
        page.set_input_files(
            "#file", files=[{"name": "so-lieu-2018.csv", "mimeType": "text/csv", "buffer": office_file()}]
        )
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        assert page.locator("h1").inner_text() == "Mỗi cột chứa thông tin gì?"
        assert "Chưa nhận ra: Lớp tập huấn" in page.locator("main").inner_text()
        attitudes = [
            value
            for value, label in (
                (o.get_attribute("value"), o.inner_text()) for o in page.locator("#column-8 option").all()
            )
            if "thái độ" in label
        ][:3]
        for index, field in enumerate(FIELDS):
            page.select_option(f"#column-{index}", field)
        for index, target in zip((8, 9, 10), (attitudes[0], attitudes[0], attitudes[2]), strict=True):
            page.select_option(f"#column-{index}", target)
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        summary = page.locator(".error-summary").inner_text()
        key = attitudes[0].removeprefix("item:")
        assert f"{key} đang được chọn cho nhiều hơn một cột: Q1, Q2." in summary
        assert page.input_value("#column-6") == "phase"  # the choices kept
        page.select_option("#column-9", attitudes[1])
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        assert page.locator("h1").inner_text() == "Xem trước dữ liệu nhập"
        assert page.locator("form[action$='/reports/import/commit'] button").count() == 1, page.locator(
            "main"
        ).inner_text()
        assert "Q2" in page.locator("table.recognised-columns").inner_text()
        mapping_url = page.locator("a[href*='/reports/import/mapping/']").first.get_attribute("href")
    finally:
        context.close()
    scripted = browser.new_context(viewport=LAPTOP, locale="vi-VN")
    checker = scripted.new_page()
    try:
        sign_in(checker, live_server, "staff")
        checker.goto(live_server + mapping_url)  # same owner: the kept file and its choices
        assert checker.input_value("#column-9") == attitudes[1]
        assert axe_violations(checker) == []
    finally:
        scripted.close()
