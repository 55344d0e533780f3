"""Paper mode at a follow-up wave: the sheet names the wave and adds the track's practice
questions; the entry grid takes their column letters and refuses anything else."""

import re

from sqlalchemy import select

from lms.cohorts.services import enrol, set_cohort_modules
from lms.cohorts.waves import months_after
from lms.extensions import db
from lms.quizzes.models import Answer, SurveyItem, SurveyResponse
from lms.quizzes.services import items_for
from tests.pdf.helpers import pdf_text


def _cohort_at_follow_up(make_cohort, answer_survey, enrolments, **fields):
    cohort = make_cohort(trainees=2, **fields)
    set_cohort_modules(cohort, [], [])
    cohort.schedule_wave("follow-1", months_after(cohort.end_date, 3))
    db.session.commit()
    for enrolment in enrolments(cohort):
        answer_survey(enrolment, "pre")
        answer_survey(enrolment, "post")
    return cohort


def _flat(pdf: bytes) -> str:
    return " ".join(pdf_text(pdf).split())  # narrow column headers wrap


def test_a_follow_up_sheet_carries_the_tracks_practice_questions(
    client, auth, make_cohort, make_user, answer_survey, enrolments
):
    cohort = _cohort_at_follow_up(make_cohort, answer_survey, enrolments, audience="mixed")
    enrol(cohort, make_user("trainee", org_type="ngo"))
    db.session.commit()
    auth.login(cohort.facilitators[0])
    page = client.get(f"/cohorts/{cohort.id}/paper").text
    assert "wave=follow-1" in page
    base = f"/cohorts/{cohort.id}/paper"
    police_en = _flat(client.get(f"{base}/survey-en.pdf?track=police&wave=follow-1").data)
    assert "Your work in the last 3 months" in police_en and "Follow-up" in police_en
    assert "B01" in police_en and "B04" in police_en and "B08" not in police_en
    assert "A. Not once" in police_en and "D. 6 times or more" in police_en
    assert "E. Does not apply to my work / can't say" in police_en
    assert "A01" in police_en and "K13" in police_en  # the rest of the survey is all there
    police_vi = _flat(client.get(f"{base}/survey-vi.pdf?track=police&wave=follow-1").data)
    assert "Công việc của anh/chị trong 3 tháng qua" in police_vi
    assert "A. Không lần nào" in police_vi and "thu giữ bơm kim tiêm" in police_vi
    ngo_vi = _flat(client.get(f"{base}/survey-vi.pdf?track=ngo_cbo&wave=follow-1").data)
    assert "B08" in ngo_vi and "B01" not in ngo_vi
    # The sheet before and after the training has no practice questions.
    before = _flat(client.get(f"{base}/survey-en.pdf?track=police").data)
    assert "B01" not in before and "Your work in the last" not in before
    assert "Before the training" in before
    assert client.get(f"{base}/survey-en.pdf?track=police&wave=post").status_code == 404


def test_practice_cells_take_the_column_letters(client, auth, make_cohort, answer_survey, enrolments):
    cohort = _cohort_at_follow_up(make_cohort, answer_survey, enrolments)
    first, second = enrolments(cohort)
    auth.login(cohort.facilitators[0])
    assert ">B01<" not in client.get(f"/cohorts/{cohort.id}/paper/post").text
    grid = client.get(f"/cohorts/{cohort.id}/paper/follow-1").text
    assert ">B01<" in grid and ">B04<" in grid and ">B05<" not in grid
    assert "Practice questions (B…)" in grid

    def row(enrolment, practice):
        return {
            f"cell-{enrolment.id}-{item.key}": practice.get(item.key, "A")
            if item.kind == "practice"
            else "B"
            if item.kind == "knowledge"
            else "4"
            for item in items_for(enrolment, "follow-1")
        }

    typed = row(first, {"B01": "a", "B02": "D", "B03": "e"}) | row(second, {"B02": "5"})
    response = client.post(f"/cohorts/{cohort.id}/paper/follow-1", data=typed)
    assert response.status_code == 422  # a digit is not a practice column
    assert re.search(rf'name="cell-{second.id}-B02" value="5"[^>]*class="invalid"', response.text)
    stored = dict(
        db.session.execute(
            select(SurveyItem.key, Answer.value)
            .join(Answer, Answer.item_id == SurveyItem.id)
            .join(SurveyResponse, SurveyResponse.id == Answer.response_id)
            .where(SurveyItem.kind == "practice", SurveyResponse.enrolment_id == first.id)
        ).all()
    )
    assert stored == {"B01": 1, "B02": 4, "B03": 0, "B04": 1}
    assert (
        db.session.scalar(
            select(SurveyResponse).where(
                SurveyResponse.enrolment_id == second.id, SurveyResponse.phase == "follow-1"
            )
        )
        is None
    )
