"""Running the workshop: pacing gates, roster actions, the room view and the n >= 5 rule."""

import re

from sqlalchemy import select

from lms.auth.models import AuditEvent
from lms.extensions import db


def paced_cohort(make_cohort, **fields):
    return make_cohort(trainees=1, pacing="facilitator", pre_survey_open=False, **fields)


def test_locked_module_redirects_until_the_facilitator_opens_it(
    app, client, auth, make_cohort, enrolments, answer_survey
):
    cohort = paced_cohort(make_cohort)
    (enrolment,) = enrolments(cohort)
    cohort.pre_survey_open = True
    db.session.commit()
    answer_survey(enrolment, "pre")
    module = cohort.modules[0]
    key, module_id, facilitator = module.module.key, module.module_id, cohort.facilitators[0]

    auth.login(enrolment.user)
    before = client.get(f"/enrolments/{enrolment.id}/state").get_json()
    assert before["modules"][key] is False
    response = client.get(f"/modules/{key}")
    assert response.status_code == 302 and response.headers["Location"].endswith("/modules")

    auth.logout()
    auth.login(facilitator)
    client.post(f"/cohorts/{cohort.id}/pacing?module_id={module_id}", data={"action": "unlock"})
    auth.logout()

    auth.login(enrolment.user)
    after = client.get(f"/enrolments/{enrolment.id}/state").get_json()
    assert after["modules"][key] is True
    assert after["version"] != before["version"]
    assert client.get(f"/modules/{key}").status_code == 200


def test_surveys_open_and_close_with_the_gates(client, auth, make_cohort, enrolments):
    cohort = paced_cohort(make_cohort)
    (enrolment,) = enrolments(cohort)
    facilitator = cohort.facilitators[0]
    auth.login(enrolment.user)
    page = client.get(f"/surveys/{enrolment.id}/pre")
    assert "data-poll-url" in page.text and 'name="item-' not in page.text
    version = client.get(f"/enrolments/{enrolment.id}/state").get_json()["version"]
    auth.logout()

    auth.login(facilitator)
    client.post(f"/cohorts/{cohort.id}/pacing", data={"action": "open-pre"})
    auth.logout()
    auth.login(enrolment.user)
    state = client.get(f"/enrolments/{enrolment.id}/state").get_json()
    assert state["pre_survey_open"] is True and state["version"] != version
    assert 'name="item-' in client.get(f"/surveys/{enrolment.id}/pre").text


def test_unknown_pacing_action_changes_nothing(client, auth, make_cohort):
    cohort = paced_cohort(make_cohort)
    auth.login(cohort.facilitators[0])
    response = client.post(f"/cohorts/{cohort.id}/pacing", data={"action": "explode"}, follow_redirects=True)
    assert "Unknown action." in response.text
    db.session.refresh(cohort)
    assert cohort.pacing == "facilitator" and not cohort.pre_survey_open


def test_waived_pre_survey_opens_the_modules(client, auth, make_cohort, enrolments):
    cohort = make_cohort(trainees=1)
    (enrolment,) = enrolments(cohort)
    key = cohort.modules[0].module.key
    auth.login(enrolment.user)
    assert client.get(f"/modules/{key}").status_code == 302  # survey first
    auth.logout()
    auth.login(cohort.facilitators[0])
    client.post(f"/cohorts/{cohort.id}/enrolments/{enrolment.id}/waive", data={"waived": "1"})
    auth.logout()
    auth.login(enrolment.user)
    assert client.get(f"/modules/{key}").status_code == 200


def test_roster_password_reset_gives_a_one_time_password_and_is_audited(
    client, auth, make_cohort, enrolments
):
    cohort = make_cohort(trainees=1)
    (enrolment,) = enrolments(cohort)
    username = enrolment.user.username
    auth.login(cohort.facilitators[0])
    page = client.post(f"/cohorts/{cohort.id}/enrolments/{enrolment.id}/reset-password").text
    password = re.search(r'<dd class="mono big">([a-z0-9]+)</dd>', page).group(1)
    assert db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "password_reset", AuditEvent.target == f"user:{enrolment.user_id}"
        )
    )
    auth.logout()
    assert auth.login(username, password).status_code == 302


