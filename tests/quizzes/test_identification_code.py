"""In an anonymous cohort the trainee writes a self-generated code with the survey: a bad
element is asked again (nothing submitted, nothing lost); a good one is kept only as hashes."""

from sqlalchemy import select

from lms.extensions import db
from lms.privacy.models import IdentificationCode
from lms.quizzes.models import SurveyResponse
from lms.quizzes.services import items_for, pages, save_draft
from tests.conftest import survey_answers

CODE = {
    "sgic-mother": "Đ",
    "sgic-father": "h",
    "sgic-birth_day": "3",
    "sgic-birth_month": "11",
    "sgic-older_siblings": "0",
}


def test_the_code_is_checked_then_kept_as_hashes_only(app, client, enrolment):
    enrolment.cohort.anonymous = True
    db.session.commit()
    save_draft(enrolment, "pre", survey_answers(enrolment, "pre"))
    db.session.commit()
    last = len(pages(items_for(enrolment, "pre")))
    url = f"/surveys/{enrolment.id}/pre?page={last}"
    page = client.get(url).text
    assert 'name="sgic-mother"' in page

    response = client.post(url, data={**CODE, "sgic-birth_day": "32", "action": "submit"})
    assert response.status_code == 422 and "Ngày sinh" in response.text
    assert db.session.scalar(select(SurveyResponse)) is None

    response = client.post(url, data={**CODE, "action": "submit"})
    assert response.status_code == 302
    stored = db.session.scalar(select(IdentificationCode))
    saved = db.session.scalar(select(SurveyResponse))
    assert stored.response_id == saved.id and stored.phase == "pre"
    assert len(stored.masked.split(",")) == 5
    assert "D|H" not in stored.full + stored.masked


def test_a_cohort_that_is_not_anonymous_asks_for_no_code(app, client, enrolment):
    save_draft(enrolment, "pre", survey_answers(enrolment, "pre"))
    db.session.commit()
    last = len(pages(items_for(enrolment, "pre")))
    assert 'name="sgic-mother"' not in client.get(f"/surveys/{enrolment.id}/pre?page={last}").text
    assert (
        client.post(f"/surveys/{enrolment.id}/pre?page={last}", data={"action": "submit"}).status_code == 302
    )
    assert db.session.scalar(select(IdentificationCode)) is None
