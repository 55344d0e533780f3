"""Historical cohorts: listed for programme staff (filterable), read-only on their page and
through every changing route, attacked over HTTP."""

import pytest
from sqlalchemy import select

from lms.cohorts.models import Cohort, Enrolment
from lms.extensions import db
from tests.conftest import get_file
from tests.reports.test_import import (
    COHORT,
    confirm,
    history_rows,
    instance_in_tmp,  # noqa: F401 (autouse fixture)
    staff,  # noqa: F401 (fixture)
    to_csv,
    upload,
)

pytestmark = pytest.mark.usefixtures("instrument_v1")


@pytest.fixture
def historical(client, staff):  # noqa: F811
    assert confirm(client, upload(client, to_csv(history_rows()))).status_code == 302
    return db.session.scalar(select(Cohort).where(Cohort.historical.is_(True)))


def test_staff_see_historical_cohorts_listed_and_can_filter_them(client, historical, make_cohort):
    make_cohort(name="Khoá đang chạy")
    page = client.get("/cohorts").get_data(as_text=True)
    listed = page.split('id="historical"')[1]
    assert COHORT in listed and "Khoá đang chạy" not in listed
    assert COHORT not in client.get("/cohorts?q=Huế").get_data(as_text=True).split('id="historical"')[1]
    assert (
        COHORT
        in client.get("/cohorts?q=quận 1&province=ho-chi-minh")
        .get_data(as_text=True)
        .split('id="historical"')[1]
    )
    assert (
        COHORT
        not in client.get("/cohorts?province=ha-noi").get_data(as_text=True).split('id="historical"')[1]
    )


def test_a_historical_cohort_page_is_read_only(client, historical):
    page = client.get(f"/cohorts/{historical.id}").get_data(as_text=True)
    assert COHORT in page and "read-only" in page
    for absent in (
        historical.join_code,
        "Reset password",
        "Pacing",
        "Reopen the cohort",
        "Waive",
        "Join link",
    ):
        assert absent not in page


def test_changing_a_historical_cohort_over_http_is_refused(client, historical):
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.cohort_id == historical.id).limit(1))
    base = f"/cohorts/{historical.id}"
    for path, data in (
        (f"{base}/status", {"status": "active"}),
        (f"{base}/enrolments/{enrolment.id}/reset-password", {}),
        (f"{base}/enrolments/{enrolment.id}/waive", {"waived": "1"}),
        (f"{base}/pacing", {"action": "facilitator-paced"}),
        (f"{base}/presenter/pacing", {"action": "open-pre"}),
        (f"{base}/edit", {"name": "x"}),
    ):
        assert client.post(path, data=data).status_code == 404, path
    db.session.expire_all()
    assert db.session.get(Cohort, historical.id).status == "closed"


def test_facilitators_see_no_historical_list(client, auth, make_user, historical):
    auth.logout()
    auth.login(make_user("facilitator", language="en"))
    page = client.get("/cohorts").get_data(as_text=True)
    assert 'id="historical"' not in page and COHORT not in page


def test_an_import_can_be_undone_out_of_every_report_and_the_undo_is_audited(app, client, historical):
    from lms.auth.models import AuditEvent
    from lms.reports.figures import OVERALL
    from tests.reports.conftest import report_for, row

    with app.test_request_context("/?lang=en"):
        assert row(report_for().tables["subscales"], key=OVERALL)["n"] == 6
    page = client.get("/reports/imports").get_data(as_text=True)
    assert "history.csv" in page and "Undo this import" in page
    batch_id = int(page.split('id="batch-')[1].split('"')[0])
    assert client.post("/reports/imports/archive", data={"batch": "x"}).status_code == 400
    assert client.post("/reports/imports/archive", data={"batch": "999"}).status_code == 404
    response = client.post("/reports/imports/archive", data={"batch": str(batch_id)})
    assert response.status_code == 302
    with app.test_request_context("/?lang=en"):
        report = report_for()
    assert report.tables["subscales"].rows[-1]["n"] == 0
    total = report.tables["overview"].rows[0]
    assert [total[k] for k in ("enrolled", "pre_done", "post_done", "matched")] == [0] * 4
    csv_text = get_file(client, "/reports/export.csv?source=imported").data.decode("utf-8-sig")
    assert COHORT not in csv_text
    assert "Undone" in client.get("/reports/imports").get_data(as_text=True)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "historical_import_archived"))
    assert event is not None and event.target == f"import_batch:{batch_id}"


def test_trainees_cannot_list_or_undo_imports(client, auth, make_user, historical):
    auth.logout()
    auth.login(make_user("facilitator", language="en"))
    assert client.get("/reports/imports").status_code in (403, 404)
    assert client.post("/reports/imports/archive", data={"batch": "1"}).status_code in (403, 404)
