"""Joining a cohort: by typed code, by link, by registering, and the refusals."""

from sqlalchemy import func, select

from lms.auth.models import User
from lms.cohorts.models import Enrolment
from lms.extensions import db


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_typed_code_is_case_and_space_tolerant(client, make_cohort):
    cohort = make_cohort()
    messy = " " + " ".join(cohort.join_code.lower()[:3]) + " " + cohort.join_code.lower()[3:]
    response = client.post("/join", data={"code": messy})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/join/{cohort.join_code}")


def test_unknown_code_is_refused_with_a_message(client, make_cohort):
    make_cohort()
    response = client.post("/join", data={"code": "ZZZZZZ"})
    assert response.status_code == 422
    assert "No cohort has this join code" in response.text
    assert client.get("/join/ZZZZZZ").status_code == 404


def test_join_link_in_lower_case_redirects_to_the_code(client, make_cohort):
    cohort = make_cohort()
    response = client.get(f"/join/{cohort.join_code.lower()}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/join/{cohort.join_code}")


def test_registration_form_is_prefilled_from_the_cohort(client, make_cohort):
    cohort = make_cohort(audience="centre_staff", province="da-nang")
    page = client.get(f"/join/{cohort.join_code}").text
    assert '<option selected value="centre_staff">' in page
    assert '<option selected value="da-nang">' in page


def test_register_creates_a_trainee_signs_in_and_enrols(client, make_cohort):
    cohort = make_cohort()
    response = client.post(
        f"/join/{cohort.join_code}/register",
        data={
            "full_name": "Nguyễn Thị Hoa",
            "username": "Hoa.Nguyen",
            "org_type": "police",
            "province": "ha-noi",
            "password": "mật khẩu dài",
            "confirm": "mật khẩu dài",
        },
    )
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "hoa.nguyen"))
    assert user.role == "trainee" and user.full_name == "Nguyễn Thị Hoa"
    assert not user.must_change_password
    assert count(Enrolment, Enrolment.user_id == user.id, Enrolment.cohort_id == cohort.id) == 1
    # Signed in straight away: the home page is the trainee's.
    assert client.get("/account").status_code == 200


def test_register_with_a_taken_login_keeps_the_form(client, make_cohort, make_user):
    cohort = make_cohort()
    make_user("trainee", username="taken")
    response = client.post(
        f"/join/{cohort.join_code}/register",
        data={
            "full_name": "Lê Văn Nam",
            "username": "taken",
            "org_type": "police",
            "province": "ha-noi",
            "password": "long enough",
            "confirm": "long enough",
        },
    )
    assert response.status_code == 422
    assert "Lê Văn Nam" in response.text
    assert count(User, User.full_name == "Lê Văn Nam") == 0


def test_signed_in_trainee_joins_and_joining_twice_is_harmless(client, auth, make_cohort, make_user):
    cohort = make_cohort()
    trainee = make_user("trainee", language="en")
    auth.login(trainee)
    assert (
        "Join this cohort"
        in client.get(
            f"/join/{cohort.join_code}",
        ).text
    )
    assert client.post(f"/join/{cohort.join_code}").status_code == 302
    assert client.post(f"/join/{cohort.join_code}").status_code == 302
    assert count(Enrolment, Enrolment.user_id == trainee.id) == 1


def test_closed_cohort_refuses_to_join(client, auth, make_cohort, make_user):
    cohort = make_cohort(status="closed")
    page = client.get(f"/join/{cohort.join_code}")
    assert page.status_code == 409 and "closed" in page.text
    response = client.post(
        f"/join/{cohort.join_code}/register",
        data={
            "full_name": "Trần Văn B",
            "username": "tranb",
            "org_type": "police",
            "province": "ha-noi",
            "password": "long enough",
            "confirm": "long enough",
        },
    )
    assert response.status_code == 409
    assert count(User, User.username == "tranb") == 0
    trainee = make_user("trainee", language="en")
    auth.login(trainee)
    response = client.post(f"/join/{cohort.join_code}")
    assert response.status_code == 409 and "closed" in response.text
    assert count(Enrolment, Enrolment.user_id == trainee.id) == 0


def test_facilitators_cannot_join_as_trainees(client, auth, make_cohort, make_user):
    cohort = make_cohort()
    facilitator = make_user("facilitator")
    auth.login(facilitator)
    assert client.post(f"/join/{cohort.join_code}").status_code == 409
    assert count(Enrolment, Enrolment.user_id == facilitator.id) == 0


def test_repeated_wrong_codes_are_throttled(app, client, make_cohort):
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 3
    cohort = make_cohort()
    for _ in range(3):
        client.post("/join", data={"code": "WRONG1"})
    response = client.post("/join", data={"code": cohort.join_code})
    assert response.status_code == 422 and "Too many wrong codes" in response.text


def test_trainee_state_is_private(client, auth, make_cohort, enrolments):
    cohort = make_cohort(trainees=2)
    mine, theirs = enrolments(cohort)
    auth.login(mine.user)
    state = client.get(f"/enrolments/{mine.id}/state").get_json()
    assert state["version"] and state["pre_survey_open"] is True
    assert client.get(f"/enrolments/{theirs.id}/state").status_code == 404


def test_guessing_codes_in_join_links_is_throttled_per_address(app, client, make_cohort):
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 3
    cohort = make_cohort()
    for guess in ("AAAAAA", "BBBBBB", "CCCCCC"):
        assert client.get(f"/join/{guess}").status_code == 404
    # Blocked now on every join page, even with the right code: guessing stops paying.
    assert client.get(f"/join/{cohort.join_code}").status_code == 429
    assert (
        client.post(
            f"/join/{cohort.join_code}/register",
            data={
                "username": "moi",
                "full_name": "Người Mới",
                "password": "mat khau 123",
                "confirm": "mat khau 123",
                "org_type": "police",
                "province": "ha-noi",
            },
        ).status_code
        == 429
    )
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.0.0.9"  # another phone in the room is not blocked
    assert other.get(f"/join/{cohort.join_code}").status_code == 200


def test_guessing_codes_through_registration_is_throttled(app, client, make_cohort):
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 3
    cohort = make_cohort()
    for guess in ("AAAAAA", "BBBBBB", "CCCCCC"):
        assert client.post(f"/join/{guess}/register", data={}).status_code == 404
    assert client.get(f"/join/{cohort.join_code}").status_code == 429
    response = client.post("/join", data={"code": cohort.join_code})
    assert "Too many wrong codes" in response.text
