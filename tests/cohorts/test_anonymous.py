"""Anonymous mode: the cohort switch, answering without an account, and pairing by code."""

from datetime import timedelta

from sqlalchemy import func, select

from lms.cohorts.anonymous import cohort_version
from lms.cohorts.models import AnonymousRespondent, Cohort, Enrolment
from lms.extensions import db
from lms.privacy.models import IdentificationCode
from lms.quizzes.models import DraftAnswer, SurveyResponse
from lms.quizzes.services import items_for
from tests.conftest import survey_answers


def code_fields(mother="N", father="T", day=3, month=5, siblings=1) -> dict[str, str]:
    return {
        "sgic-mother": mother,
        "sgic-father": father,
        "sgic-birth_day": str(day),
        "sgic-birth_month": str(month),
        "sgic-older_siblings": str(siblings),
    }


def respondent_of(client, cohort, phase="pre") -> AnonymousRespondent:
    with client.session_transaction() as session:
        token = session["anonymous"][f"{cohort.id}:{phase}"]
    db.session.expire_all()
    return db.session.scalar(select(AnonymousRespondent).where(AnonymousRespondent.token == token))


def answer_anonymously(client, cohort, phase="pre", likert=4, **code):
    """Write the code, answer every item (all on the last page's POST), submit."""
    start = client.post(f"/a/{cohort.join_code}/{phase}", data=code_fields(**code))
    assert start.status_code == 302, start.get_data(as_text=True)
    respondent = respondent_of(client, cohort, phase)
    answers = survey_answers(respondent.enrolment, phase, likert, version=cohort_version(cohort))
    data = {f"item-{item_id}": value for item_id, value in answers.items()}
    client.post(f"/a/{cohort.join_code}/{phase}/autosave", data=data)
    page_count = 99  # clamped to the last page
    return client.post(f"/a/{cohort.join_code}/{phase}/survey?page={page_count}", data={"action": "submit"})


def fresh(app):
    """A new browser: no session cookie, so a new respondent."""
    return app.test_client()


# --- The cohort switch ------------------------------------------------------------------------


