"""The attacks of the privacy issue, replayed through HTTP as the attacker's role: none
recovers one trainee's answers exactly or within 0.5 on the 1–5 scale."""

import csv
import io
import re
from collections import Counter
from datetime import date

import pytest

from tests.conftest import follow_job, get_file
from tests.privacy.helpers import assert_nothing_recovered, overall, recoveries, withheld_line

NGO_WORKER = {"pre": 1.0, "post": 2.0}  # everyone else answers 4 before and 5 after


@pytest.fixture
def cohort_of_six(make_cohort, trainees):
    """5 police officers and 1 NGO worker in one cohort, all with both surveys."""
    cohort = make_cohort(name="Phường Hoàn Kiếm", audience="mixed")
    trainees(cohort, 5, pre=4, post=5, org_type="police")
    trainees(cohort, 1, pre=1, post=2, org_type="ngo")
    return cohort


def test_facilitator_cannot_difference_the_cohort_against_an_org_type_filter(client, auth, cohort_of_six):
    auth.login(cohort_of_six.facilitators[0])
    client.get("/lang/en")
    base = f"/reports/export.csv?cohort={cohort_of_six.id}"
    whole = overall(client.get(base).data)
    police = overall(client.get(base + "&org_type=police").data)
    ngo = overall(client.get(base + "&org_type=ngo").data)
    # The whole cohort is shown; the filter that would split it is not applied at all.
    assert whole == {"n": 6, "pre": pytest.approx(3.5), "post": pytest.approx(4.5)}
    assert police == ngo == whole
    assert recoveries([whole, police, ngo]) == []
    assert_nothing_recovered([whole, police, ngo], NGO_WORKER)
    page = client.get(f"/reports?cohort={cohort_of_six.id}").text
    assert 'name="org_type"' not in page and 'name="source"' not in page


def test_staff_cannot_difference_the_cohort_against_an_org_type_filter(staff, cohort_of_six):
    base = f"/reports/export.csv?cohort={cohort_of_six.id}"
    whole = staff.get(base).data
    police = staff.get(base + "&org_type=police").data
    assert overall(whole)["n"] == 6
    assert overall(police) is None
    assert "leave out fewer than 5 trainees" in withheld_line(police)
    for title in (
        "Knowledge check: correct answers by question",
        "Attitude change by item (core items)",
        "Mean overall score by period of the survey after",
    ):
        assert withheld_line(police, title)
    assert_nothing_recovered([overall(whole), overall(police)], NGO_WORKER)


def _room_chart(page: str) -> str:
    start = page.index('id="room-chart')
    return page[start : page.index("</svg>", start)]


def test_room_view_does_not_change_with_the_sixth_submission(client, auth, make_cohort, trainees):
    cohort = make_cohort(name="Phòng họp")
    trainees(cohort, 5, pre=4, phases=("pre",))
    auth.login(cohort.facilitators[0])
    client.get("/lang/en")
    before = client.get(f"/cohorts/{cohort.id}/room").text
    trainees(cohort, 1, pre=1, phases=("pre",))  # the sixth trainee
    after = client.get(f"/cohorts/{cohort.id}/room").text
    assert 'data-count="pre">6<' in after  # the live count moves ...
    assert _room_chart(after) == _room_chart(before)  # ... the figures do not
    assert "5 answers before" in after and "at least 5 more trainees" in after
    trainees(cohort, 4, pre=4, phases=("pre",))  # 5 more since the figures were shown
    grown = client.get(f"/cohorts/{cohort.id}/room").text
    # Now the change is the mean of five people, not one trainee's answers.
    assert _room_chart(grown) != _room_chart(before) and "10 answers before" in grown


def test_room_view_of_a_paced_cohort_waits_for_the_survey_to_close(client, auth, make_cohort, trainees):
    cohort = make_cohort(name="Lớp có giảng viên điều phối")
    auth.login(cohort.facilitators[0])
    client.get("/lang/en")
    for action in ("facilitator-paced", "open-pre"):
        client.post(f"/cohorts/{cohort.id}/pacing", data={"action": action})
    trainees(cohort, 6, pre=4, phases=("pre",))
    assert "room-chart" not in client.get(f"/cohorts/{cohort.id}/room").text
    client.post(f"/cohorts/{cohort.id}/pacing", data={"action": "close-pre"})
    page = client.get(f"/cohorts/{cohort.id}/room").text
    assert "room-chart" in page and "6 answers before" in page


