"""Who sees which reports: trainees none, facilitators their own cohorts, staff everything."""

import pytest

from tests.conftest import follow_job, get_file
from tests.reports.helpers import html_table

# Written for the items of the first instrument: its answers stay valid and are reported.
pytestmark = pytest.mark.usefixtures("instrument_v1")

REPORT_URLS = ["/reports", "/reports/export.csv", "/reports/export.xlsx", "/reports/export.pdf"]
STAFF_ONLY_URLS = ["/reports/research", "/reports/import", "/reports/import/template.csv"]


@pytest.fixture
def two_facilitators(make_user, make_cohort, bulk_surveys):
    mai = make_user("facilitator", full_name="Trần Thị Mai", language="en")
    hung = make_user("facilitator", full_name="Lê Văn Hùng", language="en")
    ours = make_cohort(facilitator=mai, name="Lớp của cô Mai", province="ha-noi")
    bulk_surveys(ours, 6)
    theirs = make_cohort(facilitator=hung, name="Lớp của thầy Hùng", province="da-nang")
    bulk_surveys(theirs, 7)
    return mai, hung, ours, theirs


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for url in REPORT_URLS + STAFF_ONLY_URLS:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_trainees_have_no_reports(client, auth, make_user):
    auth.login(make_user("trainee"))
    for url in REPORT_URLS + STAFF_ONLY_URLS:
        assert client.get(url).status_code == 403, url
    assert follow_job(client, client.post("/reports/research", data={"purpose": "x"})).status_code == 403
    assert client.post("/reports/import/commit", data={"token": "x" * 20, "version": "1"}).status_code == 403


def test_facilitators_see_only_their_cohorts(client, auth, two_facilitators):
    mai, hung, ours, theirs = two_facilitators
    auth.login(mai)
    page = client.get("/reports").get_data(as_text=True)
    assert "Lớp của cô Mai" in page and "Lớp của thầy Hùng" not in page
    assert html_table(page, "overview")[0]["Enrolled"] == "6"
    assert 'name="facilitator"' not in page  # forced to themselves
    # Asking for another facilitator's figures changes nothing.
    page = client.get(f"/reports?facilitator={hung.id}").get_data(as_text=True)
    assert html_table(page, "overview")[0]["Enrolled"] == "6"
    csv_text = get_file(client, "/reports/export.csv").data.decode("utf-8-sig")
    assert "Lớp của cô Mai" in csv_text and "Lớp của thầy Hùng" not in csv_text


def test_another_facilitators_cohort_is_not_found(client, auth, two_facilitators):
    mai, _hung, ours, theirs = two_facilitators
    auth.login(mai)
    for url in REPORT_URLS:
        assert client.get(f"{url}?cohort={theirs.id}").status_code == 404, url
        assert client.get(f"{url}?cohort={ours.id}&cohort={theirs.id}").status_code == 404
    assert client.get(f"/reports?cohort={ours.id}").status_code == 200


def test_facilitators_cannot_export_research_data_or_import(client, auth, two_facilitators):
    auth.login(two_facilitators[0])
    for url in STAFF_ONLY_URLS:
        assert client.get(url).status_code == 403, url


def test_programme_staff_see_every_cohort(client, auth, make_user, two_facilitators):
    auth.login(make_user("staff", language="en"))
    page = client.get("/reports").get_data(as_text=True)
    assert "Lớp của cô Mai" in page and "Lớp của thầy Hùng" in page
    assert html_table(page, "overview")[0]["Enrolled"] == "13"
    _mai, hung, _ours, theirs = two_facilitators
    page = client.get(f"/reports?facilitator={hung.id}").get_data(as_text=True)
    assert html_table(page, "overview")[0]["Enrolled"] == "7"
    for url in REPORT_URLS + STAFF_ONLY_URLS:
        assert client.get(f"{url}?cohort={theirs.id}").status_code == 200, url


def test_bad_filter_values_are_explained_not_crashed(client, auth, make_user, two_facilitators):
    auth.login(make_user("staff", language="en"))
    response = client.get("/reports?date_from=yesterday&province=atlantis&cohort=abc")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Please check the form" in page and "Not a valid date value." in page
    assert html_table(page, "overview")[0]["Enrolled"] == "13"  # bad filters are ignored
    assert get_file(client, "/reports/export.csv?date_from=yesterday").status_code == 400