def _form(cohort, **changes):
    data = {
        "name": cohort.name,
        "audience": cohort.audience,
        "province": cohort.province,
        "start_date": cohort.start_date.isoformat(),
        "end_date": cohort.end_date.isoformat(),
        "language": "vi",
        "pacing": cohort.pacing,
        "status": cohort.status,
        "facilitators": [f.id for f in cohort.facilitators],
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_a_facilitator_turns_anonymous_mode_on_and_the_form_explains_it(client, auth, make_cohort, make_user):
    facilitator = make_user("facilitator", language="en")
    cohort = make_cohort(facilitator=facilitator)
    auth.login(facilitator)
    page = client.get(f"/cohorts/{cohort.id}/edit").get_data(as_text=True)
    assert "Anonymous mode" in page and "without an account" in page
    response = client.post(
        f"/cohorts/{cohort.id}/edit", data=_form(cohort, anonymous="y", anonymous_certificates="y")
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert cohort.anonymous and cohort.anonymous_certificates
    page = client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    assert f"/a/{cohort.join_code}/pre" in page and f"/a/{cohort.join_code}/post" in page


def test_a_new_cohort_can_start_in_anonymous_mode(client, auth, make_cohort, make_user):
    facilitator = make_user("facilitator")
    template = make_cohort(facilitator=facilitator)
    auth.login(facilitator)
    response = client.post("/cohorts/new", data=_form(template, name="Lớp mới", anonymous="y"))
    assert response.status_code == 302
    cohort = db.session.scalar(select(Cohort).where(Cohort.name == "Lớp mới"))
    assert cohort.anonymous and not cohort.anonymous_certificates


def test_anonymous_mode_cannot_be_switched_off_once_someone_answered_anonymously(
    app, client, auth, make_cohort, make_user
):
    facilitator = make_user("facilitator", language="vi")
    cohort = make_cohort(facilitator=facilitator, anonymous=True, name="Lớp ẩn danh")
    assert answer_anonymously(fresh(app), cohort).status_code == 302
    auth.login(facilitator)
    response = client.post(f"/cohorts/{cohort.id}/edit", data=_form(cohort, name="Đổi tên"))
    assert response.status_code == 422
    assert "không thể tắt" in response.get_data(as_text=True)  # the Vietnamese reason
    db.session.expire_all()
    assert cohort.anonymous and cohort.name == "Lớp ẩn danh"  # nothing half-written


def test_anonymous_mode_can_be_switched_off_before_any_answer(client, auth, make_cohort, make_user):
    facilitator = make_user("facilitator")
    cohort = make_cohort(facilitator=facilitator, anonymous=True)
    auth.login(facilitator)
    assert client.post(f"/cohorts/{cohort.id}/edit", data=_form(cohort)).status_code == 302
    db.session.expire_all()
    assert not cohort.anonymous


# --- Answering without an account ---------------------------------------------------------------


def test_a_respondent_answers_without_an_account_and_only_hashes_are_stored(app, client, make_cohort):
    cohort = make_cohort(anonymous=True)
    page = client.get(f"/a/{cohort.join_code}/pre")
    assert page.status_code == 200 and 'name="sgic-mother"' in page.get_data(as_text=True)
    done = answer_anonymously(client, cohort, mother="Đào")
    assert done.status_code == 302 and done.location.endswith(f"/a/{cohort.join_code}/pre/done")
    response = db.session.scalar(select(SurveyResponse))
    enrolment = db.session.get(Enrolment, response.enrolment_id)
    assert enrolment.user_id is None and enrolment.cohort_id == cohort.id
    code = db.session.scalar(select(IdentificationCode))
    assert code.response_id == response.id and len(code.full) == 64
    stored = " ".join(
        str(v) for row in db.session.execute(select(AnonymousRespondent.__table__)).all() for v in row
    )
    assert "D|" not in stored and "D03" not in stored
    assert db.session.scalar(select(func.count()).select_from(DraftAnswer)) == 0
    assert "Thank you" in client.get(done.location).get_data(as_text=True) or "Cảm ơn" in client.get(
        done.location
    ).get_data(as_text=True)


def test_drafts_survive_a_dropped_connection_and_a_double_click_stores_one_survey(app, client, make_cohort):
    cohort = make_cohort(anonymous=True)
    client.post(f"/a/{cohort.join_code}/pre", data=code_fields())
    respondent = respondent_of(client, cohort)
    items = items_for(respondent.enrolment, "pre")
    first = items[0]
    client.post(f"/a/{cohort.join_code}/pre/autosave", data={f"item-{first.id}": "2"})
    # The connection drops; the same browser comes back: the answer is there.
    page = client.get(f"/a/{cohort.join_code}/pre/survey").get_data(as_text=True)
    assert f'name="item-{first.id}" value="2" checked' in page
    answers = survey_answers(respondent.enrolment, "pre")
    client.post(f"/a/{cohort.join_code}/pre/autosave", data={f"item-{k}": v for k, v in answers.items()})
    one = client.post(f"/a/{cohort.join_code}/pre/survey?page=99", data={"action": "submit"})
    two = client.post(f"/a/{cohort.join_code}/pre/survey?page=99", data={"action": "submit"})
    assert one.status_code == two.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(SurveyResponse)) == 1


def test_missing_answers_are_listed_and_nothing_is_submitted(client, make_cohort):
    cohort = make_cohort(anonymous=True)
    client.post(f"/a/{cohort.join_code}/pre", data=code_fields())
    response = client.post(f"/a/{cohort.join_code}/pre/survey?page=99", data={"action": "submit"})
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(SurveyResponse)) == 0


def test_the_same_code_cannot_answer_the_same_survey_twice(app, make_cohort):
    cohort = make_cohort(anonymous=True)
    assert answer_anonymously(fresh(app), cohort).status_code == 302
    again = fresh(app).post(f"/a/{cohort.join_code}/pre", data=code_fields())
    assert again.status_code == 422
    assert "đã được gửi" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(SurveyResponse)) == 1
    # A different code, or the same code after the training, is another survey.
    assert answer_anonymously(fresh(app), cohort, mother="H").status_code == 302
    assert answer_anonymously(fresh(app), cohort, phase="post").status_code == 302


