"""A report a programme officer can hand to a donor: a first page in plain words, the details
without empty rows, one methods section; the PDF read back with pdftotext."""

import pytest
from flask_babel import force_locale, gettext

from lms.reports.figures import OVERALL
from lms.reports.tables import cell_text
from tests.conftest import get_file
from tests.pdf.helpers import pdf_text
from tests.reports.conftest import report_for, row


@pytest.fixture
def thirty(make_cohort, bulk_surveys):
    bulk_surveys(make_cohort(name="Công an quận Ba Đình"), 30, seed=4)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_pdf_opens_with_the_summary_in_plain_words(app, client, auth, make_user, thirty, language):
    auth.login(make_user("staff", language=language))
    data = get_file(client, "/reports/export.pdf").data
    text = " ".join(pdf_text(data).split())
    with app.test_request_context(f"/?lang={language}"), force_locale(language):
        report = report_for()
        first_page = text.split(gettext("Filters"))[0]
        assert gettext("Summary") in first_page
        for line in report.headline:
            assert " ".join(line.split()).replace("\u2212", "-") in first_page
        overall = row(report.tables["subscales"], key=OVERALL)
        assert cell_text(overall["dz_low"], "dz", 5) in first_page
        # one methods section, not a copy under every table
        assert text.count(gettext("Paired t-test (two-sided)")) == 1
        assert gettext("Method: %(method)s", method="").strip() not in text
    assert "30" in first_page


def test_summary_on_the_page_in_plain_words(app, client, auth, make_user, thirty):
    auth.login(make_user("staff", language="en"))
    page = client.get("/reports").get_data(as_text=True)
    summary = page.split('id="summary"')[1].split("</section>")[0]
    assert "Trained: 30 people in 1 cohorts" in summary
    assert "30 answered the survey before the training and 30 after" in summary
    assert "effect size dz =" in summary and "Knowledge check:" in summary


def test_summary_keeps_small_groups_hidden(app, client, auth, make_user, make_cohort, bulk_surveys):
    bulk_surveys(make_cohort(name="Nhỏ"), 3, seed=2)
    auth.login(make_user("staff", language="en"))
    page = client.get("/reports").get_data(as_text=True)
    summary = page.split('id="summary"')[1].split("</section>")[0]
    assert "fewer than 5" in summary and "effect size" not in summary
    text = " ".join(pdf_text(get_file(client, "/reports/export.pdf").data).split())
    assert "effect size" not in text