def test_closing_freezes_enrolment_and_deletes_nothing(client, auth, make_cohort, enrolments, make_user):
    cohort = make_cohort(trainees=3)
    auth.login(cohort.facilitators[0])
    client.post(f"/cohorts/{cohort.id}/status", data={"status": "closed"})
    db.session.refresh(cohort)
    assert cohort.status == "closed" and len(enrolments(cohort)) == 3
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "cohort_status"))
    auth.logout()
    auth.login(make_user("trainee"))
    assert client.post(f"/join/{cohort.join_code}").status_code == 409
    assert len(enrolments(cohort)) == 3


def test_room_view_counts_and_the_n5_rule(app, client, auth, make_cohort, enrolments, answer_survey):
    cohort = make_cohort(trainees=6)
    people = enrolments(cohort)
    names = [e.user.full_name for e in people]
    for enrolment in people[:4]:
        answer_survey(enrolment, "pre", likert=2, knowledge=0)
    auth.login(cohort.facilitators[0])

    page = client.get(f"/cohorts/{cohort.id}/room").text
    assert 'data-count="joined">6<' in page and 'data-count="pre">4<' in page
    assert "<svg" in page  # the QR code
    assert "chart-bars" not in page and "most often missed" not in page
    state = client.get(f"/cohorts/{cohort.id}/room/state").get_json()
    assert state["counts"]["joined"] == 6 and state["counts"]["pre"] == 4

    answer_survey(people[4], "pre", likert=2, knowledge=0)
    page = client.get(f"/cohorts/{cohort.id}/room").text
    assert "chart-bars" in page and "most often missed" in page
    assert client.get(f"/cohorts/{cohort.id}/room/state").get_json()["version"] != state["version"]
    for name in names:
        assert name not in page
    assert " style=" not in page


def test_room_view_hides_a_phase_below_five(make_cohort, enrolments, answer_survey):
    from lms.cohorts.tracking import group_results

    cohort = make_cohort(trainees=5)
    people = enrolments(cohort)
    for enrolment in people:
        answer_survey(enrolment, "pre", likert=3)
    for enrolment in people[:4]:
        answer_survey(enrolment, "post", likert=5)
    results = group_results(cohort, 5, "en")
    assert results["shown"] == {"pre": True, "post": False}
    assert results["subscales"] and all(s["pre"] == 3.0 for s in results["subscales"])
    assert all(s["post"] is None for s in results["subscales"])
    assert results["knowledge_phase"] == "pre"


def test_poster_has_the_join_code_and_an_unstyled_qr(client, auth, make_cohort):
    cohort = make_cohort()
    auth.login(cohort.facilitators[0])
    page = client.get(f"/cohorts/{cohort.id}/poster").text
    assert cohort.join_code in page and f"/join/{cohort.join_code}" in page
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert "style" not in svg and 'class="qr-code"' in svg


def test_room_view_describes_one_survey_version(app, make_cohort, enrolments, answer_survey):
    """A new instrument loaded mid-workshop: subscales of two versions hold different items,
    so the room's means come from the version most of the room answered, never a mixture."""
    from lms.cohorts.tracking import group_results
    from lms.config import ROOT
    from tests.conftest import SURVEY_V1, load_instrument

    load_instrument(SURVEY_V1)
    cohort = make_cohort(trainees=11)
    people = enrolments(cohort)
    for enrolment in people[:5]:
        answer_survey(enrolment, "pre", lambda item: 2)
    with app.test_request_context():
        first = group_results(cohort, 5, "en")
    assert [s["pre"] for s in first["subscales"]] == [2.0] * 4  # the first version's four

    load_instrument(ROOT / "content")
    for enrolment in people[5:]:
        answer_survey(enrolment, "pre", lambda item: 4)
    with app.test_request_context():
        second = group_results(cohort, 5, "en")
    assert second["subscales"] and all(s["pre"] == 4.0 for s in second["subscales"])