def test_a_bad_code_is_asked_again_with_a_translated_reason(client, make_cohort):
    cohort = make_cohort(anonymous=True)
    response = client.post(
        f"/a/{cohort.join_code}/pre", data=code_fields(day=40), headers={"Accept-Language": "vi"}
    )
    assert response.status_code == 422
    assert "từ 1 đến 31" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AnonymousRespondent)) == 0


def test_only_anonymous_cohorts_have_a_public_link_and_guessing_is_throttled(app, client, make_cohort):
    named = make_cohort()
    assert client.get(f"/a/{named.join_code}/pre").status_code == 404
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 3
    for _attempt in range(3):
        client.get("/a/ZZZZZZ/pre")
    anonymous = make_cohort(anonymous=True)
    assert client.get(f"/a/{anonymous.join_code}/pre").status_code == 429


def test_many_new_respondents_from_one_address_are_throttled(app, make_cohort):
    app.config["ANONYMOUS_MAX_STARTS_PER_ADDRESS"] = 2
    cohort = make_cohort(anonymous=True)
    for mother in "AB":
        assert (
            fresh(app).post(f"/a/{cohort.join_code}/pre", data=code_fields(mother=mother)).status_code == 302
        )
    assert fresh(app).post(f"/a/{cohort.join_code}/pre", data=code_fields(mother="C")).status_code == 429


def test_a_facilitator_paced_survey_waits_for_its_gate(client, make_cohort):
    cohort = make_cohort(anonymous=True, pacing="facilitator")
    response = client.get(f"/a/{cohort.join_code}/pre")
    assert response.status_code == 409
    cohort.pre_survey_open = True
    db.session.commit()
    assert client.get(f"/a/{cohort.join_code}/pre").status_code == 200


def test_the_public_link_opens_each_phase_by_the_journeys_rule(app, client, make_cohort):
    """Before and after the training: not once the cohort is closed. A follow-up wave: on its
    scheduled date or once the facilitator opens it, closed cohort or not. Asking stores nothing."""
    cohort = make_cohort(anonymous=True)
    opens_on = cohort.end_date + timedelta(days=30)
    cohort.schedule_wave("follow-1", opens_on)
    db.session.commit()
    app.config["TODAY"] = (opens_on - timedelta(days=1)).isoformat()
    assert client.get(f"/a/{cohort.join_code}/pre").status_code == 200
    assert client.get(f"/a/{cohort.join_code}/post").status_code == 200
    assert client.get(f"/a/{cohort.join_code}/follow-1").status_code == 409
    cohort.status = "closed"
    db.session.commit()
    assert client.get(f"/a/{cohort.join_code}/pre").status_code == 409
    assert client.get(f"/a/{cohort.join_code}/follow-1").status_code == 409
    app.config["TODAY"] = opens_on.isoformat()
    assert client.get(f"/a/{cohort.join_code}/follow-1").status_code == 200
    app.config["TODAY"] = (opens_on - timedelta(days=1)).isoformat()
    cohort.set_gate("follow-1", True)
    db.session.commit()
    assert client.get(f"/a/{cohort.join_code}/follow-1").status_code == 200
    assert db.session.scalar(select(func.count(Enrolment.id)).where(Enrolment.cohort_id == cohort.id)) == 0


# --- Pairing by code ------------------------------------------------------------------------------


def test_waves_pair_by_code_exact_then_tolerant_and_never_when_ambiguous(app, make_cohort):
    cohort = make_cohort(anonymous=True)
    for mother in "ABCDE":
        answer_anonymously(fresh(app), cohort, mother=mother)
    answer_anonymously(fresh(app), cohort, phase="post", mother="A")  # exact
    answer_anonymously(fresh(app), cohort, phase="post", mother="B", siblings=4)  # one differs
    answer_anonymously(fresh(app), cohort, phase="post", mother="Q", father="Q")  # nobody

    def surveys_per_enrolment():
        return sorted(
            db.session.scalars(
                select(func.count()).select_from(SurveyResponse).group_by(SurveyResponse.enrolment_id)
            ).all()
        )

    assert surveys_per_enrolment() == [1, 1, 1, 1, 2, 2]
    # C's code with one element differing, twice after: both could be C's, so neither pairs.
    answer_anonymously(fresh(app), cohort, phase="post", mother="C", day=9)
    answer_anonymously(fresh(app), cohort, phase="post", mother="C", month=9)
    assert surveys_per_enrolment() == [1, 1, 1, 1, 1, 1, 2, 2]
    # A later survey that makes an earlier tolerant pair ambiguous undoes it.
    answer_anonymously(fresh(app), cohort, phase="post", mother="B", siblings=7)
    assert surveys_per_enrolment() == [1, 1, 1, 1, 1, 1, 1, 1, 1, 2]
    assert db.session.get(Cohort, cohort.id).anonymous