@pytest.mark.parametrize("second", [1, 4])
def test_historical_cohorts_five_plus_a_few_cannot_be_differenced(staff, make_cohort, trainees, second):
    first = make_cohort(name="Lịch sử A", historical=True, start_date=date(2025, 3, 1))
    other = make_cohort(name="Lịch sử B", historical=True, start_date=date(2025, 4, 1))
    trainees(first, 5, pre=4, post=5)
    trainees(other, second, pre=1, post=2)
    released = []
    # Both orders, every way of naming the groups: the two cohorts, each alone, everything.
    for query in (
        f"cohort={first.id}",
        f"cohort={first.id}&cohort={other.id}",
        "",
        f"cohort={other.id}",
        f"cohort={first.id}",
        "date_to=2025-03-31",
    ):
        data = get_file(staff, f"/reports/export.csv?{query}").data
        released.append(overall(data))
    assert any(r and r["n"] == 5 + second for r in released)  # the whole is shown
    assert recoveries(released) == []
    assert_nothing_recovered(released, NGO_WORKER)


def test_research_export_has_no_lone_ngo_worker(staff, cohort_of_six, make_cohort, trainees):
    other = make_cohort(name="Công an Đà Nẵng", province="da-nang")
    trainees(other, 7, org_type="police")
    response = follow_job(staff, staff.post("/reports/research", data={"purpose": "Đánh giá"}))
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    people = {
        r["pseudonym"]: tuple(r[k] for k in ("cohort", "audience", "province", "period", "org_type"))
        for r in rows
    }
    assert len(people) == 13 and min(Counter(people.values()).values()) >= 5
    assert "ngo" not in {r["org_type"] for r in rows}
    assert {r["org_type"] for r in rows} == {"*", "police"}


def _text(page: str) -> str:
    return re.sub(r"<[^>]+>", " ", page)


@pytest.mark.parametrize(
    "lang, true_word, false_word", [("en", "confidential", "anonymous"), ("vi", "bảo mật", "ẩn danh")]
)
def test_the_promise_is_true_in_both_languages(client, auth, enrolment, lang, true_word, false_word):
    client.get(f"/lang/{lang}")
    survey = client.get(f"/surveys/{enrolment.id}/pre").text
    assert true_word in survey.lower() and false_word not in survey.lower()
    assert 'href="/privacy"' in survey
    privacy = client.get("/privacy").text
    assert true_word in privacy.lower()
    assert ("Facilitator" if lang == "en" else "Giảng viên") in privacy
    auth.logout()
    client.get(f"/lang/{lang}")
    join = client.get("/join").text
    assert 'href="/privacy"' in join and false_word not in _text(join).lower()


@pytest.mark.parametrize(
    "lang, true_word, false_word", [("en", "confidential", "anonymous"), ("vi", "bảo mật", "ẩn danh")]
)
def test_the_promise_is_true_for_a_signed_in_trainee_of_an_anonymous_cohort(
    client, auth, make_cohort, make_user, lang, true_word, false_word
):
    """The cohort takes answers without accounts too, but this trainee's survey is kept with
    their account: the code section must not call it anonymous."""
    from lms.cohorts.services import enrol
    from lms.extensions import db

    cohort = make_cohort(anonymous=True)
    trainee = make_user("trainee", org_type="police")
    enrolment = enrol(cohort, trainee)
    db.session.commit()
    assert enrolment.user_id == trainee.id
    auth.login(trainee)
    client.get(f"/lang/{lang}")
    first = client.get(f"/surveys/{enrolment.id}/pre").text
    last = client.get(f"/surveys/{enrolment.id}/pre?page=99").text
    assert 'name="sgic-' in last  # the page with the personal code
    for page in (first, last):
        assert true_word in _text(page).lower() and false_word not in _text(page).lower()
    assert ("kept with your account" if lang == "en" else "lưu cùng tài khoản") in last
