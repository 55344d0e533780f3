"""A facilitator never sees another facilitator's cohort, through any URL that names one."""

import pytest
from werkzeug.routing import AnyConverter, IntegerConverter

from lms.cohorts.imports import keep_checked_file, keep_result
from lms.extensions import db


def cohort_urls(app, values):
    """(endpoint, method, url) for every rule taking a cohort_id, filled from `values`."""
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "cohort_id" not in rule.arguments:
                continue
            arguments = {}
            for name in rule.arguments:
                converter = rule._converters[name]
                if name in values:
                    arguments[name] = values[name]
                elif isinstance(converter, AnyConverter):
                    arguments[name] = sorted(converter.items)[0]
                elif isinstance(converter, IntegerConverter):
                    arguments[name] = 1
                else:
                    arguments[name] = "x"
            from flask import url_for

            url = url_for(rule.endpoint, **arguments)
            for method in sorted(rule.methods & {"GET", "POST"}):
                urls.append((rule.endpoint, method, url))
    return urls


@pytest.fixture
def theirs(make_cohort, enrolments):
    """Another facilitator's cohort, with a trainee and an import waiting at each stage."""
    cohort = make_cohort(trainees=1, pacing="facilitator", pre_survey_open=False)
    (enrolment,) = enrolments(cohort)
    owner = cohort.facilitators[0]
    records = [{"line": 2, "full_name": "Ngô Văn Tư", "login": "tu.nv"}]
    preview = keep_checked_file(cohort, owner, "list.csv", records)
    done = keep_checked_file(cohort, owner, "list.csv", records)
    keep_result(
        cohort,
        owner,
        done,
        {"slips": [["Ngô Văn Tư", "tu.nv", "abcdefgh"]], "created": 1, "enrolled": 0, "already": 0},
    )
    db.session.commit()
    return cohort, enrolment, preview, done


def test_every_cohort_url_is_404_for_another_facilitator(app, client, auth, make_user, theirs):
    cohort, enrolment, preview, done = theirs
    urls = cohort_urls(
        app,
        {
            "cohort_id": cohort.id,
            "enrolment_id": enrolment.id,
            "token": done,
            "phase": "pre",
            "lang": "vi",
            "fmt": "csv",
        },
    )
    assert len({endpoint for endpoint, _m, _u in urls}) >= 17
    auth.login(make_user("facilitator"))
    status_before = cohort.status
    for endpoint, method, url in urls:
        data = {"action": "open-pre", "status": "closed", "waived": "1"}
        response = client.open(url, method=method, data=data if method == "POST" else None)
        assert response.status_code == 404, f"{method} {url} ({endpoint})"
    db.session.refresh(cohort)
    db.session.refresh(enrolment)
    assert cohort.status == status_before and not cohort.pre_survey_open
    assert not enrolment.pre_survey_waived
    # The preview token of another cohort's import is refused too.
    response = client.post(f"/cohorts/{cohort.id}/import/{preview}")
    assert response.status_code == 404


def test_the_same_urls_work_for_the_owner(app, client, auth, theirs):
    cohort, enrolment, _preview, done = theirs
    urls = cohort_urls(
        app,
        {
            "cohort_id": cohort.id,
            "enrolment_id": enrolment.id,
            "token": done,
            "phase": "pre",
            "lang": "vi",
            "fmt": "csv",
        },
    )
    auth.login(cohort.facilitators[0])
    for endpoint, method, url in urls:
        if method == "GET" and endpoint.startswith("cohorts."):
            assert client.get(url).status_code in (200, 302), url


def test_token_of_another_facilitators_import_is_refused_even_with_access(client, auth, make_user, theirs):
    cohort, _enrolment, preview, done = theirs
    staff = make_user("staff")  # manages every cohort, but did not make this import
    auth.login(staff)
    assert client.get(f"/cohorts/{cohort.id}").status_code == 200
    assert client.get(f"/cohorts/{cohort.id}/import/{done}/slips.pdf").status_code == 404
    response = client.post(f"/cohorts/{cohort.id}/import/{preview}")
    assert response.status_code == 302 and response.headers["Location"].endswith("/import")


def test_cohort_lists_show_only_ones_own(client, auth, make_cohort, make_user):
    mine = make_cohort(name="Lớp của tôi")
    make_cohort(name="Lớp người khác")
    auth.login(mine.facilitators[0])
    for url in ("/cohorts", "/"):
        page = client.get(url).text
        assert "Lớp của tôi" in page and "Lớp người khác" not in page
    auth.logout()
    auth.login(make_user("staff"))
    page = client.get("/cohorts").text
    assert "Lớp của tôi" in page and "Lớp người khác" in page


def test_trainees_cannot_open_cohort_pages(client, auth, make_cohort, enrolments):
    cohort = make_cohort(trainees=1)
    (enrolment,) = enrolments(cohort)
    auth.login(enrolment.user)
    assert client.get(f"/cohorts/{cohort.id}").status_code == 403
    assert client.get(f"/cohorts/{cohort.id}/room/state").status_code == 403
