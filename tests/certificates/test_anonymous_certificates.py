"""Certificates in anonymous mode: optional (the cohort's setting), never carrying an answer,
and none for someone who answered without an account."""

from sqlalchemy import func, select

from lms.certificates.models import Certificate
from lms.cohorts.models import Enrolment
from lms.cohorts.services import enrol, set_cohort_modules
from lms.extensions import db
from lms.progress.journey import journey
from lms.progress.states import Missing
from lms.quizzes.models import SurveyResponse
from tests.cohorts.test_anonymous import answer_anonymously, fresh


def _signed_in_trainee_answers(cohort, make_user, answer_survey):
    set_cohort_modules(cohort, [], [])  # no module: the survey after is the last step
    db.session.commit()
    enrolment = enrol(cohort, make_user("trainee", org_type="police"))
    db.session.commit()
    answer_survey(enrolment, "pre")
    answer_survey(enrolment, "post")
    return enrolment


def test_an_anonymous_cohort_offers_no_certificate_unless_it_says_so(make_cohort, make_user, answer_survey):
    cohort = make_cohort(anonymous=True)
    enrolment = _signed_in_trainee_answers(cohort, make_user, answer_survey)
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 0
    assert journey(enrolment).eligibility.missing == Missing.NOT_OFFERED


def test_a_certificate_in_anonymous_mode_carries_no_answer(make_cohort, make_user, answer_survey):
    cohort = make_cohort(anonymous=True, anonymous_certificates=True, knowledge_pass_percent=None)
    enrolment = _signed_in_trainee_answers(cohort, make_user, answer_survey)
    certificate = db.session.scalar(select(Certificate))
    assert certificate is not None and certificate.enrolment_id == enrolment.id
    assert set(certificate.snapshot) <= {
        "full_name",
        "language",
        "cohort_name",
        "audience",
        "modules",
        "hours",
        "start_date",
        "end_date",
        "issued_on",
        "facilitators",
        "organisation_name",
        "logo_path",
        "in_room",
    }


def test_answering_without_an_account_earns_no_certificate(app, make_cohort):
    cohort = make_cohort(anonymous=True, anonymous_certificates=True)
    set_cohort_modules(cohort, [], [])
    db.session.commit()
    answer_anonymously(fresh(app), cohort, "pre")
    browser = fresh(app)
    done = answer_anonymously(browser, cohort, "post")
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 0
    page = browser.get(done.location, headers={"Accept-Language": "en"})
    assert "no certificate is issued" in page.get_data(as_text=True)
    paired = db.session.scalar(select(SurveyResponse).where(SurveyResponse.phase == "post"))
    enrolment = db.session.get(Enrolment, paired.enrolment_id)
    assert journey(enrolment).eligibility.missing == Missing.ACCOUNT