def test_many_simultaneous_submissions_of_one_respondent_store_one_paired_survey(app, make_cohort):
    import threading

    from lms.cohorts.anonymous import submit_anonymous
    from lms.quizzes.services import AlreadySubmitted

    cohort = make_cohort(anonymous=True)
    answer_anonymously(fresh(app), cohort, "pre")
    browser = fresh(app)
    browser.post(f"/a/{cohort.join_code}/post", data=code_fields())
    respondent = respondent_of(browser, cohort, "post")
    answers = survey_answers(respondent.enrolment, "post")
    respondent_id = respondent.id  # threads must not touch the main thread's objects
    results, barrier = [], threading.Barrier(6)

    def submit():
        with app.app_context():
            mine = db.session.get(AnonymousRespondent, respondent_id)
            barrier.wait()
            try:
                submit_anonymous(mine, dict(answers))
                db.session.commit()
                results.append("stored")
            except AlreadySubmitted:
                results.append("duplicate")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=submit) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == ["duplicate"] * 5 + ["stored"]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(SurveyResponse)) == 2
    # ... and the survey after sits with the survey before: one respondent, paired.
    assert db.session.scalar(select(func.count(func.distinct(SurveyResponse.enrolment_id)))) == 1


def test_simultaneous_surveys_of_different_respondents_all_pair(app, make_cohort):
    import threading

    from lms.cohorts.anonymous import submit_anonymous

    cohort = make_cohort(anonymous=True)
    waiting = []
    for mother in "ABCDEF":
        answer_anonymously(fresh(app), cohort, "pre", mother=mother)
        browser = fresh(app)
        browser.post(f"/a/{cohort.join_code}/post", data=code_fields(mother=mother))
        respondent = respondent_of(browser, cohort, "post")
        waiting.append((respondent.id, survey_answers(respondent.enrolment, "post")))
    results, barrier = [], threading.Barrier(len(waiting))

    def submit(respondent_id, answers):
        with app.app_context():
            mine = db.session.get(AnonymousRespondent, respondent_id)
            barrier.wait()
            try:
                submit_anonymous(mine, answers)
                db.session.commit()
                results.append("stored")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=submit, args=pair) for pair in waiting]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert results == ["stored"] * 6
    db.session.expire_all()
    assert (
        sorted(
            db.session.scalars(
                select(func.count()).select_from(SurveyResponse).group_by(SurveyResponse.enrolment_id)
            )
        )
        == [2] * 6
    )


def test_every_anonymous_wave_answers_the_version_the_cohort_started_with(app, make_cohort):
    from lms.config import ROOT
    from lms.quizzes.instrument import current_version
    from tests.conftest import SURVEY_V1, load_instrument

    first = load_instrument(SURVEY_V1)
    cohort = make_cohort(anonymous=True)
    answer_anonymously(fresh(app), cohort, "pre")
    second = load_instrument(ROOT / "content")  # a new instrument between the waves
    assert current_version().id == second.id != first.id
    assert answer_anonymously(fresh(app), cohort, "post").status_code == 302
    assert answer_anonymously(fresh(app), cohort, "pre", mother="H").status_code == 302
    assert set(db.session.scalars(select(SurveyResponse.version_id))) == {first.id}
    # ... and the pair is made, item by item.
    assert sorted(
        db.session.scalars(
            select(func.count()).select_from(SurveyResponse).group_by(SurveyResponse.enrolment_id)
        )
    ) == [1, 2]
