"""Follow-up waves: one more phase, locked until the survey after the training is done, then
waiting for its scheduled date (or the facilitator), answered with the version answered before."""

from datetime import timedelta

from lms.extensions import db
from lms.progress.journey import journey
from lms.progress.states import PhaseState
from lms.quizzes.models import Phase, SurveyResponse


def _trainee(make_cohort, **fields):
    cohort = make_cohort(trainees=1, **fields)
    return cohort, cohort_enrolment(cohort)


def cohort_enrolment(cohort):
    from sqlalchemy import select

    from lms.cohorts.models import Enrolment

    return db.session.scalar(select(Enrolment).where(Enrolment.cohort_id == cohort.id))


def test_a_cohort_without_waves_has_only_before_and_after(app, make_cohort):
    _cohort, enrolment = _trainee(make_cohort)
    assert list(journey(enrolment).phases) == [Phase.PRE, Phase.POST]


def test_a_wave_is_locked_then_waits_for_its_date_then_opens(app, make_cohort, answer_survey, auth, client):
    cohort, enrolment = _trainee(make_cohort)
    opens_on = cohort.end_date + timedelta(days=90)
    cohort.schedule_wave("follow-1", opens_on)
    db.session.commit()
    assert journey(enrolment).phase("follow-1").state == PhaseState.LOCKED
    answer_survey(enrolment, "pre")
    complete_modules(enrolment)
    answer_survey(enrolment, "post")
    step = journey(enrolment).phase("follow-1")
    assert step.state == PhaseState.WAITING and step.opens_on == opens_on

    auth.login(enrolment.user)
    page = client.get("/").get_data(as_text=True)
    assert "Khảo sát theo dõi" in page and opens_on.strftime("%Y") in page
    assert 'name="item-' not in client.get(f"/surveys/{enrolment.id}/follow-1").get_data(as_text=True)

    app.config["TODAY"] = (opens_on - timedelta(days=1)).isoformat()
    assert journey(enrolment).phase("follow-1").state == PhaseState.WAITING
    app.config["TODAY"] = opens_on.isoformat()
    assert journey(enrolment).phase("follow-1").state == PhaseState.OPEN
    page = client.get("/").get_data(as_text=True)
    assert f"/surveys/{enrolment.id}/follow-1" in page
    assert 'name="item-' in client.get(f"/surveys/{enrolment.id}/follow-1").get_data(as_text=True)

    response = answer_survey(enrolment, "follow-1")
    pre = db.session.query(SurveyResponse).filter_by(enrolment_id=enrolment.id, phase="pre").one()
    assert response.version_id == pre.version_id
    assert journey(enrolment).phase("follow-1").state == PhaseState.DONE


def test_the_facilitator_may_open_a_wave_before_its_date(app, make_cohort, answer_survey):
    cohort, enrolment = _trainee(make_cohort)
    cohort.schedule_wave("follow-2", cohort.end_date + timedelta(days=180))
    db.session.commit()
    answer_survey(enrolment, "pre")
    complete_modules(enrolment)
    answer_survey(enrolment, "post")
    assert journey(enrolment).phase("follow-2").state == PhaseState.WAITING
    cohort.set_gate("follow-2", True)
    db.session.commit()
    assert journey(enrolment).phase("follow-2").state == PhaseState.OPEN
    cohort.schedule_wave("follow-2", None)
    cohort.set_gate("follow-2", False)
    db.session.commit()
    assert Phase.FOLLOW_2 not in journey(enrolment).phases


def complete_modules(enrolment):
    """The cohort requires no module: the survey after the training opens at once."""
    from lms.cohorts.services import set_cohort_modules

    set_cohort_modules(enrolment.cohort, [], [])
    db.session.commit()
