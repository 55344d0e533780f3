"""The presenter console: the pacing buttons without a name, login or phone number on screen."""

from lms.cohorts.services import enrol
from lms.extensions import db


def _cohort_with_a_trainee(make_cohort, make_user):
    cohort = make_cohort(pacing="facilitator", pre_survey_open=False)
    trainee = make_user(
        "trainee",
        username="hoa.tran84",
        full_name="Trần Thị Hoa",
        phone="0912 345 678",
        email="hoa@example.vn",
    )
    enrolment = enrol(cohort, trainee)
    db.session.commit()
    return cohort, enrolment


def test_presenter_console_shows_the_buttons_and_nothing_personal(client, auth, make_cohort, make_user):
    cohort, enrolment = _cohort_with_a_trainee(make_cohort, make_user)
    trainee = enrolment.user
    facilitator = cohort.facilitators[0]
    auth.login(facilitator)
    page = client.get(f"/cohorts/{cohort.id}/presenter").text
    assert cohort.join_code in page and 'class="qr-code"' in page
    assert 'value="open-pre"' in page and 'value="open-post"' in page
    assert page.count('value="unlock"') == len(cohort.modules)
    assert '<strong data-count="joined">1</strong>' in page
    for personal in (
        trainee.full_name,
        trainee.username,
        "0912",
        "hoa@example.vn",
        facilitator.full_name,
        facilitator.username,
    ):
        assert personal not in page
    # The cohort page and the room view lead to it; the projected pages name nobody either.
    assert f"/cohorts/{cohort.id}/presenter" in client.get(f"/cohorts/{cohort.id}").text
    for projected in ("room", "poster"):
        page = client.get(f"/cohorts/{cohort.id}/{projected}").text
        assert f"/cohorts/{cohort.id}/presenter" in page or projected == "poster"
        assert facilitator.full_name not in page and trainee.full_name not in page


def test_presenter_opens_the_survey_and_unlocks_a_module_and_comes_back(client, auth, make_cohort, make_user):
    cohort, enrolment = _cohort_with_a_trainee(make_cohort, make_user)
    first = cohort.modules[0]
    auth.login(cohort.facilitators[0])
    response = client.post(f"/cohorts/{cohort.id}/presenter/pacing", data={"action": "open-pre"})
    assert response.status_code == 303
    assert response.location.endswith(f"/cohorts/{cohort.id}/presenter")
    response = client.post(
        f"/cohorts/{cohort.id}/presenter/pacing", data={"action": "unlock", "module_id": first.module_id}
    )
    page = client.get(response.location).text
    assert 'class="flash flash-success"' in page
    assert 'value="close-pre"' in page and 'value="lock"' in page
    db.session.refresh(cohort)
    assert cohort.pre_survey_open is True and cohort.modules[0].unlocked is True
    assert cohort.post_survey_open is False and not any(cm.unlocked for cm in cohort.modules[1:])

    auth.logout()
    auth.login(enrolment.user)
    state = client.get(f"/enrolments/{enrolment.id}/state").get_json()
    assert state["pre_survey_open"] is True and state["modules"][first.module.key] is True


def test_presenter_refuses_bad_actions_and_other_peoples_cohorts(client, auth, make_cohort, make_user):
    cohort, enrolment = _cohort_with_a_trainee(make_cohort, make_user)
    other = make_cohort()  # another facilitator's
    auth.login(cohort.facilitators[0])
    for data in (
        {"action": "explode"},
        {"action": "unlock", "module_id": "999999"},
        {"action": "unlock", "module_id": "not-a-number"},
    ):
        response = client.post(f"/cohorts/{cohort.id}/presenter/pacing", data=data)
        assert response.status_code == 303
        assert 'class="flash flash-error"' in client.get(response.location).text
    db.session.refresh(cohort)
    assert not cohort.pre_survey_open and not any(cm.unlocked for cm in cohort.modules)
    assert client.get(f"/cohorts/{other.id}/presenter").status_code == 404
    pacing = {"action": "open-pre"}
    assert client.post(f"/cohorts/{other.id}/presenter/pacing", data=pacing).status_code == 404
    db.session.refresh(other)
    assert not other.pre_survey_open

    auth.logout()
    auth.login(enrolment.user)
    assert client.get(f"/cohorts/{cohort.id}/presenter").status_code == 403
    pacing = {"action": "open-pre"}
    assert client.post(f"/cohorts/{cohort.id}/presenter/pacing", data=pacing).status_code == 403
